"""Compare two templates of one stack, resource by resource, as CloudFormation would update it.

Per resource: ``add``, ``remove``, ``modify`` (in place) or ``replace``, with the create-only
properties that force the replacement (from the provider schema of the env's region), and the
named hazards (``templates_src.facts.hazards``). Each behaviour relied on is described, with its
source, where it is modelled:
- replacements, and their propagation through references: ``replacement``;
- a fixed name the replacement would collide with: ``collisions``;
- the resources UpdateReplacePolicy and DeletionPolicy keep outside the stack: ``orphans``;
- what a change does to the proxy's target, endpoint, provisioner and secrets: ``findings``;
- outputs and the exports they break: ``outputs``;
- what a stack policy denies: ``policy``.
"""

from __future__ import annotations

from typing import Any

from ..facts.provisioner import CUSTOM_RESOURCE_TYPE
from . import OUTPUT_TYPE  # noqa: F401 - re-exported
from .changes import Action, Change, Finding, Impact  # noqa: F401 - re-exported
from .findings import TARGET_GROUP_TYPE, TARGET_PROPERTIES, resource_findings  # noqa: F401 - re-exported
from .orphans import adopted_log_groups, deletion_leftovers  # noqa: F401 - re-exported
from .outputs import output_changes
from .policy import with_policy_findings
from .replacement import MISSING, changed_properties, replacement_causes, replacements, value_at  # noqa: F401
from .schemas import ResourceSchema, schema_for
from .template import Template

# Resource attributes whose change calls no resource handler: CloudFormation records them, the
# resource itself is not touched (so no modify is shown for them).
NO_HANDLER_ATTRIBUTES = frozenset({"(DependsOn)", "(Metadata)"})


def _resource_changes(old: Template, new: Template, schemas: dict[str, ResourceSchema],
                      replaced: dict[str, list[str]]) -> list[Change]:
    gone = set(replaced)
    provisioned = any(res.type == CUSTOM_RESOURCE_TYPE for res in new.resources.values())
    adopted = adopted_log_groups(new)
    changes: list[Change] = []
    for lid in sorted(set(old.resources) | set(new.resources)):
        before, after = old.resources.get(lid), new.resources.get(lid)
        if before is None:
            action, changed = Action.ADD, []
        elif after is None:
            action, changed = Action.REMOVE, []
        else:
            changed = changed_properties(before, after, gone)
            action = Action.REPLACE if lid in replaced else Action.MODIFY
            if action is Action.MODIFY and set(changed) <= NO_HANDLER_ATTRIBUTES:
                continue  # unchanged, or only its DependsOn or Metadata: no handler runs
        replacement = replaced.get(lid, [])
        findings = resource_findings(action, before, after, schemas[lid], gone, replacement, provisioned, adopted)
        causes = replacement_causes(before, after, replacement, gone) if replacement else ()
        changes.append(Change(lid, (after or before).type, action, tuple(replacement), tuple(changed),  # type: ignore[union-attr]
                              tuple(findings), causes))
    return changes


def analyse(old: Template, new: Template, region: str, stack_policy: dict[str, Any] | None = None) -> Impact:
    """What updating a stack deployed from ``old`` to ``new`` does, in ``region``; with the
    ``stack_policy`` in force, each change it denies is a denied-by-policy finding too."""
    schemas = {lid: schema_for(region, res.type) for lid, res in {**old.resources, **new.resources}.items()}
    replaced = replacements(old, new, schemas)
    changes = _resource_changes(old, new, schemas, replaced) + output_changes(old, new, set(replaced))
    if stack_policy is not None:
        changes = list(with_policy_findings(changes, stack_policy))
    return Impact(tuple(changes), frozenset(replaced))
