"""The product's database users: the provisioner's ``Sql`` and each user's engine-dependent fields.

An env's ``Sql`` is db-users.sql rendered for its users (templates_src/dbusers/sql.py). The product
cannot render at launch, so it assembles the same text from the same template's parts (its
macros), each rendered here for every engine and role it can take and chosen at launch with
``Fn::If`` on the engine, the user slots and their roles, joined with ``Fn::Join``. Usernames and
the database name are placeholders (``Fn::Sub`` afterwards). The launch check
(``verify.launch_differences``) resolves the result for each env and compares it with the env's
own SQL, character for character.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import Any

from ..render import jinja_env
from ..facts.aws import DatabaseEngine, EngineFamily
from ..builders.provisioner import PASSWORD_FORMS
from ..config.schema.model import EnvConfig
from ..dbusers.grants import UserGrants
from ..facts.sql import DEFAULT_SCHEMA, DISABLE_LOGIN, UserRole
from ..dbusers.sql import DB_CLIENTS, sql_context
from . import conditions as C
from . import placeholders as ph
from . import tree as T
from .placeholders import slots

# The engines the provisioner has a driver for, by the family the product's EngineFamily names.
ENGINES: dict[DatabaseEngine, EngineFamily] = {
    DatabaseEngine.MYSQL: EngineFamily.MYSQL,
    DatabaseEngine.MARIADB: EngineFamily.MYSQL,
    DatabaseEngine.POSTGRES: EngineFamily.POSTGRESQL,
}
# Stands in for the database name while rendering (swapped for the DatabaseName placeholder).
DATABASE_SENTINEL = "PlaceholderDatabaseName"
SENTINELS = {**ph.USERNAME_SENTINELS, ph.DATABASE_NAME: DATABASE_SENTINEL}
ROLES: tuple[UserRole | None, ...] = (None, *UserRole)

Macros = Any  # a rendered template's module: its macros as callables


def _config(engine: DatabaseEngine, role: UserRole | None) -> EnvConfig:
    """The product's placeholder config as a concrete engine, every user with ``role``."""
    base = ph.base_config(ENGINES[engine])
    users = tuple(dataclasses.replace(u, role=role) for u in base.users)
    target = dataclasses.replace(base.target, engine=engine, database_name=DATABASE_SENTINEL,
                                 schema_name=DEFAULT_SCHEMA[ENGINES[engine]])
    return dataclasses.replace(base, target=target, users=users)


@cache
def _parts(engine: DatabaseEngine, role: UserRole | None) -> tuple[Macros, list[UserGrants]]:
    cfg = _config(engine, role)
    context = sql_context(cfg)
    # The parts template holds only the macros: making its module renders nothing.
    template = jinja_env.environment().get_template(DB_CLIENTS[cfg.engine_family]["parts"])
    return template.make_module(context), context["users"]


def _choose(condition: str, yes: Any, no: Any) -> Any:
    return yes if yes == no else T.if_(condition, yes, no)


def _by_role(i: int, render: Callable[[UserRole | None], Any], *, has_role: bool = False) -> Any:
    """``render`` for user i's role, chosen at launch (no role last; ``has_role``: where the user is
    known to have one, the last role is what is left)."""
    roles: list[UserRole | None] = [*UserRole] if has_role else [*UserRole, None]
    result = render(roles[-1])
    for role in reversed(roles[:-1]):
        assert role is not None
        result = _choose(C.has_role(i, role.value), render(role), result)
    return result


def _mysql_by_engine(render: Callable[[DatabaseEngine], Any]) -> Any:
    return _choose(C.IS_MARIADB, render(DatabaseEngine.MARIADB), render(DatabaseEngine.MYSQL))


def _slot(i: int, piece: Any) -> Any:
    """A user's piece, there when the user is."""
    condition = C.has_user(i)
    return piece if condition is None else T.if_(condition, piece, "")


def _text(engine: DatabaseEngine, role: UserRole | None, part: str, *args: Any) -> str:
    macros, _ = _parts(engine, role)
    return str(getattr(macros, part)(*args))


