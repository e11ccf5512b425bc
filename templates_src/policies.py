"""Policy as code: the project's CloudFormation Guard rules (``policies/*.guard``), and any the
user adds, run against a rendered template. Returns findings and prints nothing.

The engine is ``cfn-guard-rs`` (PyPI): AWS CloudFormation Guard 3 compiled into a Python
extension, so the rules run in-process with no binary to download. Its Python wrapper cannot
read the report of a failed ``or`` clause and its short report is cut beyond 8 KiB, so this
module reads Guard's verbose JSON report (the whole evaluation tree) itself.

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


def validate_policies(policy_files: Iterable[Path]) -> None:
    """Raise PolicyError for a policy file Guard cannot read or parse (checked before any lint,
    so a broken organisation rule stops the build instead of passing everything)."""
    empty = json.dumps({"Resources": {}})
    for policy in policy_files:
        try:
            rules = policy.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{policy}: cannot read the policy file: {exc.strerror}") from exc
        _guard(empty, rules, policy)


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


def _violations(report: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
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
    text = str(_find(check, "custom_message") or "").strip() or str(_find(check, "message") or "").strip()
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
