"""Retained resources: what a replacement or a removal leaves outside the stack.

UpdateReplacePolicy (on replacement) and DeletionPolicy (on removal from the template)
``Retain``/``RetainExceptOnCreate`` keep the old resource outside the stack
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html):
an orphan that still holds its data, and its name if the template fixes one.
"""

from __future__ import annotations

import json
from typing import Any

from ..facts import cloudformation
from ..facts.hazards import Hazard
from ..facts.provisioner import ADOPTED_LOG_GROUP_TYPE
from .changes import Finding
from .replacement import MISSING, value_at
from .schemas import ResourceSchema, schema_for
from .template import Resource, Template


def retained(policy: Any) -> bool:
    return policy in cloudformation.RETAIN_POLICIES


# What to do with an orphan, by type; a type not here has the general advice. A generated
# secret has no name the template fixes (Secrets Manager names it after the logical id with a
# random suffix), so its orphan collides with nothing: it is a leftover copy of a password.
_ORPHAN_ADVICE = {
    cloudformation.SECRET_TYPE: "the old secret still holds the user's password: delete it once nothing reads it "
                       "(aws secretsmanager delete-secret --secret-id <its ARN>, with a recovery window), or, to "
                       "keep that user and password, restore it: give its ARN to users[].secret_arn",
    "AWS::KMS::Key": "the old key can still decrypt what it encrypted: schedule its deletion (aws kms "
                     "schedule-key-deletion) once no secret version or log needs it",
    "AWS::Logs::LogGroup": "the old log group keeps its logs: delete it (aws logs delete-log-group) once they are "
                           "no longer needed",
}


def _orphan(res: Resource, schema: ResourceSchema) -> tuple[str, str]:
    """(what the orphan still holds, what to do about it)."""
    named = [n for n in schema.name_properties if value_at(res.properties, n) is not MISSING]
    held = "its name and data: creating it again with that name fails" if named else \
        "its data; it has no name the template fixes, so nothing collides with it"
    advice = _ORPHAN_ADVICE.get(res.type, "delete it by hand after the update, once nothing uses it, or import "
                                          "it into a stack")
    return held, advice


def _name_key(value: Any) -> str:
    """A name, or an expression (the product's ``Fn::Sub``), as a comparable text."""
    return json.dumps(value, sort_keys=True)


def adopted_log_groups(template: Template) -> set[str]:
    """The log group names (as compared) that a Custom::AdoptedLogGroup of ``template`` makes or adopts."""
    return {_name_key(res.properties.get("LogGroupName")) for res in template.resources.values()
            if res.type == ADOPTED_LOG_GROUP_TYPE}


def replaced_orphan(old: Resource, new: Resource, schema: ResourceSchema) -> list[Finding]:
    """The old resource a replacement keeps outside the stack (UpdateReplacePolicy)."""
    policy = new.attribute("UpdateReplacePolicy") or old.attribute("UpdateReplacePolicy")
    if not retained(policy):
        return []
    held, advice = _orphan(old, schema)
    return [Finding(
        Hazard.REPLACES_RETAINED, "(UpdateReplacePolicy)",
        f"it is replaced and UpdateReplacePolicy {policy} keeps the old one outside the stack (an "
        f"orphan that still holds {held})", advice)]


def removed_orphan(old: Resource, schema: ResourceSchema, adopted: frozenset[str] | set[str]) -> list[Finding]:
    """The resource a removal from the template keeps outside the stack (DeletionPolicy)."""
    policy = old.attribute("DeletionPolicy")
    # A kept log group whose name the new template's adopted log group names is taken over in
    # the same update, before the removal (a new resource is created first): no orphan.
    taken_over = old.type == cloudformation.LOG_GROUP_TYPE and _name_key(old.properties.get("LogGroupName")) in adopted
    if not retained(policy) or taken_over:
        return []
    held, advice = _orphan(old, schema)
    return [Finding(
        Hazard.REPLACES_RETAINED, "(DeletionPolicy)",
        f"it leaves the template and DeletionPolicy {policy} keeps it outside the stack (an orphan "
        f"that still holds {held})", advice)]


def deletion_leftovers(template: Template, region: str) -> list[tuple[str, str, Any]]:
    """What deleting the stack leaves behind that would block creating it again: each retained
    resource with a name the template fixes, as (logical id, name property, name)."""
    left = []
    for lid, res in sorted(template.resources.items()):
        if not retained(res.attribute("DeletionPolicy")):
            continue
        for name in schema_for(region, res.type).name_properties:
            if (value := value_at(res.properties, name)) is not MISSING:
                left.append((lid, name, value))
    return left
