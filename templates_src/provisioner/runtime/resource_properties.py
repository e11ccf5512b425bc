"""The custom resource's properties, checked once, up front, into one typed value.

CloudFormation passes every scalar property as a string (CloudFormation User Guide, "Custom
resources", request objects: ResourceProperties), so nothing here expects a number or boolean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from databases import ENGINES
from failures import ProvisionError
from passwords import FORMS


@dataclass(frozen=True)
class User:
    username: str
    secret_arn: str | None  # None for an IAM user
    password_form: str | None  # scram-sha-256, md5 or literal; None for an IAM user
    disable: str  # SQL that turns the user's login off (a no-op when the user does not exist)


@dataclass(frozen=True)
class Properties:
    engine: str
    instance: str | None
    cluster: str | None
    database: str | None
    admin_secret_arn: str
    users: tuple[User, ...]
    leave_alone: tuple[str, ...]  # users the SQL never touches: never disabled (the master)
    sql: str
    ca_bundle: str | None  # PEM text; None: the artifact's rds-ca-bundle.pem


def _text(raw: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise ProvisionError(f"property {key} is missing")
        return None
    if not isinstance(value, str):
        raise ProvisionError(f"property {key} must be a string, got {type(value).__name__}")
    return value


def _user(index: int, raw: Any) -> User:
    if not isinstance(raw, dict):
        raise ProvisionError(f"Users[{index}] must be a map")
    username = _text(raw, "Username")
    where = f"Users[{index}] ({username})"
    form = _text(raw, "PasswordForm", required=False)
    arn = _text(raw, "SecretArn", required=False)
    if form is not None and form not in FORMS:
        raise ProvisionError(f"{where}: PasswordForm must be one of {', '.join(FORMS)}, got {form!r}")
    if (form is None) != (arn is None):
        raise ProvisionError(f"{where}: a password user needs both SecretArn and PasswordForm, an IAM user neither")
    try:
        disable = _text(raw, "Disable")
    except ProvisionError as exc:
        raise ProvisionError(f"{where}: {exc}") from None
    return User(username, arn, form, disable)


def parse(raw: Any, need_sql: bool = True) -> Properties:
    """Properties, or ProvisionError naming the first property that is wrong."""
    if not isinstance(raw, dict):
        raise ProvisionError("ResourceProperties is missing")
    engine = _text(raw, "Engine")
    if engine not in ENGINES:
        raise ProvisionError(f"Engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    instance = _text(raw, "DBInstanceIdentifier", required=False)
    cluster = _text(raw, "DBClusterIdentifier", required=False)
    if (instance is None) == (cluster is None):
        raise ProvisionError("exactly one of DBInstanceIdentifier and DBClusterIdentifier must be given")
    users_raw = raw.get("Users") or []
    if not isinstance(users_raw, list):
        raise ProvisionError("Users must be a list")
    users = tuple(_user(index, user) for index, user in enumerate(users_raw))
    seen: set[str] = set()
    for user in users:
        if user.username in seen:
            raise ProvisionError(f"Users names {user.username} twice")
        seen.add(user.username)
    leave_alone = raw.get("LeaveAlone") or []
    if not isinstance(leave_alone, list) or not all(isinstance(name, str) and name for name in leave_alone):
        raise ProvisionError("LeaveAlone must be a list of usernames")
    if both := seen.intersection(leave_alone):
        raise ProvisionError(f"Users and LeaveAlone both name {sorted(both)[0]}")
    ca_bundle = _text(raw, "CaBundle", required=False)
    if ca_bundle is not None and "-----BEGIN CERTIFICATE-----" not in ca_bundle:
        raise ProvisionError("CaBundle must be PEM certificates")
    return Properties(
        engine=engine,
        instance=instance,
        cluster=cluster,
        database=_text(raw, "DatabaseName", required=engine == "postgres"),
        admin_secret_arn=_text(raw, "AdminSecretArn"),
        users=users,
        leave_alone=tuple(leave_alone),
        sql=_text(raw, "Sql", required=need_sql) or "",
        ca_bundle=ca_bundle,
    )
