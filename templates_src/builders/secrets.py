"""One Secrets Manager secret per database user: the proxy reads them, nobody writes a password."""

from __future__ import annotations

import json

from troposphere import Ref
from troposphere.secretsmanager import GenerateSecretString, Secret

from ..config.schema.model import EnvConfig, UserParams
from . import names
from .common import keep_on_delete, tags, waiver_metadata
from .kms import key_arn

PASSWORD_KEY = "password"


def build_secrets(cfg: EnvConfig) -> list[Secret]:
    """A generated secret for each user without ``secret_arn``; none with end-to-end IAM."""
    if cfg.end_to_end_iam:
        return []
    return [_secret(cfg, user) for user in cfg.users if not user.secret_arn]


def _secret(cfg: EnvConfig, user: UserParams) -> Secret:
    purpose = f": {user.description}" if user.description else ""
    return Secret(
        names.secret(user.username),
        Description=f"RDS Proxy {cfg.proxy.name} ({cfg.environment}): database user {user.username}{purpose}",
        GenerateSecretString=GenerateSecretString(
            SecretStringTemplate=json.dumps({"username": user.username}, sort_keys=True),
            GenerateStringKey=PASSWORD_KEY,
            PasswordLength=cfg.secrets.password_length,
            ExcludeCharacters=cfg.secrets.exclude_characters,
        ),
        KmsKeyId=key_arn(cfg),
        Tags=tags(cfg, DatabaseUser=user.username),
        **keep_on_delete(cfg),
        **waiver_metadata(cfg, "retain_on_delete", "rotation"),
    )


def secret_arn(user: UserParams) -> str | Ref:
    """The ARN of the user's secret: the given one or the generated one (Ref gives the ARN)."""
    return user.secret_arn or Ref(names.secret(user.username))


def secret_arns(cfg: EnvConfig) -> list[str | Ref]:
    """Every user's secret; none with end-to-end IAM."""
    return [] if cfg.end_to_end_iam else [secret_arn(user) for user in cfg.users]
