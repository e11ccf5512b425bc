"""Template Rules: the cross-parameter checks CloudFormation (and Service Catalog) runs at launch.

Rules compare parameters with values, and with each other, for equality only (Fn::Equals, Not,
And, Or are used; Contains and EachMember... exist too, but AWS documents them only in long form
and this YAML is written in short form). What the params validator checks and a Rule cannot:
- max idle connections <= max connections (numbers cannot be compared): said in the description;
- proxy name at most 60 characters with a read-only endpoint (no lengths): said in the description;
- a given KMS key in the stack's region (no string functions), CIDRs without host bits, the same
  range twice, subnets in two Availability Zones: RDS and EC2 refuse those at launch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ..facts.aws import ENGINES, EndpointNetworkType, EngineFamily, IamAuth, TargetConnectionNetworkType
from ..config.product_settings import ProductSettings
from .parameters import PRODUCT_ENGINES
from .users_sql import ENGINES as PROVISIONER_ENGINES
from . import placeholders as ph
from .conditions import all_of, any_of, equals, is_set, not_, ref
from .placeholders import slots


def _each_user(check: Callable[[int], Any], *, only_used: bool = False) -> Any:
    """``check`` holds for every user slot, or (``only_used``) for every slot with a username.
    Unused slots keep their defaults, which pass every check but the TLS one."""
    return all_of(*(check(i) if i == 1 or not only_used else any_of(equals(ph.user_param(i, "Name"), ""), check(i))
                    for i in slots(ph.USER_SLOTS)))


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


def rules(settings: ProductSettings) -> dict[str, Any]:
    """The Rules of the product built with ``settings``: a rule about a value the product does not
    offer (RequireTLS false, IamAuth other than REQUIRED) could never apply, and is left out."""
    names = [ph.user_param(i, "Name") for i in slots(ph.USER_SLOTS)]
    clients = [*(ph.client_security_group(i) for i in slots(ph.CLIENT_SECURITY_GROUP_SLOTS)),
               *(ph.ipv4_cidr(i) for i in slots(ph.IPV4_CIDR_SLOTS)),
               *(ph.ipv6_cidr(i) for i in slots(ph.IPV6_CIDR_SLOTS))]
    result = {
        "ExactlyOneDatabase": {"Assertions": [_assert(
            any_of(all_of(is_set(ph.DB_INSTANCE), equals(ph.DB_CLUSTER, "")),
                   all_of(equals(ph.DB_INSTANCE, ""), is_set(ph.DB_CLUSTER))),
            "Give a DB instance or a DB cluster, not both.")]},
        "ReadOnlyEndpointNeedsCluster": {
            "RuleCondition": equals(ph.READ_ONLY_ENDPOINT, "true"),
            "Assertions": [_assert(is_set(ph.DB_CLUSTER), "A read-only endpoint needs a DB cluster.")],
        },
        # The grants name the database (config.rules: users with a role need target.database_name),
        # and PostgreSQL's function connects to one.
        "DatabaseNameForGrants": {"Assertions": [_assert(
            any_of(is_set(ph.DATABASE_NAME),
                   all_of(not_(equals(ph.ENGINE, EngineFamily.POSTGRESQL.value)),
                          _each_user(lambda i: equals(ph.user_param(i, "Role"), ""), only_used=True))),
            "Give the database name (PostgreSQL: always; any engine: when a user has a role).")]},
        "UniqueUsernames": {"Assertions": [_assert(
            all_of(*(any_of(equals(b, ""), not_({"Fn::Equals": [ref(a), ref(b)]}))
                     for a, b in itertools.combinations(names, 2))),
            "Each database user is named once.")]},
        "ClientsAllowed": {"Assertions": [_assert(
            any_of(*(is_set(c) for c in clients)),
            "Give a client security group or CIDR.")]},
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
    if settings.waivers.require_tls is not None:
        result["TlsWhileIamAuthRequired"] = {
            "RuleCondition": equals(ph.REQUIRE_TLS, "false"),
            "Assertions": [_assert(
                _each_user(lambda i: not_(equals(ph.user_param(i, "IamAuth"), IamAuth.REQUIRED.value)), only_used=True),
                "IAM auth REQUIRED needs Require TLS (IAM tokens need TLS).")],
        }
    return {**result, **_engine_rules(settings)}
