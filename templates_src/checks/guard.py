"""Policy as code in CloudFormation Guard 3: an organisation's ``.guard`` files (``policies/org/``,
``--policies DIR``) run against a rendered template. Returns findings and prints nothing.

The project's own rules need no Guard engine: the build enforces them as cfn-lint rules
(``policy_rules``, ``lint_rules``); their ``.guard`` twins in ``policies/`` are shipped for a
CloudFormation Guard Hook and kept in agreement by the tests. An organisation's rules are
enforced with whichever Guard engine is installed (``guard_engines``: cfn-guard-rs, or a
``cfn-guard`` 3 executable on PATH), and refused (``PolicyError``, exit 2) where none is, never
skipped.

A finding reads ``<line>: <policy>/<rule>: <message> (<path>)``, so that prefixed with the
template's file name it has the shape of a lint finding:
``generated/dev/rds-proxy.yaml:141: tags/proxies_have_an_owner: ... (/Resources/Proxy/Properties/Tags)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Re-exported: the CLI and the tests know them from here.
from .guard_engines import (  # noqa: F401
    HOW_TO_GET_AN_ENGINE, GuardEngine, PolicyError, available_engines, guard_engine,
)

POLICY_SUFFIX = ".guard"
# The Guard twins of the project's rules (shipped, not run by the build: see policy_rules).
PROJECT_POLICIES = Path(__file__).resolve().parents[2] / "policies"


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
