"""Which resources an update replaces, and which of their properties change.

A change to a create-only property replaces the resource; "CloudFormation creates the
replacement resource first, and then changes references from other dependent resources to point
to the replacement resource" and then deletes (or retains) the old one
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html,
.../TemplateReference/aws-attribute-updatereplacepolicy.html). So a Ref or GetAtt to a replaced
resource changes the referencing property too, which may replace that resource in turn
(propagated here until nothing more changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .schemas import ResourceSchema
from .template import Resource, Template, references

MISSING: Any = object()  # value_at: no value at that path


def value_at(properties: Any, path: str) -> Any:
    """The value at a schema property path (``A/B``, ``A/*/B``), MISSING when absent."""
    values = [properties]
    for part in path.split("/"):
        found = []
        for value in values:
            if part == "*" and isinstance(value, list):
                found.extend(value)
            elif isinstance(value, dict) and part in value:
                found.append(value[part])
        if not found:
            return MISSING
        values = found
    return values if "*" in path.split("/") else values[0]


def mark_replaced(value: Any, replaced: frozenset[str] | set[str]) -> Any:
    """``value`` with every reference to a replaced resource wrapped, so it compares as changed."""
    if not replaced:
        return value
    if isinstance(value, dict):
        if ("Ref" in value or "Fn::GetAtt" in value or "Fn::Sub" in value) and any(
                ref in replaced for ref in references(value)):
            return {"(replacement of)": value}
        return {k: mark_replaced(v, replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_replaced(v, replaced) for v in value]
    return value


def replacement_properties(old: Resource, new: Resource, schema: ResourceSchema, replaced: set[str]) -> list[str]:
    """The create-only properties (or ``Type``) whose change replaces the resource."""
    if old.type != new.type:
        return ["Type"]
    marked = mark_replaced(new.properties, replaced)
    return [path for path in schema.create_only if value_at(old.properties, path) != value_at(marked, path)]


def replacements(old: Template, new: Template, schemas: Mapping[str, ResourceSchema]) -> dict[str, list[str]]:
    """Each resource the update replaces, with the properties that force it."""
    common = [lid for lid in new.resources if lid in old.resources]
    replaced: dict[str, list[str]] = {}
    grew = True
    while grew:  # replacements propagate through references until nothing more is replaced
        grew = False
        for lid in common:
            if lid not in replaced:
                props = replacement_properties(old.resources[lid], new.resources[lid], schemas[lid], set(replaced))
                if props:
                    replaced[lid] = props
                    grew = True
    return replaced


def replacement_causes(old: Resource | None, new: Resource | None, replacement: list[str],
                       replaced: set[str]) -> tuple[str, ...]:
    """The replaced resources that a replacement is due to, when no create-only value changed by itself."""
    assert old is not None and new is not None
    if any(value_at(old.properties, p) != value_at(new.properties, p) for p in replacement if p != "Type"):
        return ()
    return tuple(sorted({ref for p in replacement for ref in references(value_at(new.properties, p)) if ref in replaced}))


def changed_properties(old: Resource, new: Resource, replaced: set[str]) -> list[str]:
    """The properties, and ``(attributes)``, that differ (a reference to a replaced resource does)."""
    marked = mark_replaced(new.properties, replaced)
    names = sorted(set(old.properties) | set(marked))
    changed = [n for n in names if old.properties.get(n, MISSING) != marked.get(n, MISSING)]
    attributes = sorted(set(old.attributes) | set(new.attributes))
    changed += [f"({a})" for a in attributes if old.attributes.get(a) != mark_replaced(new.attributes.get(a), replaced)]
    return changed
