"""Cross-key rules stated as data, once for the validator and the Service Catalog product.

Each rule says in terms of keys (``key_paths``) what must hold, where (``when``), and how the
validator words a config that breaks it. ``check`` runs them with the validator's other rules
(``rules.RULES``); the product states the same rules to CloudFormation as launch Rules of the
same names (catalog/cross_key.py puts each key's parameter in its place). A rule can say: a key
is given, or has a value; not, all of, any of; for each user, for some user; exactly one of two
keys is given; a number is at most another key's (which Rules cannot say: the product says it in
words).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from ...facts.aws import IamAuth
from ..errors import KeyPath
from ..schema.key_paths import ITEM, inherited_from, value_at
from ..schema.model import EnvConfig, UserParams

Report = Callable[[KeyPath, str], None]


@dataclass(frozen=True)
class Given:
    """The key has a value: it is not absent, nor an empty list."""

    path: str


@dataclass(frozen=True)
class Is:
    """The key has this value (an absent one: the value of the key its derived note names)."""

    path: str
    value: Any


@dataclass(frozen=True)
class Not:
    expr: Expr


@dataclass(frozen=True)
class AllOf:
    exprs: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    exprs: tuple[Expr, ...]


@dataclass(frozen=True)
class EachUser:
    """``expr`` holds for every user (its ``users[]`` keys read that user's)."""

    expr: Expr


@dataclass(frozen=True)
class SomeUser:
    expr: Expr


@dataclass(frozen=True)
class ExactlyOne:
    """One of the two keys is given, not both."""

    first: str
    second: str


@dataclass(frozen=True)
class AtMost:
    """The key's number, when given, is at most the other key's."""

    path: str
    bound: str


Expr = Union[Given, Is, Not, AllOf, AnyOf, EachUser, SomeUser, ExactlyOne, AtMost]


@dataclass(frozen=True)
class CrossKeyRule:
    name: str  # a stable id: the product's launch Rule of the same name says the same
    holds: Expr
    # Where and in what words the validator reports a config that breaks the rule.
    explain: Callable[[EnvConfig], tuple[KeyPath, str]]
    when: Expr | None = None  # None: everywhere


def _value(cfg: EnvConfig, path: str, user: int | None) -> Any:
    value = value_at(cfg, path, user)
    if value is None and (source := inherited_from(path)):
        return value_at(cfg, source, user)
    return value


def _given(cfg: EnvConfig, path: str, user: int | None) -> bool:
    return _value(cfg, path, user) not in (None, (), "")


def holds(expr: Expr, cfg: EnvConfig, user: int | None = None) -> bool:
    """Whether ``expr`` holds for the config (``user``: the index ``users[]`` keys read)."""
    match expr:
        case Given(path):
            return _given(cfg, path, user)
        case Is(path, value):
            return _value(cfg, path, user) == value
        case Not(inner):
            return not holds(inner, cfg, user)
        case AllOf(exprs):
            return all(holds(e, cfg, user) for e in exprs)
        case AnyOf(exprs):
            return any(holds(e, cfg, user) for e in exprs)
        case EachUser(inner):
            return all(holds(inner, cfg, i) for i in range(len(cfg.users)))
        case SomeUser(inner):
            return any(holds(inner, cfg, i) for i in range(len(cfg.users)))
        case ExactlyOne(first, second):
            return _given(cfg, first, user) != _given(cfg, second, user)
        case AtMost(path, bound):
            value = _value(cfg, path, user)
            return value is None or value <= _value(cfg, bound, user)
    raise TypeError(f"not a rule expression: {expr!r}")


def users_where(cfg: EnvConfig, expr: Expr) -> list[UserParams]:
    return [user for index, user in enumerate(cfg.users) if holds(expr, cfg, index)]


def key_path(path: str) -> KeyPath:
    """A path without items as the validator reports it: ``("pool", "init_query")``."""
    assert ITEM not in path, path
    return tuple(path.split("."))


def said(path: KeyPath, message: str) -> Callable[[EnvConfig], tuple[KeyPath, str]]:
    return lambda cfg: (path, message)


def _both_or_neither(rule: ExactlyOne, both: str, neither: str) -> Callable[[EnvConfig], tuple[KeyPath, str]]:
    """Both given: reported on the second key; neither: on their section."""
    second = key_path(rule.second)
    return lambda cfg: (second, both) if _given(cfg, rule.first, None) else (second[:-1], neither)


def _above(rule: AtMost) -> Callable[[EnvConfig], tuple[KeyPath, str]]:
    return lambda cfg: (key_path(rule.path), f"{value_at(cfg, rule.path)} is above {rule.bound} "
                                              f"({value_at(cfg, rule.bound)})")


ONE_DATABASE = ExactlyOne("target.db_instance_identifier", "target.db_cluster_identifier")
IDLE_WITHIN_MAX = AtMost("pool.max_idle_connections_percent", "pool.max_connections_percent")
IAM_AUTH_REQUIRED = Is("users[].iam_auth", IamAuth.REQUIRED)

RULES: tuple[CrossKeyRule, ...] = (
    CrossKeyRule("ExactlyOneDatabase", ONE_DATABASE, _both_or_neither(
        ONE_DATABASE, both="give db_instance_identifier or db_cluster_identifier, not both",
        neither="missing db_instance_identifier or db_cluster_identifier (exactly one is required)")),
    CrossKeyRule("ReadOnlyEndpointNeedsCluster", Given("target.db_cluster_identifier"), said(
        ("target", "read_only_endpoint"),
        "a READ_ONLY endpoint needs a cluster target (db_cluster_identifier); RDS instances have none"),
        when=Is("target.read_only_endpoint", True)),
    CrossKeyRule("MaxIdleConnectionsWithinMax", IDLE_WITHIN_MAX, _above(IDLE_WITHIN_MAX)),
    # IAM tokens only work over TLS.
    CrossKeyRule("TlsWhileIamAuthRequired", EachUser(Not(IAM_AUTH_REQUIRED)), lambda cfg: (
        ("proxy", "require_tls"), "must be true while users have iam_auth REQUIRED "
        f"({', '.join(u.username for u in users_where(cfg, IAM_AUTH_REQUIRED))}): IAM tokens only work over TLS"),
        when=Is("proxy.require_tls", False)),
    # Without the stack's own group, the groups given decide who connects (security_group_rules).
    CrossKeyRule("ClientsAllowed", AnyOf((Given("network.client_security_group_ids"), Given("network.allowed_cidrs"))),
                 said(("network", "client_security_group_ids"),
                      "at least one client security group is required unless allowed_cidrs is given"),
                 when=Is("network.create_security_group", True)),
    # The grants name the database.
    CrossKeyRule("DatabaseNameForGrants", Given("target.database_name"), said(
        ("target", "database_name"), "missing: users with a role or privileges need the database to grant on"),
        when=SomeUser(AnyOf((Given("users[].role"), Given("users[].privileges"))))),
)


def check(cfg: EnvConfig, report: Report) -> None:
    """Report each rule the config breaks (run with ``rules.RULES``, on the unresolved config)."""
    for rule in RULES:
        if (rule.when is None or holds(rule.when, cfg)) and not holds(rule.holds, cfg):
            report(*rule.explain(cfg))
