"""Policy as code: the project's CloudFormation Guard rules (``policies/*.guard``), and any the
user adds, run against a rendered template. Returns findings and prints nothing.

The engine is ``cfn-guard-rs`` (PyPI): AWS CloudFormation Guard 3 compiled into a Python
extension, so the rules run in-process with no binary to download. Its Python wrapper cannot
read the report of a failed ``or`` clause, so this module parses Guard's own JSON report.

A finding reads ``<line>: <policy>/<rule>: <message> (<path>)``, so that prefixed with the
template's file name it has the shape of a lint finding:
``generated/dev/rds-proxy.yaml:141: proxy/rds_proxy_requires_tls: ... (/Resources/Proxy/Properties/RequireTLS)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLICY_SUFFIX = ".guard"
# The project's own rules; users add folders of their own (see ``policy_files``).
PROJECT_POLICIES = Path(__file__).resolve().parent.parent / "policies"


class PolicyError(Exception):
    """A policy file that cannot be read or parsed, or a template Guard cannot load: bad input,
    not a finding (the CLI should exit 2)."""


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


def run_policies(template_text: str, policy_files: list[Path]) -> list[str]:
    """Every violation of the Guard rules in ``policy_files`` by the template, one line each."""
    return [str(finding) for finding in check_policies(template_text, policy_files)]


def check_policies(template_text: str, policy_files: Iterable[Path]) -> list[PolicyFinding]:
    """Like ``run_policies``, as data, sorted by line."""
    template = _decode(template_text)
    data = json.dumps(template)
    findings: set[PolicyFinding] = set()
    for policy in policy_files:
        try:
            rules = policy.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{policy}: cannot read the policy file: {exc.strerror}") from exc
        for rule, path, message in _violations(_guard(data, rules, policy)):
            findings.add(PolicyFinding(_line_of(template, path), policy.stem, rule, message, path))
    return sorted(findings)


def _decode(template_text: str) -> Any:
    """The template as Guard sees it (short-form tags as Fn::...), keeping each node's line."""
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(template_text)
    if template is None or matches:
        problem = matches[0].message if matches else "not a template"
        raise PolicyError(f"the template cannot be read for the policy check: {problem}")
    return template


def _guard(data: str, rules: str, policy: Path) -> dict[str, Any]:
    from cfn_guard_rs.cfn_guard_rs import run_checks_rs

    try:
        return json.loads(run_checks_rs(data, rules, False))
    except Exception as exc:  # the extension raises its own parse and evaluation error types
        raise PolicyError(f"{policy}: {type(exc).__name__}: {exc}") from exc


def _violations(report: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(rule, JSON-pointer path, message) for each failed check of each non-compliant rule."""
    for entry in report.get("not_compliant") or []:
        rule = entry.get("Rule") or {}
        for check in rule.get("checks") or []:
            for path, message in _failed_checks(check):
                yield rule.get("name", "?"), path, message


def _failed_checks(check: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if "Rule" in check:  # a named rule used inside another
        for inner in check["Rule"].get("checks") or []:
            yield from _failed_checks(inner)
    elif "Disjunctions" in check:  # `a or b`: one finding, from whichever side says most
        leaves = [leaf for inner in check["Disjunctions"].get("checks") or [] for leaf in _failed_checks(inner)]
        if leaves:
            paths = [p for p, _ in leaves if p]
            messages = [m for _, m in leaves]
            yield (paths[0] if paths else ""), max(messages, key=_is_custom)
    elif "GuardBlock" in check:
        block = check["GuardBlock"]
        yield _path(block), _message(block.get("messages"), block.get("context", ""))
    elif "Clause" in check:
        clause = check["Clause"].get("Unary") or check["Clause"].get("Binary") or {}
        yield _path(clause.get("check")), _message(clause.get("messages"), clause.get("context", ""))


def _is_custom(message: str) -> bool:
    return message.startswith("Violation")


def _message(messages: dict[str, Any] | None, context: str) -> str:
    """The rule author's message if there is one, else Guard's, on one line."""
    messages = messages or {}
    text = (messages.get("custom_message") or "").strip() or (messages.get("error_message") or "").strip()
    return "; ".join(line.strip() for line in (text or context.strip()).splitlines() if line.strip())


def _path(value: Any) -> str:
    """The first non-empty ``path`` in a check report (where the offending value is)."""
    if isinstance(value, dict):
        path = value.get("path")
        if isinstance(path, str) and path:
            return path
        for item in value.values():
            found = _path(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _path(item)
            if found:
                return found
    return ""


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
