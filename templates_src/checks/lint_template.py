"""cfn-lint over one template's text, and what of its matches are findings.

cfn-lint runs with its own rules and the project's policies as rules of its own (``lint_rules``,
mandatory, so no ``.cfnlintrc`` can switch them off), on the template as deployed with its
parameter file's values. Its matches of a failing severity are findings, the policies' reported
under their Guard names; an organisation's Guard policy files are checked after it.

cfn-lint is imported only here, when a template actually has to be linted (the import costs most
of a second), and its rules are loaded once per process (``load_rules``; the fork server of the
lint workers loads them before it forks them).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from .lint_jobs import LintOptions, RawFinding
from .policies.rules import RULES

CFNLINTRC_NAMES = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
POLICY_SEVERITY = "error"  # a Guard violation fails the build like a cfn-lint error
# The project's policies as cfn-lint rules; their findings are reported under their Guard names.
PROJECT_RULES_MODULE = f"{__package__}.lint_rules"
PROJECT_RULE_IDS = tuple(rule.lint_id for rule in RULES)
# The policies of what a template lets a launcher choose: they judge the Service Catalog product
# too (a job without the project's policies), and find nothing in a template without parameters.
PRODUCT_RULE_IDS = tuple(rule.lint_id for rule in RULES if rule.product)
PRODUCT_POLICIES = frozenset(rule.qualified for rule in RULES if rule.product)

_loaded_rules: dict[tuple[tuple[str, str | None], ...], Any] = {}


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError as exc:  # present but unreadable: never equal to any readable content
        return f"unreadable:{exc.errno}"


def cfnlintrc_files() -> list[Path]:
    """The config files cfn-lint reads by itself (first match in the home and in the cwd)."""
    found = []
    for folder in (Path.home(), Path.cwd()):
        for name in CFNLINTRC_NAMES:
            if (folder / name).is_file():
                found.append(folder / name)
                break
    return found


def _deployment_values(template: dict[str, Any], parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Parameter-file text as CloudFormation reads it: list types split at commas."""
    declared = template.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, value in parameters:
        kind = str((declared.get(name) or {}).get("Type", ""))
        values[name] = value.split(",") if kind.startswith("List<") or kind == "CommaDelimitedList" else value
    return values


def _config(region: str, options: LintOptions, parameters: dict[str, Any] | None = None) -> Any:
    from cfnlint.config import ConfigMixIn

    kwargs: dict[str, Any] = {"regions": [region]}
    if parameters is not None:
        from cfnlint.context.parameters import ParameterSet

        kwargs["parameters"] = [ParameterSet(source=None, parameters=parameters)]
    for name in ("include_checks", "ignore_checks", "mandatory_checks"):
        if getattr(options, name):
            kwargs[name] = list(getattr(options, name))
    # Mandatory: no ignore_checks (a .cfnlintrc's included) can switch the policies off.
    kwargs["mandatory_checks"] = [*kwargs.get("mandatory_checks", []),
                                  *(PROJECT_RULE_IDS if options.project_policies else PRODUCT_RULE_IDS)]
    return ConfigMixIn(**kwargs)


def load_rules() -> Any:
    """cfn-lint's rule collection, loaded once per process (per content of the .cfnlintrc files,
    whose append_rules and custom_rules decide which rules there are)."""
    key = tuple((str(path), file_digest(path)) for path in cfnlintrc_files())
    rules = _loaded_rules.get(key)
    if rules is None:
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner import Runner

        # cfn-lint's rules and the project's policies as rules of its own (lint_rules).
        config = ConfigMixIn(regions=["us-east-1"], append_rules=[PROJECT_RULES_MODULE])
        rules = _loaded_rules[key] = Runner(config).rules
    return rules


def lint_text(text: str, region: str, options: LintOptions,
              parameters: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[RawFinding, ...], float]:
    """The failing matches of one template (without file name), and the seconds it took."""
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    start = time.perf_counter()
    rules = load_rules()
    template, matches = decode_str(text)
    if template is not None and not matches:
        values = _deployment_values(template, parameters) if parameters else None
        matches = list(run_template_by_data(template, _config(region, options, values), rules))
    raws = set()
    for match in matches:
        policy = getattr(match.rule, "policy", None)  # one of the project's policies (lint_rules)
        if match.rule.severity in options.failing_severities and (
                policy is None or options.project_policies or policy in PRODUCT_POLICIES):
            raws.add((match.linenumber, policy or match.rule.id, match.rule.severity, match.message))
    if options.policy_files and template is not None:
        from .guard import check_policies

        raws |= {(f.line, f"{f.policy}/{f.rule}", POLICY_SEVERITY, f"{f.message} ({f.path})" if f.path else f.message)
                 for f in check_policies(text, options.policy_files)}
    return tuple(sorted(raws)), time.perf_counter() - start
