"""What db-users.sql grants each user, per engine: privileges sorted into where they apply.

Passwords never appear here: the SQL holds a placeholder per user that create-db-users.sh
replaces, in memory, with the password it reads from the user's secret at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from .builders.outputs import secret_output_name
from .config.model import EnvConfig, UserParams
from .sql_facts import (MYSQL_AUTH_PLUGINS, NON_TABLE_PRIVILEGES, PASSWORD_PLACEHOLDER, ROLE_PRIVILEGES, GrantScope)


@dataclass(frozen=True)
class UserGrants:
    username: str
    placeholder: str
    auth_plugin: str | None  # MySQL only
    on_tables: tuple[str, ...]
    on_schema: tuple[str, ...]
    on_database: tuple[str, ...]
    role: str | None  # the role's name, or None for an explicit list or no grants
    md5: bool  # PostgreSQL POSTGRES_MD5 users need an md5 password hash
    secret: str  # where create-db-users.sh finds the password: a stack output name or a secret ARN

    @property
    def granted(self) -> bool:
        return bool(self.on_tables or self.on_schema or self.on_database)


def privileges(cfg: EnvConfig, user: UserParams) -> tuple[str, ...]:
    if user.privileges is not None:
        return user.privileges
    if user.role is not None:
        return ROLE_PRIVILEGES[cfg.engine_family][user.role]
    return ()


def user_grants(cfg: EnvConfig) -> list[UserGrants]:
    scopes = NON_TABLE_PRIVILEGES[cfg.engine_family]
    result = []
    for user in cfg.users:
        granted = privileges(cfg, user)

        def scoped(scope: GrantScope) -> tuple[str, ...]:
            return tuple(p for p in granted if scopes.get(p, GrantScope.TABLES) is scope)

        result.append(UserGrants(
            username=user.username,
            placeholder=PASSWORD_PLACEHOLDER.format(username=user.username),
            auth_plugin=MYSQL_AUTH_PLUGINS.get(user.client_password_auth_type.value),
            on_tables=scoped(GrantScope.TABLES),
            on_schema=scoped(GrantScope.SCHEMA),
            on_database=scoped(GrantScope.DATABASE),
            role=user.role.value if user.role else None,
            md5=user.client_password_auth_type.value == "POSTGRES_MD5",
            secret=user.secret_arn or secret_output_name(user.username),
        ))
    return result
