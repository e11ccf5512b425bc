"""The ``users`` and ``secrets`` sections: the database users the proxy logs in as and how their
passwords are made and kept (part of the params schema, ``model``)."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts.aws import ClientPasswordAuthType, IamAuth, RotationStrategy
from ...facts.sql import UserRole
from .keys import key


@dataclass(frozen=True)
class UserParams:
    username: str = key("The database user the proxy logs in as.", pattern=facts.USERNAME_PATTERN)
    description: str | None = key("What the user is for.", default=None, max_length=1000)
    iam_auth: IamAuth | None = key(
        "IAM authentication for this user.", default=None, derived="proxy.iam_auth",
    )
    client_password_auth_type: ClientPasswordAuthType | None = key(
        "How clients authenticate with a password; must match the engine.", default=None,
        derived="the engine's default",
    )
    secret_arn: str | None = key(
        "Use this existing secret instead of generating one.", default=None, pattern=facts.SECRET_ARN_PATTERN,
    )
    secret_kms_key_arn: str | None = key(
        "With secret_arn: the customer managed key that encrypts that secret; absent: aws/secretsmanager or "
        "secrets.kms_key_arn. The proxy (and the provisioner) may decrypt this key only through Secrets Manager.",
        default=None, pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    master: bool = key(
        "The database's master user, its secret_arn the one RDS manages for it (or the one your database's "
        "stack keeps): db-users.sql and the provisioner leave the user alone (no password, no grants, never "
        "disabled) and the stack makes no client policy for it.", default=False,
    )
    role: UserRole | None = key(
        "What db-users.sql grants: app (SELECT, INSERT, UPDATE, DELETE), migration (DDL on the schema "
        "as well), readonly (SELECT).", default=None,
    )
    privileges: tuple[str, ...] | None = key(
        "An explicit privilege list instead of a role (e.g. [SELECT, EXECUTE]).", default=None,
        pattern=r"^[A-Z]+(?: [A-Z]+)*$", unique=True, min_items=1,
    )


@dataclass(frozen=True)
class SecretsParams:
    kms_key_arn: str | None = key(
        "Encrypt secrets and logs with this existing key instead of creating one.", default=None,
        pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    password_length: int = key(
        "Length of generated passwords.", default=30,
        minimum=facts.PASSWORD_LENGTH_RANGE[0], maximum=facts.PASSWORD_LENGTH_RANGE[1],
    )
    exclude_characters: str | None = key(
        "Characters never used in generated passwords.", default=None, max_length=4096,
        derived="the engine's troublesome characters",
    )
    retain_on_delete: bool = key(
        "Keep secrets, key and log group when the stack is deleted or they are replaced.", default=True,
    )
    rotation_days: int | None = key(
        "Rotate generated passwords every N days with Secrets Manager's hosted rotation (off when absent).",
        default=None, minimum=facts.ROTATION_DAYS_RANGE[0], maximum=facts.ROTATION_DAYS_RANGE[1],
    )
    rotation_strategy: RotationStrategy = key(
        "single_user (each user changes its own password) or alternating_users (a superuser keeps a "
        "clone of each user, so logins never fail during a rotation).", default=RotationStrategy.SINGLE_USER,
    )
    rotation_superuser_secret_arn: str | None = key(
        "The secret of a database superuser, for alternating_users rotation.", default=None,
        pattern=facts.SECRET_ARN_PATTERN,
    )
