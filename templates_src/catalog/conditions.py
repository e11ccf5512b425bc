"""The product's Conditions: one per optional part, per slot, and their conjunctions.

Each condition records which others it implies (``User3GeneratesSecret`` implies ``HasUser3``),
so that a piece already guarded by a stronger condition is not wrapped a second time.
"""

from __future__ import annotations

from typing import Any

from ..facts.aws import (ClientPasswordAuthType, DatabaseEngine, EndpointNetworkType, EngineFamily, IamAuth,
                         TargetConnectionNetworkType)
from ..facts.sql import UserRole
from . import placeholders as ph
from .placeholders import slots

CREATE_KEY = "CreateKey"
RETAIN = "Retain"
DO_NOT_RETAIN = "DoNotRetain"
HAS_DATABASE_SECURITY_GROUP = "HasDatabaseSecurityGroup"
IS_CLUSTER = "IsCluster"
HAS_READ_ONLY_ENDPOINT = "HasReadOnlyEndpoint"
HAS_INIT_QUERY = "HasInitQuery"
HAS_SESSION_PINNING = "HasSessionPinning"
ANY_IAM_USER = "AnyIamUser"
HAS_ALARMS = "HasAlarms"
CREATE_ALARM_TOPIC = "CreateAlarmTopic"
HAS_PERMISSIONS_BOUNDARY = "HasPermissionsBoundary"
# The network types are written only when not AWS's default (builders.proxy.network_types).
HAS_ENDPOINT_NETWORK_TYPE = "HasEndpointNetworkType"
HAS_TARGET_CONNECTION_NETWORK_TYPE = "HasTargetConnectionNetworkType"
# The database-users provisioner's SQL and users (catalog/users_sql.py).
IS_POSTGRESQL = "IsPostgresql"
IS_MARIADB = "IsMariadb"
HAS_DATABASE_NAME = "HasDatabaseName"
HAS_ADMIN_SECRET_KEY = "HasAdminSecretKmsKey"
ANY_ROLE = "AnyUserHasRole"


def has_user(i: int) -> str | None:
    return None if i == 1 else f"HasUser{i}"


def has_description(i: int) -> str:
    return f"User{i}HasDescription"


def default_auth_type(i: int) -> str:
    return f"User{i}DefaultAuthType"


def uses_iam(i: int) -> str:
    return f"User{i}UsesIam"


def iam_user_before(i: int) -> str:
    """True when one of the users before slot i uses IAM auth (for the comma in a list)."""
    return uses_iam(1) if i == 2 else f"IamUserBefore{i}"


def has_role(i: int, role: str) -> str:
    """User i is there and has this role (``role``: a UserRole value)."""
    return f"User{i}Role{role.capitalize()}"


def has_any_role(i: int) -> str:
    return f"User{i}HasRole"


def md5_password(i: int) -> str:
    return f"User{i}Md5Password"


def migration_user_before(i: int) -> str:
    """True when one of the users before slot i has the migration role (for the comma in a list)."""
    return has_role(1, "migration") if i == 2 else f"MigrationUserBefore{i}"


def ref(parameter: str) -> dict[str, str]:
    return {"Ref": parameter}


def equals(parameter: str, value: str) -> dict[str, Any]:
    return {"Fn::Equals": [ref(parameter), value]}


def not_(expr: Any) -> dict[str, Any]:
    return {"Fn::Not": [expr]}


def is_set(parameter: str) -> dict[str, Any]:
    return not_(equals(parameter, ""))


def all_of(*exprs: Any) -> Any:
    return exprs[0] if len(exprs) == 1 else {"Fn::And": list(exprs)}


def any_of(*exprs: Any) -> Any:
    return exprs[0] if len(exprs) == 1 else {"Fn::Or": list(exprs)}


def cond(name: str) -> dict[str, str]:
    return {"Condition": name}


class Conditions:
    def __init__(self) -> None:
        self.exprs: dict[str, Any] = {}
        self._implies: dict[str, set[str]] = {}

    def add(self, name: str, expr: Any, implies: tuple[str | None, ...] = ()) -> str:
        self.exprs[name] = expr
        self._implies[name] = {name, *(c for c in implies if c)}
        return name

    def implies(self, stronger: str | None, weaker: str | None) -> bool:
        if weaker is None:
            return True
        if stronger is None:
            return False
        seen, todo = set(), [stronger]
        while todo:
            name = todo.pop()
            if name == weaker:
                return True
            if name not in seen:
                seen.add(name)
                todo += self._implies.get(name, ())
        return False

    def conjoin(self, first: str | None, second: str | None) -> str | None:
        if self.implies(first, second):
            return first
        if self.implies(second, first):
            return second
        name = f"{first}And{second}"
        if name not in self.exprs:
            self.add(name, all_of(cond(first), cond(second)), implies=(first, second))
        return name

    def used_by(self, tree: Any) -> dict[str, Any]:
        """The conditions ``tree`` refers to, with those they are built from, in sorted order."""
        wanted: set[str] = set()
        todo = _referenced(tree)
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo |= _referenced(self.exprs[name])
        return {name: self.exprs[name] for name in sorted(wanted)}


