"""CloudFormation Guard 3 engines: the ones installed here, and how each reports violations.

- ``cfn-guard-rs`` (PyPI, ``pip install 'rds-proxy-cfn[guard]'``): Guard 3 compiled into a Python
  extension, in-process. Its Python wrapper cannot read the report of a failed ``or`` clause and
  its short report is cut beyond 8 KiB, so this module reads Guard's verbose JSON report (the
  whole evaluation tree) itself. Wheels only for CPython 3.10-3.12 (Linux x86_64 and aarch64) and
  3.10-3.11 (macOS).
- a ``cfn-guard`` 3 executable on PATH (AWS's release binaries; npm packages such as
  ``@cdklabs/cdk-validator-cfnguard`` ship one): ``cfn-guard validate --structured -o json``,
  whose report lists each rule ``not_compliant`` with its failed checks.

Each engine yields (rule, JSON-pointer path, message) per failed check; ``policies`` turns them
into findings.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

GUARD_EXECUTABLE = "cfn-guard"
HOW_TO_GET_AN_ENGINE = (
    "pip install 'rds-proxy-cfn[guard]' (cfn-guard-rs: CPython 3.10-3.12 on Linux x86_64/aarch64, 3.10-3.11 on "
    "macOS) or put a cfn-guard 3 executable on PATH "
    "(https://github.com/aws-cloudformation/cloudformation-guard/releases)")


class PolicyError(Exception):
    """A policy file that cannot be read or parsed, a template Guard cannot load, or no Guard
    engine to run policy files with: bad input, not a finding (the CLI should exit 2)."""


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


