"""The findings of one resource's change: what it risks beyond the change itself.

Name collisions (``collisions``) and orphans (``orphans``), and what a change does to the
proxy's own resources: a new database for the proxy, a new endpoint, a removed users
provisioner, a regenerated password.
"""

from __future__ import annotations

from ..facts import cloudformation
from ..facts.hazards import Hazard
from ..facts.provisioner import CUSTOM_RESOURCE_TYPE
from .changes import Action, Finding
from .collisions import fixed_name_collisions
from .orphans import removed_orphan, replaced_orphan
from .schemas import ResourceSchema
from .template import Resource

# The properties of a target group that name its databases: the update handler deregisters the
# old targets, registers the new ones and polls until every target is AVAILABLE (240 polls, 5 s
# apart), or fails (aws-cloudformation-resource-providers-rds-proxy,
# aws-rds-dbproxytargetgroup/src/main/java/software/amazon/rds/dbproxytargetgroup/UpdateHandler.java
# and Constants.java).
TARGET_GROUP_TYPE = "AWS::RDS::DBProxyTargetGroup"
TARGET_PROPERTIES = ("DBInstanceIdentifiers", "DBClusterIdentifiers")


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


ENDPOINT_REPLACED = Finding(
    Hazard.CHANGES_ENDPOINT, "",
    "it is replaced: a new endpoint host, ARN and prx- resource id",
    "point clients at the new endpoint; rds-db:connect grants on the old prx- id stop working")

# The provisioner disables every user's login when its resource is deleted (docs/provisioner.md);
# an update deletes a removed resource in its cleanup, after everything else, so after
# create-db-users.sh has run in the same update.
PROVISIONER_REMOVED = Finding(
    Hazard.DISABLES_LOGINS, "",
    "it leaves the template, and when CloudFormation deletes it at the end of the update the "
    "provisioner disables every database user's login: the proxy can no longer log in",
    "keep provisioner: in the params, or run create-db-users.sh again once the update is complete "
    "(it enables the logins again)")


def _secret_regenerated(action: Action, old: Resource, new: Resource) -> list[Finding]:
    generated = cloudformation.GENERATED_SECRET_PROPERTY
    if new.type != cloudformation.SECRET_TYPE or generated not in new.properties or not (
            action is Action.REPLACE or old.properties.get(generated) != new.properties.get(generated)):
        return []
    why = "it is replaced" if action is Action.REPLACE else f"{generated} changes"
    return [Finding(
        Hazard.REGENERATES_SECRET, generated,
        f"{why}, so Secrets Manager generates a new password while the database keeps the old one: "
        "the proxy can no longer log in as this user",
        "set the new password in the database right after the deploy (create-db-users.sh; with the "
        "provisioner the stack does it, and new logins fail only until it has run), or keep the "
        "secret's generator settings")]


def resource_findings(action: Action, old: Resource | None, new: Resource | None, schema: ResourceSchema,
                      replaced: set[str], replacement: list[str], provisioned: bool = False,
                      adopted: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
    """What the change of one resource risks, given what else the update replaces (``replaced``),
    whether the stack provisions its users, and the log groups the new template adopts."""
    findings: list[Finding] = []
    if action is Action.MODIFY and new is not None and new.type == TARGET_GROUP_TYPE:
        assert old is not None
        findings += _target_finding(old, new, provisioned)
    if action is Action.REPLACE:
        assert old is not None and new is not None
        findings += fixed_name_collisions(old, new, schema, replaced, replacement)
        findings += replaced_orphan(old, new, schema)
        if new.type in cloudformation.ENDPOINT_TYPES:
            findings.append(ENDPOINT_REPLACED)
    if action is Action.REMOVE:
        assert old is not None
        findings += removed_orphan(old, schema, adopted)
        if old.type == CUSTOM_RESOURCE_TYPE:
            findings.append(PROVISIONER_REMOVED)
    if old is not None and new is not None:
        findings += _secret_regenerated(action, old, new)
    return findings
