"""The pause in the stack's creation while create-db-users.sh makes the database users.

The target group's create and update handlers wait until the target is AVAILABLE
(aws-cloudformation-resource-providers-rds-proxy, aws-rds-dbproxytargetgroup, CreateHandler /
UpdateHandler and Utility.validateHealth), and a target is UNAVAILABLE with AUTH_FAILURE while
the users its secrets name do not exist (RDS API, TargetHealth). The users can only be made
once the secrets exist, which is during the stack's own creation. So the stack waits: a
WaitCondition that comes after every generated secret and before the target group and the
rotation schedules, released by the signal deploy.sh sends once create-db-users.sh has run
("Create wait conditions in a CloudFormation template", CloudFormation User Guide).

Its logical id carries a digest of the users: a new set of users makes a new wait condition
(and a new handle, as the guide requires: a handle is never reused), so an update that adds a
user waits for that user too; an update that keeps the users waits for nothing.
"""

from __future__ import annotations

import hashlib

from troposphere import Ref
from troposphere.cloudformation import WaitCondition, WaitConditionHandle

from ..config.schema.model import EnvConfig
from ..facts.cloudformation import USERS_READY_TIMEOUT_SECONDS
from . import names



def generated_users(cfg: EnvConfig) -> list[str]:
    """Users whose secret the stack generates: only they must wait for the stack."""
    if cfg.end_to_end_iam:
        return []
    return [user.username for user in cfg.users if not user.secret_arn]


def users_ready_ids(cfg: EnvConfig) -> tuple[str, str] | None:
    """(wait condition, handle) logical ids, or None when nothing waits (no generated secret, or
    the stack's provisioner makes the users)."""
    users = [] if cfg.provisioner is not None else generated_users(cfg)
    if not users:
        return None
    digest = hashlib.sha256("\n".join(sorted(users)).encode()).hexdigest()[:8].upper()
    return names.users_ready(digest), names.users_ready_handle(digest)


def waits_for_users(cfg: EnvConfig) -> dict[str, list[str]]:
    """``DependsOn=...`` for what must wait for the users (target group, endpoints, rotation
    schedules): the provisioner's custom resource, or the wait condition; nothing when nothing waits."""
    if cfg.provisioner is not None:
        return {"DependsOn": [names.DATABASE_USERS]}
    ids = users_ready_ids(cfg)
    return {"DependsOn": [ids[0]]} if ids else {}


def build_users_ready(cfg: EnvConfig) -> list[WaitConditionHandle | WaitCondition]:
    ids = users_ready_ids(cfg)
    if ids is None:
        return []
    ready, handle = ids
    return [
        WaitConditionHandle(handle),
        WaitCondition(
            ready,
            Handle=Ref(handle),
            Count=1,
            Timeout=str(USERS_READY_TIMEOUT_SECONDS),
            # After the proxy role's policy, whose properties name every secret (a Ref in a
            # resource's properties creates it after what it refers to: DependsOn attribute,
            # CloudFormation Template Reference). So the wait starts once every secret exists and
            # create-db-users.sh can read them all, and the product's optional user slots need no
            # conditional DependsOn (which CloudFormation does not have).
            # With an existing proxy role (iam.proxy_role_arn) there is no such policy: the wait
            # names the secrets themselves (the product always creates the role).
            DependsOn=[names.secret(user) for user in generated_users(cfg)] if cfg.iam.proxy_role_arn
            else [names.ROLE_POLICY],
        ),
    ]
