"""Policy as code in CloudFormation Guard 3: an organisation's ``.guard`` files (``policies/org/``,
``--policies DIR``) run against a rendered template. Returns findings and prints nothing.

The project's own rules need no Guard engine: the build enforces them as cfn-lint rules
(``policy_rules``, ``lint_rules``); their ``.guard`` twins in ``policies/`` are shipped for a
CloudFormation Guard Hook and kept in agreement by the tests. An organisation's rules are
enforced with whichever Guard engine is installed, and refused (``PolicyError``, exit 2) where
none is, never skipped:

- ``cfn-guard-rs`` (PyPI, ``pip install 'rds-proxy-cfn[guard]'``): Guard 3 compiled into a Python
  extension, in-process. Its Python wrapper cannot read the report of a failed ``or`` clause and
  its short report is cut beyond 8 KiB, so this module reads Guard's verbose JSON report (the
  whole evaluation tree) itself. Wheels only for CPython 3.10-3.12 (Linux x86_64 and aarch64) and
  3.10-3.11 (macOS).
- a ``cfn-guard`` 3 executable on PATH (AWS's release binaries; npm packages such as
  ``@cdklabs/cdk-validator-cfnguard`` ship one): ``cfn-guard validate --structured -o json``.

A finding reads ``<line>: <policy>/<rule>: <message> (<path>)``, so that prefixed with the
template's file name it has the shape of a lint finding:
``generated/dev/rds-proxy.yaml:141: tags/proxies_have_an_owner: ... (/Resources/Proxy/Properties/Tags)``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

POLICY_SUFFIX = ".guard"
# The Guard twins of the project's rules (shipped, not run by the build: see policy_rules).
PROJECT_POLICIES = Path(__file__).resolve().parent.parent / "policies"
GUARD_EXECUTABLE = "cfn-guard"
HOW_TO_GET_AN_ENGINE = (
    "pip install 'rds-proxy-cfn[guard]' (cfn-guard-rs: CPython 3.10-3.12 on Linux x86_64/aarch64, 3.10-3.11 on "
    "macOS) or put a cfn-guard 3 executable on PATH "
    "(https://github.com/aws-cloudformation/cloudformation-guard/releases)")


class PolicyError(Exception):
    """A policy file that cannot be read or parsed, a template Guard cannot load, or no Guard
    engine to run policy files with: bad input, not a finding (the CLI should exit 2)."""


@dataclass(frozen=True, order=True)
class PolicyFinding:
    line: int
    policy: str
    rule: str
    message: str
    path: str

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.line}: {self.policy}/{self.rule}: {self.message}{where}"


# (rule, JSON-pointer path, message) of each failed check.
_Violations = Iterator[tuple[str, str, str]]


class GuardEngine(Protocol):
    name: str  # how the lint cache tells engines apart, with the version

    @property
    def version(self) -> str: ...

    def violations(self, data: str, rules: str, policy: Path) -> _Violations: ...


class GuardRs:
    """CloudFormation Guard through the cfn-guard-rs extension, in-process."""

    name = "cfn-guard-rs"

    @property
    def version(self) -> str:
        from importlib import metadata

        return metadata.version("cfn-guard-rs")

    def violations(self, data: str, rules: str, policy: Path) -> _Violations:
        return _violations(_guard(data, rules, policy))


@dataclass(frozen=True)
class GuardCli:
    """CloudFormation Guard 3 as an executable: one ``validate`` per policy file and template."""

    executable: str
    version: str
    name: str = "cfn-guard"

    def violations(self, data: str, rules: str, policy: Path) -> _Violations:
        with tempfile.TemporaryDirectory(prefix="rds-proxy-cfn-guard-") as scratch:
            data_file, rules_file = Path(scratch) / "template.json", Path(scratch) / policy.name
            data_file.write_text(data, encoding="utf-8")
            rules_file.write_text(rules, encoding="utf-8")
            proc = subprocess.run(
                [self.executable, "validate", "--rules", str(rules_file), "--data", str(data_file),
                 "--output-format", "json", "--show-summary", "none", "--structured"],
                capture_output=True, text=True, timeout=300)
        # Exit status: 0 compliant, 19 not compliant; anything else (5: a rule file that does not parse).
        if proc.returncode not in (0, 19):
            detail = " ".join((proc.stderr or proc.stdout).split()) or f"exit status {proc.returncode}"
            raise PolicyError(f"{policy}: cfn-guard: {detail[:500]}")
        try:
            reports = json.loads(proc.stdout)
        except ValueError as exc:
            raise PolicyError(f"{policy}: cfn-guard printed no JSON report: {exc}") from exc
        for report in reports if isinstance(reports, list) else [reports]:
            yield from _report_violations(report)


def _cli_version(executable: str) -> str | None:
    """The version of a cfn-guard executable if it is Guard 3 ("cfn-guard 3.1.1"), else None."""
    try:
        proc = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\b(3\.\d+\.\d+)\b", proc.stdout)
    return found.group(1) if proc.returncode == 0 and found else None


def _rs_importable() -> bool:
    try:
        import cfn_guard_rs.cfn_guard_rs  # noqa: F401 - only asking whether it is there
    except ImportError:
        return False
    return True


@functools.cache
def available_engines() -> tuple[GuardEngine, ...]:
    """Every Guard engine installed here, preferred first: cfn-guard-rs if importable (in-process),
    then a cfn-guard 3 executable on PATH."""
    engines: list[GuardEngine] = [GuardRs()] if _rs_importable() else []
    executable = shutil.which(GUARD_EXECUTABLE, path=os.environ.get("PATH"))
    version = _cli_version(executable) if executable else None
    if executable and version:
        engines.append(GuardCli(executable, version))
    return tuple(engines)


def guard_engine() -> GuardEngine | None:
    """The Guard engine policy files run with here (None: there is none)."""
    engines = available_engines()
    return engines[0] if engines else None


def require_engine(policies: Iterable[Path]) -> GuardEngine | None:
    """The engine to enforce ``policies`` with; PolicyError if there are some and no engine."""
    policies = list(policies)
    engine = guard_engine() if policies else None
    if policies and engine is None:
        raise PolicyError(f"{policies[0]}: no CloudFormation Guard engine to enforce it here: {HOW_TO_GET_AN_ENGINE}")
    return engine


def policy_files(*folders: Path) -> list[Path]:
    """The ``.guard`` files of each folder (the project's when none is given), sorted by name
    within each folder, each file once. A missing folder is an error, not silently no policies."""
    found: dict[Path, Path] = {}
    for folder in folders or (PROJECT_POLICIES,):
        if not folder.is_dir():
            raise PolicyError(f"{folder}: no such policy folder")
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(POLICY_SUFFIX)):
            found.setdefault(path.resolve(), path)  # a folder named twice is read once
    return list(found.values())


def validate_policies(policy_files: Iterable[Path]) -> None:
    """Raise PolicyError for a policy file Guard cannot read or parse, or for policy files with no
    engine to run them (checked before any lint, so a broken organisation rule stops the build
    instead of passing everything)."""
    policy_files = list(policy_files)
    engine = require_engine(policy_files)
    empty = json.dumps({"Resources": {}})
    for policy in policy_files:
        list(engine.violations(empty, _read(policy), policy))


def run_policies(template_text: str, policy_files: list[Path]) -> list[str]:
    """Every violation of the Guard rules in ``policy_files`` by the template, one line each."""
    return [str(finding) for finding in check_policies(template_text, policy_files)]


def check_policies(template_text: str, policy_files: Iterable[Path],
                   engine: GuardEngine | None = None) -> list[PolicyFinding]:
    """Like ``run_policies``, as data, sorted by line."""
    policy_files = list(policy_files)
    if not policy_files:
        return []
    engine = engine or require_engine(policy_files)
    template = _decode(template_text)
    data = json.dumps(template)
    findings: set[PolicyFinding] = set()
    for policy in policy_files:
        for rule, path, message in engine.violations(data, _read(policy), policy):
            findings.add(PolicyFinding(_line_of(template, path), policy.stem, rule, message, path))
    return sorted(findings)


def _read(policy: Path) -> str:
    try:
        return policy.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{policy}: cannot read the policy file: {exc.strerror}") from exc


def _decode(template_text: str) -> Any:
    """The template as Guard sees it (short-form tags as Fn::...), keeping each node's line."""
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(template_text)
    if template is None or matches:
        problem = matches[0].message if matches else "not a template"
        raise PolicyError(f"the template cannot be read for the policy check: {problem}")
    return template


def _guard(data: str, rules: str, policy: Path) -> dict[str, Any]:
    """Guard's verbose report: the tree of every evaluation, with a status at each node.

    (The short report of cfn-guard-rs 0.3.3 loses all but its last 8 KiB when it is longer, so
    it cannot be trusted for a template with many violations; the verbose one is whole.)
    """
    from cfn_guard_rs.cfn_guard_rs import run_checks_rs

    try:
        return json.loads(run_checks_rs(data, rules, True))
    except Exception as exc:  # the extension raises its own parse and evaluation error types
        raise PolicyError(f"{policy}: {type(exc).__name__}: {exc}") from exc


# Nodes that only decide whether, or on what, a rule applies: their failures are no violation.
_CONDITIONS = frozenset({"RuleCondition", "WhenCondition", "TypeCondition", "Filter"})


def _violations(report: dict[str, Any]) -> _Violations:
    """(rule, JSON-pointer path, message) for each failed check of each failed rule."""
    for node in report.get("children") or []:
        kind, value = _container(node)
        if kind == "RuleCheck" and _status(value) == "FAIL":
            for path, message in _failures(node):
                yield value.get("name") or "?", path, message


def _failures(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for child in node.get("children") or []:
        kind, value = _container(child)
        if kind in _CONDITIONS or _status(value) != "FAIL":
            continue
        if kind == "ClauseValueCheck":
            yield _leaf(value)
        elif kind == "Disjunction":  # `a or b`: one finding, from whichever side says most
            leaves = list(_failures(child)) or [("", "")]
            paths = [p for p, _ in leaves if p]
            yield (paths[0] if paths else ""), max((m for _, m in leaves), key=_is_custom)
        else:  # blocks, type blocks, named rules used inside this one
            yield from _failures(child)


def _report_violations(report: dict[str, Any]) -> _Violations:
    """(rule, path, message) of each failed check in Guard's structured report (``cfn-guard
    validate -o json``): every rule ``not_compliant``, every leaf check under it."""
    for entry in report.get("not_compliant") or []:
        rule = (entry.get("Rule") or {}) if isinstance(entry, dict) else {}
        for check in _leaf_checks(rule.get("checks") or []):
            yield rule.get("name") or "?", _path(check.get("check") or check.get("unresolved") or check), \
                _message(check.get("messages") or check)


def _leaf_checks(checks: list[Any]) -> Iterator[dict[str, Any]]:
    """The clause and block reports with messages (a disjunction's are inside its ``checks``)."""
    for check in checks:
        if not isinstance(check, dict):
            continue
        for kind, value in check.items():
            if kind == "Disjunctions":
                yield from _leaf_checks(value.get("checks") or [])
            elif kind == "Clause" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, dict))
            elif isinstance(value, dict):
                yield value


