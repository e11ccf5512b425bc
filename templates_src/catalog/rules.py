"""Template Rules: the cross-parameter checks CloudFormation (and Service Catalog) runs at launch.

The config's cross-key rules that Rules can state are stated from their data
(config/rules/cross_key.py, through ``cross_key``); the rest here are the product's own (its
slots, the engine's facts). Rules compare parameters with values, and with each other, for
equality only (Fn::Equals, Not, And, Or are used; Contains and EachMember... exist too, but AWS
documents them only in long form and this YAML is written in short form). What the params
validator checks and a Rule cannot:
- max idle connections <= max connections (numbers cannot be compared): said in the description;
- proxy name at most 60 characters with a read-only endpoint (no lengths): said in the description;
- two usernames that become one logical id (no string functions): the product's ids are its slots';
- a given KMS key in the stack's region (no string functions), CIDRs without host bits, the same
  range twice, subnets in two Availability Zones: RDS and EC2 refuse those at launch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ..config.rules.cross_key import RULES as CROSS_KEY_RULES
from ..config.rules.cross_key import CrossKeyRule
from ..config.product_settings import ProductSettings
from ..facts.aws import ENGINES, EndpointNetworkType, EngineFamily, IamAuth
from . import placeholders as ph
from .conditions import all_of, any_of, equals, is_set, not_, ref
from .cross_key import expression
from .parameters import PRODUCT_ENGINES
from .placeholders import slots
from .users_sql import ENGINES as PROVISIONER_ENGINES


def _each_user(check: Callable[[int], Any]) -> Any:
    """``check`` holds for every user slot: unused slots keep their defaults, which pass these."""
    return all_of(*(check(i) for i in slots(ph.USER_SLOTS)))


def _one_of(parameter: str, values: list[str]) -> Any:
    return any_of(*(equals(parameter, v) for v in values))


def _assert(expr: Any, description: str) -> dict[str, Any]:
    return {"Assert": expr, "AssertDescription": description}


def _engines(where: Callable[[EngineFamily], bool]) -> Any:
    return any_of(*(equals(ph.ENGINE, e.value) for e in PRODUCT_ENGINES if where(e)))


def _auth_types(engine: EngineFamily) -> dict[str, Any]:
    types = sorted(t.value for t in ENGINES[engine].auth_types)
    return {"RuleCondition": equals(ph.ENGINE, engine.value), "Assertions": [_assert(
        _each_user(lambda i: _one_of(ph.user_param(i, "ClientPasswordAuthType"), ["", *types])),
        f"{engine.value} users' password auth: empty or {', '.join(types)}.")]}


def _engine_rules(settings: ProductSettings) -> dict[str, Any]:
    """What the engine decides: password auth types, IAM auth values (when the product offers
    more than REQUIRED, which every engine takes), session pinning filters."""
    result = {f"{e.value.title()}PasswordAuth": _auth_types(e) for e in PRODUCT_ENGINES}
    for value in IamAuth if settings.waivers.iam_auth is not None else ():
        if not all(value in ENGINES[e].iam_auth_values for e in PRODUCT_ENGINES):
            result[f"IamAuth{value.value.title()}Engines"] = {
                "RuleCondition": _engines(lambda e: value not in ENGINES[e].iam_auth_values),
                "Assertions": [_assert(_each_user(lambda i: not_(equals(ph.user_param(i, "IamAuth"), value.value))),
                                       f"IAM auth {value.value} is only for "
                                       f"{', '.join(e.value for e in PRODUCT_ENGINES if value in ENGINES[e].iam_auth_values)}.")]}
    result["SessionPinningEngines"] = {
        "RuleCondition": _engines(lambda e: not ENGINES[e].session_pinning_filters),
        "Assertions": [_assert(equals(ph.SESSION_PINNING, ""), "Session pinning filters are only for " + ", ".join(
            e.value for e in PRODUCT_ENGINES if ENGINES[e].session_pinning_filters) + ".")]}
    result["DatabaseEngineOfTheFamily"] = {"Assertions": [_assert(
        any_of(*(all_of(equals(ph.ENGINE, family.value), equals(ph.DATABASE_ENGINE, engine.value))
                 for engine, family in PROVISIONER_ENGINES.items())),
        "Database engine: " + "; ".join(f"{e.value} on {f.value}" for e, f in PROVISIONER_ENGINES.items()) + ".")]}
    return result


def _shared(rule: CrossKeyRule, description: str) -> dict[str, Any]:
    """A cross-key rule of the config, stated for the launch."""
    said: dict[str, Any] = {"Assertions": [_assert(expression(rule.holds), description)]}
    condition = True if rule.when is None else expression(rule.when)
    if condition is not True:
        said["RuleCondition"] = condition
    return said


def _database_name(rule: CrossKeyRule, description: str) -> dict[str, Any]:
    """The grants' rule, and on PostgreSQL always: the function connects to the database."""
    assert rule.when is not None
    return {"Assertions": [_assert(any_of(expression(rule.holds), all_of(
        not_(equals(ph.ENGINE, EngineFamily.POSTGRESQL.value)), expression(rule.when, negated=True))), description)]}


