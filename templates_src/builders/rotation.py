"""Password rotation with Secrets Manager's hosted rotation functions (secrets.rotation_days).

Each generated secret is attached to the database (which adds host, port and engine to it, what
a rotation function needs to log in) and gets a rotation schedule whose function runs in the
proxy's subnets with the rotation security group (network.py).
"""

from __future__ import annotations

from troposphere import GetAtt, Ref
from troposphere.secretsmanager import HostedRotationLambda, RotationRules, RotationSchedule, SecretTargetAttachment

from ..facts import aws as facts
from ..config.schema.model import EnvConfig, UserParams
from . import names
from .common import comma_joined
from .kms import key_arn
from .users_ready import waits_for_users


def _target(cfg: EnvConfig) -> tuple[str, str]:
    if cfg.target.db_cluster_identifier:
        return "AWS::RDS::DBCluster", cfg.target.db_cluster_identifier
    return "AWS::RDS::DBInstance", cfg.target.db_instance_identifier


def build_rotation(cfg: EnvConfig) -> list[SecretTargetAttachment | RotationSchedule]:
    if cfg.secrets.rotation_days is None:
        return []
    resources: list[SecretTargetAttachment | RotationSchedule] = []
    for user in cfg.users:
        if not user.secret_arn:  # a brought secret is rotated by whoever owns it
            resources += _rotate(cfg, user)
    return resources


def _rotate(cfg: EnvConfig, user: UserParams) -> list[SecretTargetAttachment | RotationSchedule]:
    target_type, target_id = _target(cfg)
    attachment = SecretTargetAttachment(
        names.secret_attachment(user.username),
        SecretId=Ref(names.secret(user.username)),
        TargetType=target_type,
        TargetId=target_id,
    )
    secrets = cfg.secrets
    # The secret itself, as the Guard Rules Registry's SECRETSMANAGER_ROTATION_ENABLED_CHECK
    # looks for it (a RotationSchedule whose SecretId is a Ref of the Secret), and after the
    # attachment, so rotation starts only once the secret knows its database (AWS::SecretsManager
    # ::RotationSchedule, CloudFormation Template Reference: "Add a DependsOn attribute to the
    # RotationSchedule resource that uses a SecretTargetAttachment").
    ready = waits_for_users(cfg).get("DependsOn", [])
    schedule = RotationSchedule(
        names.secret_rotation(user.username),
        SecretId=Ref(names.secret(user.username)),
        HostedRotationLambda=HostedRotationLambda(
            RotationType=facts.ROTATION_TYPES[(cfg.engine_family, secrets.rotation_strategy)],
            VpcSubnetIds=comma_joined(cfg.network.subnet_ids),
            VpcSecurityGroupIds=GetAtt(names.ROTATION_SECURITY_GROUP, "GroupId"),
            KmsKeyArn=key_arn(cfg),
            ExcludeCharacters=secrets.exclude_characters,
        ),
        RotationRules=RotationRules(AutomaticallyAfterDays=secrets.rotation_days),
        # Not at create: the first rotation waits for the schedule, by when create-db-users.sh has
        # made the user with the secret's password (deploy order, DEPLOY.md). Without it Secrets
        # Manager rotates as soon as the schedule exists (RotateSecret: "By default, Secrets
        # Manager rotates the secret immediately"); with it, it only runs the function's testSecret
        # step, which needs the user to exist, and the schedule is created only in the stack's
        # second phase, after the users.
        RotateImmediatelyOnUpdate=False,
        DependsOn=[attachment.title, *ready],
    )
    return [attachment, schedule]