def _referenced(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Condition" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::If":
                found.add(value[0])
                found |= _referenced(value[1:])
            else:
                found |= _referenced(value)
    elif isinstance(node, list):
        for item in node:
            found |= _referenced(item)
    return found


def define() -> Conditions:
    c = Conditions()
    c.add(CREATE_KEY, equals(ph.KMS_KEY, ""))
    c.add(RETAIN, equals(ph.RETAIN, "true"))
    c.add(DO_NOT_RETAIN, not_(cond(RETAIN)))
    c.add(HAS_DATABASE_SECURITY_GROUP, is_set(ph.DATABASE_SECURITY_GROUP))
    c.add(IS_CLUSTER, is_set(ph.DB_CLUSTER))
    c.add(HAS_READ_ONLY_ENDPOINT, equals(ph.READ_ONLY_ENDPOINT, "true"))
    c.add(HAS_INIT_QUERY, is_set(ph.INIT_QUERY))
    c.add(HAS_SESSION_PINNING, is_set(ph.SESSION_PINNING))
    c.add(HAS_ALARMS, equals(ph.ALARMS, "true"))
    c.add(CREATE_ALARM_TOPIC, equals(ph.ALARM_TOPIC, ""))
    c.add(HAS_PERMISSIONS_BOUNDARY, is_set(ph.PERMISSIONS_BOUNDARY))
    c.add(HAS_ENDPOINT_NETWORK_TYPE, not_(equals(ph.ENDPOINT_NETWORK_TYPE, EndpointNetworkType.IPV4.value)))
    c.add(HAS_TARGET_CONNECTION_NETWORK_TYPE,
          not_(equals(ph.TARGET_CONNECTION_NETWORK_TYPE, TargetConnectionNetworkType.IPV4.value)))
    for i in slots(ph.USER_SLOTS):
        user = has_user(i)
        if user:
            c.add(user, is_set(ph.user_param(i, "Name")))
        slot_used = (cond(user),) if user else ()
        c.add(has_description(i), is_set(ph.user_param(i, "Description")))
        c.add(default_auth_type(i), equals(ph.user_param(i, "ClientPasswordAuthType"), ""))
        # The users the client policy lets connect (as config.rules.iam_users).
        iam = any_of(*(equals(ph.user_param(i, "IamAuth"), v.value) for v in (IamAuth.REQUIRED, IamAuth.ENABLED)))
        c.add(uses_iam(i), all_of(*slot_used, iam), implies=(user,))
        if i > 2:
            c.add(iam_user_before(i), any_of(*(cond(uses_iam(j)) for j in range(1, i))))
    c.add(ANY_IAM_USER, any_of(*(cond(uses_iam(i)) for i in slots(ph.USER_SLOTS))))
    c.add(IS_POSTGRESQL, equals(ph.ENGINE, EngineFamily.POSTGRESQL.value))
    c.add(IS_MARIADB, equals(ph.DATABASE_ENGINE, DatabaseEngine.MARIADB.value))
    c.add(HAS_DATABASE_NAME, is_set(ph.DATABASE_NAME))
    c.add(HAS_ADMIN_SECRET_KEY, is_set(ph.ADMIN_SECRET_KEY))
    for i in slots(ph.USER_SLOTS):
        user = has_user(i)
        slot_used = (cond(user),) if user else ()
        for role in UserRole:
            c.add(has_role(i, role.value), all_of(*slot_used, equals(ph.user_param(i, "Role"), role.value)),
                  implies=(user,))
        c.add(has_any_role(i), all_of(*slot_used, is_set(ph.user_param(i, "Role"))), implies=(user,))
        c.add(md5_password(i), all_of(*slot_used, equals(ph.user_param(i, "ClientPasswordAuthType"),
                                                         ClientPasswordAuthType.POSTGRES_MD5.value)), implies=(user,))
        if i > 2:
            c.add(migration_user_before(i), any_of(*(cond(has_role(j, UserRole.MIGRATION.value)) for j in range(1, i))))
    c.add(ANY_ROLE, any_of(*(cond(has_any_role(i)) for i in slots(ph.USER_SLOTS))))
    for slot in ph.all_slots():
        if slot.condition and slot.condition not in c.exprs:
            parameter = slot.tokens[0][2:-1]  # the first token names the slot's parameter
            c.add(slot.condition, is_set(parameter))
    return c