# The config's cross-key rules as launch Rules, each in the launcher's words (and how, where the
# product adds to it); the rule on TLS only where the product offers RequireTLS false.
SAID: dict[str, tuple[str, Callable[[CrossKeyRule, str], dict[str, Any]]]] = {
    "ExactlyOneDatabase": ("Give a DB instance or a DB cluster, not both.", _shared),
    "ReadOnlyEndpointNeedsCluster": ("A read-only endpoint needs a DB cluster.", _shared),
    "ClientsAllowed": ("Give a client security group or CIDR.", _shared),
    "TlsWhileIamAuthRequired": ("IAM auth REQUIRED needs Require TLS (IAM tokens need TLS).", _shared),
    "DatabaseNameForGrants": ("Give the database name (PostgreSQL: always; any engine: when a user has a role).",
                              _database_name),
}
# The ones Rules cannot state (cross_key.Unsayable), and where the product says them instead.
SAID_ELSEWHERE = {
    "MaxIdleConnectionsWithinMax": f"the {ph.MAX_IDLE_CONNECTIONS} parameter's description",
}


def _shared_rules(settings: ProductSettings) -> dict[str, Any]:
    offered = {name for name in SAID if name != "TlsWhileIamAuthRequired" or settings.waivers.require_tls is not None}
    return {rule.name: SAID[rule.name][1](rule, SAID[rule.name][0]) for rule in CROSS_KEY_RULES if rule.name in offered}


def rules(settings: ProductSettings) -> dict[str, Any]:
    """The Rules of the product built with ``settings``: a rule about a value the product does not
    offer (RequireTLS false, IamAuth other than REQUIRED) could never apply, and is left out."""
    names = [ph.user_param(i, "Name") for i in slots(ph.USER_SLOTS)]
    result = {
        # Usernames become the env templates' logical ids, so the validator also refuses two that
        # become one (app_user, appUser: config.rules); the product's ids are its slots'.
        "UniqueUsernames": {"Assertions": [_assert(
            all_of(*(any_of(equals(b, ""), not_({"Fn::Equals": [ref(a), ref(b)]}))
                     for a, b in itertools.combinations(names, 2))),
            "Each database user is named once.")]},
        # An endpoint answers only on its network type's IP versions (RDS API CreateDBProxy), so a
        # client range of the other version would make a rule no connection can use.
        "ClientRangesReachTheEndpoint": {"Assertions": [
            _assert(any_of(not_(equals(ph.ENDPOINT_NETWORK_TYPE, EndpointNetworkType.IPV4.value)),
                           all_of(*(equals(ph.ipv6_cidr(i), "") for i in slots(ph.IPV6_CIDR_SLOTS)))),
                    "An IPv6 client CIDR needs Endpoint network type IPV6 or DUAL."),
            _assert(any_of(not_(equals(ph.ENDPOINT_NETWORK_TYPE, EndpointNetworkType.IPV6.value)),
                           all_of(*(equals(ph.ipv4_cidr(i), "") for i in slots(ph.IPV4_CIDR_SLOTS)))),
                    "An IPv4 client CIDR needs Endpoint network type IPV4 or DUAL."),
        ]},
        "TagValuesHaveKeys": {"Assertions": [_assert(
            all_of(*(any_of(is_set(ph.tag_key(i)), equals(ph.tag_value(i), "")) for i in slots(ph.TAG_SLOTS))),
            "A tag value needs its tag key.")]},
    }
    return {**result, **_shared_rules(settings), **_engine_rules(settings)}
