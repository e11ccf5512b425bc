"""The outputs' changes, and the exports they break.

"You can't modify or remove an output value that is referenced by another stack" and export
names are unique per account and region
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html).
"""

from __future__ import annotations

from typing import Any

from ..facts.hazards import Hazard
from . import OUTPUT_TYPE
from .changes import Action, Change, Finding
from .collisions import shown
from .replacement import MISSING, mark_replaced
from .template import Output, Template


def _broken_export(name: str, before: Output, after: Output | None, value: Any) -> Finding:
    """What happens to ``before``'s export: removed, renamed or a new value (``value``: the new
    value as compared, a reference to a replaced resource marked)."""
    if after is None or after.export is None:
        how = "is removed"
    elif after.export != before.export:
        how = f"is renamed to {shown(after.export)}"
    else:
        how = "changes value" + (" (it refers to a replaced resource)" if value != after.value else "")
    return Finding(
        Hazard.BREAKS_EXPORT, name,
        f"the export {shown(before.export)} {how}: CloudFormation refuses the update while another "
        "stack imports it, and a stack that imported it loses its value",
        "move every importing stack off it first (aws cloudformation list-imports --export-name ...)")


def output_changes(old: Template, new: Template, replaced: set[str]) -> list[Change]:
    changes = []
    for name in sorted(set(old.outputs) | set(new.outputs)):
        before, after = old.outputs.get(name), new.outputs.get(name)
        if before is None:
            changes.append(Change(name, OUTPUT_TYPE, Action.ADD))
            continue
        value = mark_replaced(after.value, replaced) if after else MISSING
        if after is not None and before.value == value and before.export == after.export:
            continue
        findings = (_broken_export(name, before, after, value),) if before.export is not None else ()
        action = Action.REMOVE if after is None else Action.MODIFY
        changes.append(Change(name, OUTPUT_TYPE, action, findings=findings))
    return changes
