"""The order a first deploy (and every later one) runs in: stated once, rendered into DEPLOY.md
and deploy.sh.

With the provisioner (``provisioner:``) the stack makes the users itself: the only step before
the stack is putting the provisioner's code where the function takes it from (the artifact
bucket: stage.sh), after which every way of deploying the template needs nothing else.
Without it, two shapes, decided by who makes the users' credentials:
- The stack generates secrets: the users can only be made once their secrets exist, which is
  during the stack's creation. The stack pauses at its users-ready wait condition
  (builders/users_ready.py); deploy.sh waits for that pause, runs create-db-users.sh and sends
  the signal, and only then does CloudFormation create the target group (which waits for a
  healthy target) and the rotation schedules.
- End-to-end IAM, or every user brings its secret: create-db-users.sh needs nothing from the
  stack, so it runs first and the stack is created in one go.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..builders.users_ready import users_ready_ids
from ..facts.cloudformation import USERS_READY_TIMEOUT_SECONDS
from ..provisioner.artifact import artifact_name
from ..facts.provisioner import ARTIFACT_KEY_PREFIX
from ..config.schema.model import EnvConfig


@dataclass(frozen=True)
class Artifact:
    """The provisioner's code: where the function takes it from, and the file that goes there."""
    bucket: str
    key: str
    name: str
    ca_bundle_sha256: str


@dataclass(frozen=True)
class DeployPlan:
    artifact: Artifact | None  # the provisioner makes the users (no create-db-users.sh, no wait)
    users_first: bool  # create-db-users.sh runs before the stack operation starts
    users_ready: str | None  # the wait condition create-db-users.sh releases (None: users_first)
    users_ready_handle: str | None
    timeout_minutes: int


def artifact_key(ca_bundle_sha256: str) -> str:
    """The code's S3 key: named by the digest of what goes into it, so new code is a new key."""
    return ARTIFACT_KEY_PREFIX + artifact_name(ca_bundle_sha256)


def deploy_plan(cfg: EnvConfig) -> DeployPlan:
    ids = users_ready_ids(cfg)
    provisioner = cfg.provisioner
    artifact = None if provisioner is None else Artifact(
        bucket=provisioner.artifact_bucket, key=artifact_key(provisioner.ca_bundle_sha256), name=artifact_name(provisioner.ca_bundle_sha256),
        ca_bundle_sha256=provisioner.ca_bundle_sha256)
    return DeployPlan(
        artifact=artifact,
        users_first=ids is None and artifact is None,
        users_ready=ids[0] if ids else None,
        users_ready_handle=ids[1] if ids else None,
        timeout_minutes=USERS_READY_TIMEOUT_SECONDS // 60,
    )