def _container(node: dict[str, Any]) -> tuple[str, Any]:
    [(kind, value)] = (node.get("container") or {"?": None}).items()
    return kind, value


def _status(value: Any) -> str:
    """A node's status: a bare string ("Success" for a passed clause) or its first "status"."""
    if isinstance(value, str):
        return "PASS" if value == "Success" else value
    return _find(value, "status") or "FAIL"


def _leaf(value: Any) -> tuple[str, str]:
    """The path and message of a failed clause (Comparison, Unary, InComparison, ...)."""
    return _path(_find(value, "from") or value), _message(value)


def _is_custom(message: str) -> bool:
    return message.startswith("Violation")


def _message(check: Any) -> str:
    """The rule author's message if there is one, else Guard's, on one line."""
    text = next((str(found).strip() for key in ("custom_message", "message", "error_message")
                 if (found := _find(check, key)) and str(found).strip()), "")
    if not text:
        reason = _find(check, "reason")
        text = f"check failed: {reason}" if reason else "check failed"
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _find(value: Any, key: str) -> Any:
    """The first value under ``key`` anywhere in a nested report."""
    if isinstance(value, dict):
        if value.get(key):
            return value[key]
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _find(item, key)
        if found:
            return found
    return None


def _path(value: Any) -> str:
    """The first non-empty ``path`` in a check report (where the offending value is)."""
    found = _find(value, "path")
    return found if isinstance(found, str) else ""


def _line_of(template: Any, path: str) -> int:
    """The 1-based line of the deepest node of ``path`` that exists in the template."""
    node, line = template, 1
    for part in [p for p in path.split("/") if p]:
        if isinstance(node, dict) and part in node:
            key = next(k for k in node if k == part)
            node = node[part]
            line = _start_line(key, line)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            line = _start_line(node, line)
        else:
            break
    return line


def _start_line(node: Any, fallback: int) -> int:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else fallback
