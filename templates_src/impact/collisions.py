"""A replacement that cannot happen: a new type, or a fixed name the old resource still holds.

A resource with a name the template fixes cannot be replaced while the name stays the same
(``schemas.ResourceSchema.name_properties``). A name that is not the type's primaryIdentifier
lives inside its parent when the parent is named by another create-only property (the target
group ``default`` of a proxy): a new parent means a new, free scope. A primaryIdentifier
"uniquely identifies an instance of the resource" (resource-type-schema.html) in the account and
region, so it collides whatever its parent.
"""

from __future__ import annotations

from typing import Any

from ..facts.hazards import Hazard
from .changes import Finding
from .replacement import MISSING, mark_replaced, value_at
from .schemas import ResourceSchema
from .template import Resource, references


def shown(value: Any) -> str:
    """A name for a reviewer: the text, or the Fn::Sub text, else "(an expression)"."""
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        value = value["Fn::Sub"]  # an export name like ${AWS::StackName}-ProxyArn
    return repr(value) if isinstance(value, str) else "(an expression)"


def fixed_name_collisions(old: Resource, new: Resource, schema: ResourceSchema, replaced: set[str],
                          replacement: list[str]) -> list[Finding]:
    if replacement == ["Type"]:
        return [Finding(Hazard.UPDATE_FAILS, "Type", f"the type changes from {old.type} to {new.type}, which "
                        "CloudFormation cannot update", "give the new resource a new logical id")]
    marked = mark_replaced(new.properties, replaced)
    # A new parent (another create-only property now naming a replacement) is a new scope for the name.
    new_parent = any(
        path not in schema.name_properties and any(ref in replaced for ref in references(value_at(new.properties, path)))
        for path in replacement)
    findings = []
    for name in schema.name_properties:
        before, after = value_at(old.properties, name), value_at(marked, name)
        # A primaryIdentifier is unique in the account and region whatever the parent (the
        # endpoint's DBProxyEndpointName); another name may live inside its parent.
        scoped = new_parent and name not in schema.primary_identifier
        if before is MISSING or before != after or scoped:
            continue
        forced = ", ".join(p for p in replacement if p != name)
        findings.append(Finding(
            Hazard.UPDATE_FAILS, name,
            f"{forced} can only be set at creation, so CloudFormation must replace it, but the "
            f"replacement would take the name {name}={shown(before)} that the old one still holds: "
            f"the update fails and rolls back",
            f"change {name} in the same change, or delete the stack and create it again",
        ))
    return findings