def _user_text(engine: DatabaseEngine, role: UserRole | None, part: str, i: int, *args: Any) -> str:
    macros, users = _parts(engine, role)
    return str(getattr(macros, part)(users[i - 1], *args))


def _mysql_sql() -> list[Any]:
    pieces: list[Any] = [_mysql_by_engine(lambda e: _text(e, None, "preamble").lstrip("\n"))]
    for i in slots(ph.USER_SLOTS):
        pieces.append(_slot(i, _by_role(i, lambda role, i=i: _mysql_by_engine(
            lambda e: _user_text(e, role, "user", i)))))
    return pieces


def _postgresql_sql(conditions: C.Conditions) -> list[Any]:
    pg = DatabaseEngine.POSTGRES
    usernames = ph.USERNAME_SENTINELS
    pieces: list[Any] = [_text(pg, None, "preamble").lstrip("\n")]
    pieces += [_slot(i, _by_role(i, lambda role, i=i: _user_text(pg, role, "create", i))) for i in slots(ph.USER_SLOTS)]
    # The migration users, comma-separated, in slot order.
    pieces.append(T.if_(C.ANY_ROLE, _text(pg, None, "borrow_start"), ""))
    for i in slots(ph.USER_SLOTS):
        owner = usernames[ph.user_param(i, "Name")]
        first, later = _text(pg, None, "borrow_owner", owner, True), _text(pg, None, "borrow_owner", owner, False)
        listed = first if i == 1 else T.if_(C.migration_user_before(i), later, first)
        pieces.append(T.if_(C.has_role(i, UserRole.MIGRATION.value), listed, ""))
    pieces.append(T.if_(C.ANY_ROLE, _text(pg, None, "borrowed"), ""))
    for i in slots(ph.USER_SLOTS):
        pieces.append(T.if_(C.has_any_role(i), _by_role(i, lambda role, i=i: _user_text(pg, role, "grants", i),
                                                         has_role=True), ""))
        for j in slots(ph.USER_SLOTS):
            if j == i:
                continue
            owner = usernames[ph.user_param(j, "Name")]
            both = conditions.conjoin(C.has_any_role(i), C.has_role(j, UserRole.MIGRATION.value))
            assert both is not None
            pieces.append(T.if_(both, _by_role(i, lambda role, i=i, owner=owner: _user_text(
                pg, role, "grant_for_owner", i, owner), has_role=True), ""))
    pieces.append(T.if_(C.ANY_ROLE, _text(pg, None, "give_back"), ""))
    pieces.append(_text(pg, None, "commit"))
    return pieces


def _joined(pieces: list[Any]) -> dict[str, Any]:
    # db-users.sql ends with one newline (users_sql.db_users_sql).
    return {"Fn::Join": ["", [*pieces, "\n"]]}


def sql(conditions: C.Conditions) -> Any:
    """The DatabaseUsers resource's ``Sql``, with sentinels for usernames and the database name."""
    return T.if_(C.IS_POSTGRESQL, _joined(_postgresql_sql(conditions)), _joined(_mysql_sql()))


def disable(i: int) -> Any:
    """User i's ``Disable`` statement (run when the user leaves the params)."""
    username = ph.USERNAME_SENTINELS[ph.user_param(i, "Name")]
    return T.if_(C.IS_POSTGRESQL, DISABLE_LOGIN[EngineFamily.POSTGRESQL].format(username=username),
                 DISABLE_LOGIN[EngineFamily.MYSQL].format(username=username))


def password_form(i: int) -> Any:
    """User i's ``PasswordForm``: md5 for a POSTGRES_MD5 user (db_users.UserGrants.md5)."""
    return T.if_(C.IS_POSTGRESQL, T.if_(C.md5_password(i), "md5", PASSWORD_FORMS[EngineFamily.POSTGRESQL]),
                 PASSWORD_FORMS[EngineFamily.MYSQL])
