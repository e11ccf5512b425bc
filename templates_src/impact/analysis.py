"""Compare two templates of one stack, resource by resource, as CloudFormation would update it.

Per resource: ``add``, ``remove``, ``modify`` (in place) or ``replace``, with the create-only
properties that force the replacement (from the provider schema of the env's region), and the
named hazards (``templates_src.facts.hazards``). Sources of the behaviours relied on:
- Update behaviours: a change to a create-only property replaces the resource; "CloudFormation
  creates the replacement resource first, and then changes references from other dependent
  resources to point to the replacement resource" and then deletes (or retains) the old one
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html,
  .../TemplateReference/aws-attribute-updatereplacepolicy.html). So a Ref or GetAtt to a
  replaced resource changes the referencing property too, which may replace that resource in
  turn (propagated here until nothing more changes).
- Custom names: a resource with a name the template fixes cannot be replaced while the name
  stays the same (``schemas.ResourceSchema.name_properties``). A name that is not the type's
  primaryIdentifier lives inside its parent when the parent is named by another create-only
  property (the target group ``default`` of a proxy): a new parent means a new, free scope. A
  primaryIdentifier "uniquely identifies an instance of the resource" (resource-type-schema.html)
  in the account and region, so it collides whatever its parent.
- Retained resources: UpdateReplacePolicy (on replacement) and DeletionPolicy (on removal from
  the template) ``Retain``/``RetainExceptOnCreate`` keep the old resource outside the stack
  (aws-attribute-deletionpolicy.html).
- Exports: "You can't modify or remove an output value that is referenced by another stack"
  and export names are unique per account and region
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from ..facts import aws as facts
from ..facts import cloudformation
from ..facts.hazards import Hazard
from ..facts.provisioner import ADOPTED_LOG_GROUP_TYPE, CUSTOM_RESOURCE_TYPE
from . import OUTPUT_TYPE
from .schemas import ResourceSchema, SchemaNotFound, resource_schema, unknown_schema
from .template import Resource, Template, references

MISSING: Any = object()  # value_at: no value at that path


class Action(str, enum.Enum):
    ADD = "add"
    REMOVE = "remove"
    MODIFY = "modify"
    REPLACE = "replace"


@dataclass(frozen=True)
class Finding:
    hazard: Hazard
    property: str   # the property (or output, policy) it is about; "" for the whole resource
    detail: str     # what would happen, for a reviewer
    advice: str     # what to do


@dataclass(frozen=True)
class Change:
    logical_id: str
    type: str
    action: Action
    replacement_properties: tuple[str, ...] = ()
    changed_properties: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    caused_by: tuple[str, ...] = ()  # replaced resources whose new ids alone force this replacement

    @property
    def hazards(self) -> tuple[str, ...]:
        return tuple(sorted({f.hazard.value for f in self.findings}))


@dataclass(frozen=True)
class Impact:
    """What updating the stack from one template to the other does."""

    changes: tuple[Change, ...] = ()
    replaced: frozenset[str] = field(default_factory=frozenset)

    def findings(self) -> list[tuple[Change, Finding]]:
        return [(change, finding) for change in self.changes for finding in change.findings]


def schema_for(region: str, type_name: str) -> ResourceSchema:
    try:
        return resource_schema(region, type_name)
    except SchemaNotFound:
        return unknown_schema(type_name)


def _mark(value: Any, replaced: frozenset[str] | set[str]) -> Any:
    """``value`` with every reference to a replaced resource wrapped, so it compares as changed."""
    if not replaced:
        return value
    if isinstance(value, dict):
        if ("Ref" in value or "Fn::GetAtt" in value or "Fn::Sub" in value) and any(
                ref in replaced for ref in references(value)):
            return {"(replacement of)": value}
        return {k: _mark(v, replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v, replaced) for v in value]
    return value


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


def _replacement_properties(old: Resource, new: Resource, schema: ResourceSchema, replaced: set[str]) -> list[str]:
    if old.type != new.type:
        return ["Type"]
    marked = _mark(new.properties, replaced)
    return [path for path in schema.create_only if value_at(old.properties, path) != value_at(marked, path)]


def _causes(old: Resource | None, new: Resource | None, replacement: list[str], replaced: set[str]) -> tuple[str, ...]:
    """The replaced resources that a replacement is due to, when no create-only value changed by itself."""
    assert old is not None and new is not None
    if any(value_at(old.properties, p) != value_at(new.properties, p) for p in replacement if p != "Type"):
        return ()
    return tuple(sorted({ref for p in replacement for ref in references(value_at(new.properties, p)) if ref in replaced}))


def _changed_properties(old: Resource, new: Resource, replaced: set[str]) -> list[str]:
    marked = _mark(new.properties, replaced)
    names = sorted(set(old.properties) | set(marked))
    changed = [n for n in names if old.properties.get(n, MISSING) != marked.get(n, MISSING)]
    attributes = sorted(set(old.attributes) | set(new.attributes))
    changed += [f"({a})" for a in attributes if old.attributes.get(a) != _mark(new.attributes.get(a), replaced)]
    return changed


def _fixed_name_collisions(old: Resource, new: Resource, schema: ResourceSchema, replaced: set[str],
                           replacement: list[str]) -> list[Finding]:
    if replacement == ["Type"]:
        return [Finding(Hazard.UPDATE_FAILS, "Type", f"the type changes from {old.type} to {new.type}, which "
                        "CloudFormation cannot update", "give the new resource a new logical id")]
    marked = _mark(new.properties, replaced)
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
            f"replacement would take the name {name}={_shown(before)} that the old one still holds: "
            f"the update fails and rolls back",
            f"change {name} in the same change, or delete the stack and create it again",
        ))
    return findings


def _shown(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        value = value["Fn::Sub"]  # an export name like ${AWS::StackName}-ProxyArn
    return repr(value) if isinstance(value, str) else "(an expression)"


def _retained(policy: Any) -> bool:
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


# The properties of a target group that name its databases: the update handler deregisters the
# old targets, registers the new ones and polls until every target is AVAILABLE (240 polls, 5 s
# apart), or fails (aws-cloudformation-resource-providers-rds-proxy,
# aws-rds-dbproxytargetgroup/src/main/java/software/amazon/rds/dbproxytargetgroup/UpdateHandler.java
# and Constants.java).
TARGET_GROUP_TYPE = "AWS::RDS::DBProxyTargetGroup"
TARGET_PROPERTIES = ("DBInstanceIdentifiers", "DBClusterIdentifiers")

# Resource attributes whose change calls no resource handler: CloudFormation records them, the
# resource itself is not touched (so no modify is shown for them).
NO_HANDLER_ATTRIBUTES = frozenset({"(DependsOn)", "(Metadata)"})


def _target_finding(old: Resource, new: Resource, provisioned: bool) -> list[Finding]:
    changed = [p for p in TARGET_PROPERTIES if old.properties.get(p) != new.properties.get(p)]
    if not changed:
        return []
    advice = ("the stack's DatabaseUsers resource makes the users on the new database before the target group "
              "changes (it runs first in the same update); plan the change for a quiet moment"
              if provisioned else
              "create the users on the new database first, with the secrets' passwords (run create-db-users.sh, "
              "built from the new params, before deploy.sh: an update that keeps the users does not pause for "
              "them), then deploy at a quiet moment")
    return [Finding(
        Hazard.CHANGES_TARGET, ", ".join(changed),
        "the proxy's database changes: CloudFormation deregisters the old target (every client connection "
        "through the proxy drops), registers the new one and waits up to 20 minutes for it to be AVAILABLE; "
        "if the proxy cannot log in there as every user, the update times out and rolls back",
        advice)]


def _name_key(value: Any) -> str:
    """A name, or an expression (the product's ``Fn::Sub``), as a comparable text."""
    return json.dumps(value, sort_keys=True)


def _adopted_log_groups(template: Template) -> set[str]:
    """The log group names (``_name_key``) that a Custom::AdoptedLogGroup of ``template`` makes or adopts."""
    return {_name_key(res.properties.get("LogGroupName")) for res in template.resources.values()
            if res.type == ADOPTED_LOG_GROUP_TYPE}


def _resource_findings(action: Action, old: Resource | None, new: Resource | None, schema: ResourceSchema,
                       replaced: set[str], replacement: list[str], provisioned: bool = False,
                       adopted: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
    findings: list[Finding] = []
    type_name = (new or old).type  # type: ignore[union-attr]
    if action is Action.MODIFY and type_name == TARGET_GROUP_TYPE:
        assert old is not None and new is not None
        findings += _target_finding(old, new, provisioned)
    if action is Action.REPLACE:
        assert old is not None and new is not None
        findings += _fixed_name_collisions(old, new, schema, replaced, replacement)
        policy = new.attribute("UpdateReplacePolicy") or old.attribute("UpdateReplacePolicy")
        if _retained(policy):
            held, advice = _orphan(old, schema)
            findings.append(Finding(
                Hazard.REPLACES_RETAINED, "(UpdateReplacePolicy)",
                f"it is replaced and UpdateReplacePolicy {policy} keeps the old one outside the stack (an "
                f"orphan that still holds {held})", advice))
        if type_name in cloudformation.ENDPOINT_TYPES:
            findings.append(Finding(
                Hazard.CHANGES_ENDPOINT, "",
                "it is replaced: a new endpoint host, ARN and prx- resource id",
                "point clients at the new endpoint; rds-db:connect grants on the old prx- id stop working"))
    if action is Action.REMOVE:
        assert old is not None
        policy = old.attribute("DeletionPolicy")
        # A kept log group whose name the new template's adopted log group names is taken over in
        # the same update, before the removal (a new resource is created first): no orphan.
        taken_over = type_name == cloudformation.LOG_GROUP_TYPE and _name_key(old.properties.get("LogGroupName")) in adopted
        if _retained(policy) and not taken_over:
            held, advice = _orphan(old, schema)
            findings.append(Finding(
                Hazard.REPLACES_RETAINED, "(DeletionPolicy)",
                f"it leaves the template and DeletionPolicy {policy} keeps it outside the stack (an orphan "
                f"that still holds {held})", advice))
    if action is Action.REMOVE and type_name == CUSTOM_RESOURCE_TYPE:
        # The provisioner disables every user's login when its resource is deleted (docs/
        # provisioner.md); an update deletes a removed resource in its cleanup, after everything
        # else, so after create-db-users.sh has run in the same update.
        findings.append(Finding(
            Hazard.DISABLES_LOGINS, "",
            "it leaves the template, and when CloudFormation deletes it at the end of the update the "
            "provisioner disables every database user's login: the proxy can no longer log in",
            "keep provisioner: in the params, or run create-db-users.sh again once the update is complete "
            "(it enables the logins again)"))
    if type_name == cloudformation.SECRET_TYPE and new is not None and old is not None:
        generated = cloudformation.GENERATED_SECRET_PROPERTY
        if generated in new.properties and (
                action is Action.REPLACE or old.properties.get(generated) != new.properties.get(generated)):
            why = "it is replaced" if action is Action.REPLACE else f"{generated} changes"
            findings.append(Finding(
                Hazard.REGENERATES_SECRET, generated,
                f"{why}, so Secrets Manager generates a new password while the database keeps the old one: "
                "the proxy can no longer log in as this user",
                "set the new password in the database right after the deploy (create-db-users.sh; with the "
                "provisioner the stack does it, and new logins fail only until it has run), or keep the "
                "secret's generator settings"))
    return findings


def _output_changes(old: Template, new: Template, replaced: set[str]) -> list[Change]:
    changes = []
    for name in sorted(set(old.outputs) | set(new.outputs)):
        before, after = old.outputs.get(name), new.outputs.get(name)
        if before is None:
            changes.append(Change(name, OUTPUT_TYPE, Action.ADD))
            continue
        value = _mark(after.value, replaced) if after else MISSING
        if after is not None and before.value == value and before.export == after.export:
            continue
        findings = []
        if before.export is not None:
            if after is None or after.export is None:
                how = "is removed"
            elif after.export != before.export:
                how = f"is renamed to {_shown(after.export)}"
            else:
                how = "changes value" + (" (it refers to a replaced resource)" if value != after.value else "")
            findings.append(Finding(
                Hazard.BREAKS_EXPORT, name,
                f"the export {_shown(before.export)} {how}: CloudFormation refuses the update while another "
                "stack imports it, and a stack that imported it loses its value",
                "move every importing stack off it first (aws cloudformation list-imports --export-name ...)"))
        action = Action.REMOVE if after is None else Action.MODIFY
        changes.append(Change(name, OUTPUT_TYPE, action, findings=tuple(findings)))
    return changes


def analyse(old: Template, new: Template, region: str, stack_policy: dict[str, Any] | None = None) -> Impact:
    """What updating a stack deployed from ``old`` to ``new`` does, in ``region``; with the
    ``stack_policy`` in force, each change it denies is a denied-by-policy finding too."""
    common = [lid for lid in new.resources if lid in old.resources]
    schemas = {lid: schema_for(region, res.type) for lid, res in {**old.resources, **new.resources}.items()}
    replaced: dict[str, list[str]] = {}
    grew = True
    while grew:  # replacements propagate through references until nothing more is replaced
        grew = False
        for lid in common:
            if lid not in replaced:
                props = _replacement_properties(old.resources[lid], new.resources[lid], schemas[lid], set(replaced))
                if props:
                    replaced[lid] = props
                    grew = True
    gone = set(replaced)
    provisioned = any(res.type == CUSTOM_RESOURCE_TYPE for res in new.resources.values())
    adopted = _adopted_log_groups(new)
    changes: list[Change] = []
    for lid in sorted(set(old.resources) | set(new.resources)):
        before, after = old.resources.get(lid), new.resources.get(lid)
        if before is None:
            action, changed = Action.ADD, []
        elif after is None:
            action, changed = Action.REMOVE, []
        else:
            changed = _changed_properties(before, after, gone)
            action = Action.REPLACE if lid in replaced else Action.MODIFY
            if action is Action.MODIFY and set(changed) <= NO_HANDLER_ATTRIBUTES:
                continue  # unchanged, or only its DependsOn or Metadata: no handler runs
        replacement = replaced.get(lid, [])
        findings = _resource_findings(action, before, after, schemas[lid], gone, replacement, provisioned, adopted)
        causes = _causes(before, after, replacement, gone) if replacement else ()
        changes.append(Change(lid, (after or before).type, action, tuple(replacement), tuple(changed),  # type: ignore[union-attr]
                              tuple(findings), causes))
    changes += _output_changes(old, new, gone)
    if stack_policy is not None:
        from .policy import with_policy_findings  # it reads this module's types

        changes = list(with_policy_findings(changes, stack_policy))
    return Impact(tuple(changes), frozenset(gone))


def deletion_leftovers(template: Template, region: str) -> list[tuple[str, str, Any]]:
    """What deleting the stack leaves behind that would block creating it again: each retained
    resource with a name the template fixes, as (logical id, name property, name)."""
    left = []
    for lid, res in sorted(template.resources.items()):
        if not _retained(res.attribute("DeletionPolicy")):
            continue
        for name in schema_for(region, res.type).name_properties:
            if (value := value_at(res.properties, name)) is not MISSING:
                left.append((lid, name, value))
    return left
