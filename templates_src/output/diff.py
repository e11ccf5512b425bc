"""--diff: what a build would change in the out folder, as a reviewer wants to read it.

A one-line summary per environment (resources added, removed and changed in its template, files
added, removed and changed), then a unified diff per changed file.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cfn_flip import load_yaml

from .emit import compared
from ..render.files import TEMPLATE_FILE


def _resources(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return dict(load_yaml(text).get("Resources") or {})
    except Exception:  # noqa: BLE001 - a hand-broken file on disk: every resource reads as changed
        return {}


def resource_changes(old: str | None, new: str | None) -> tuple[list[str], list[str], list[str]]:
    """Logical ids added, removed and changed between two template texts."""
    before, after = _resources(old), _resources(new)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(name for name in set(before) & set(after) if before[name] != after[name])
    return added, removed, changed


def _group(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else "(shared)"


def report(files: Mapping[str, str], out_dir: Path, out_shown: str, scope: tuple[str, ...] | None) -> list[str]:
    wanted, found, others = compared(files, out_dir, scope)
    expected = {path: data.decode() for path, data in wanted.items()}
    present = {path: data.decode("utf-8", errors="replace") for path, data in found.items()}
    paths = sorted(set(expected) | set(present))
    changed = [p for p in paths if expected.get(p) != present.get(p)]
    if not changed and not others:
        return [f"{out_shown}: no changes"]

    # A link or special file is named, never read: its target may be anything (credentials).
    lines = [f"{out_shown}/{p}: {what} in the out folder, not followed; a build removes it"
             for p, what in others.items()]
    for group in sorted({_group(p) for p in changed}):
        in_group = [p for p in changed if _group(p) == group]
        added = sum(p not in present for p in in_group)
        removed = sum(p not in expected for p in in_group)
        summary = f"{group}: {added} file(s) added, {removed} removed, {len(in_group) - added - removed} changed"
        template = f"{group}/{TEMPLATE_FILE}"
        if template in in_group:
            grown, shrunk, altered = resource_changes(present.get(template), expected.get(template))
            summary += f"; resources: {len(grown)} added, {len(shrunk)} removed, {len(altered)} changed"
            details = [f"+{n}" for n in grown] + [f"-{n}" for n in shrunk] + [f"~{n}" for n in altered]
            summary += f" ({', '.join(details)})" if details else ""
        lines.append(summary)
    for path in changed:
        lines += difflib.unified_diff(
            (present.get(path) or "").splitlines(), (expected.get(path) or "").splitlines(),
            fromfile=f"{out_shown}/{path}" if path in present else "/dev/null",
            tofile=f"{out_shown}/{path} (built)" if path in expected else "/dev/null",
            lineterm="",
        )
    return lines
