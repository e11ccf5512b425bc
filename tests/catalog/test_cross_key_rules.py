"""The config's cross-key rules, stated once (config/cross_key_rules.py): the validator's verdict on
an env and the product's launch Rules on its provisioning values agree, and every rule is either
a launch Rule or said in the product in words."""

from __future__ import annotations

from typing import Any

import pytest

from templates_src.catalog import cross_key, provisioning, rules as product_rules
from templates_src.catalog import placeholders as ph
from templates_src.catalog.resolve import Resolver
from templates_src.config.rules import cross_key as cross_key_rules
from templates_src.config.rules.cross_key import (RULES, AllOf, AnyOf, EachUser, ExactlyOne, Given, Is, Not, SomeUser,
                                                  holds)
from templates_src.config.schema.model import EnvConfig
from templates_src.facts.aws import IamAuth

from .helpers import WAIVED, dev, examples, product_body, variants

pytestmark = pytest.mark.unit

SAID = [rule for rule in RULES if rule.name in product_rules.SAID]


def test_each_rule_is_a_launch_rule_or_said_in_words() -> None:
    assert {rule.name for rule in RULES} == set(product_rules.SAID) | set(product_rules.SAID_ELSEWHERE)
    assert not set(product_rules.SAID) & set(product_rules.SAID_ELSEWHERE)
    body = product_body(WAIVED)
    assert {rule.name for rule in SAID} <= set(body["Rules"])
    for rule in RULES:
        if rule.name in product_rules.SAID_ELSEWHERE:
            with pytest.raises(cross_key.Unsayable):
                cross_key.expression(rule.holds)
    assert "At most Max connections" in body["Parameters"][ph.MAX_IDLE_CONNECTIONS]["Description"]


def test_the_tls_rule_only_where_the_product_offers_tls_off() -> None:
    assert "TlsWhileIamAuthRequired" not in product_body()["Rules"]
    assert "TlsWhileIamAuthRequired" in product_body(WAIVED)["Rules"]


def _breaks(cfg: EnvConfig) -> set[str]:
    """The shared rules the validator finds broken."""
    return {rule.name for rule in RULES if (rule.when is None or holds(rule.when, cfg)) and not holds(rule.holds, cfg)}


def _refused(cfg: EnvConfig) -> set[str]:
    """The shared rules whose launch Rule refuses the env's provisioning values."""
    body = product_body(WAIVED)
    resolver = Resolver(body, provisioning.provisioning_values(cfg))
    refused = set()
    for rule in SAID:
        said: dict[str, Any] = body["Rules"][rule.name]
        if "RuleCondition" in said and not resolver.test(said["RuleCondition"]):
            continue
        if not all(resolver.test(a["Assert"]) for a in said["Assertions"]):
            refused.add(rule.name)
    return refused


def _broken(**changes: dict[str, Any]) -> EnvConfig:
    """dev with sections changed past the validator (``target={"read_only_endpoint": True}``)."""
    cfg = dev()
    for section, values in changes.items():
        cfg = ph.replace(cfg, section, **values)
    return cfg


BROKEN = {
    "both-databases": (_broken(target={"db_cluster_identifier": "orders-aurora"}), {"ExactlyOneDatabase"}),
    "no-database": (_broken(target={"db_instance_identifier": None}), {"ExactlyOneDatabase"}),
    "read-only-on-an-instance": (_broken(target={"read_only_endpoint": True}), {"ReadOnlyEndpointNeedsCluster"}),
    "tls-off-with-iam-users": (_broken(proxy={"require_tls": False}), {"TlsWhileIamAuthRequired"}),
    "no-clients": (_broken(network={"client_security_group_ids": (), "allowed_cidrs": ()}), {"ClientsAllowed"}),
    "roles-without-database": (_broken(target={"database_name": None}), {"DatabaseNameForGrants"}),
    "idle-above-max": (_broken(pool={"max_connections_percent": 40, "max_idle_connections_percent": 41}),
                       {"MaxIdleConnectionsWithinMax"}),
}


@pytest.mark.parametrize("cfg", [*examples(), *variants()], ids=lambda c: c.env)
def test_valid_envs_break_no_rule_on_either_side(cfg: EnvConfig) -> None:
    assert _breaks(cfg) == set() and _refused(cfg) == set()


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_validator_and_the_launch_rules_agree_on_a_broken_env(case: str) -> None:
    cfg, expected = BROKEN[case]
    assert _breaks(cfg) == expected
    assert _refused(cfg) == expected & set(product_rules.SAID)


def _iam_users() -> str:
    return ", ".join(u.username for u in dev().users if u.iam_auth is IamAuth.REQUIRED)


def test_the_validator_words_each_rule_as_before() -> None:
    """The words of config/rules.py before the rules became data (the bad-params table holds them
    with files and lines)."""
    said = {}
    for case, (cfg, _) in BROKEN.items():
        cross_key_rules.check(cfg, lambda path, message, case=case: said.setdefault(case, (path, message)))
    assert said == {
        "both-databases": (("target", "db_cluster_identifier"),
                           "give db_instance_identifier or db_cluster_identifier, not both"),
        "no-database": (("target",), "missing db_instance_identifier or db_cluster_identifier (exactly one is required)"),
        "read-only-on-an-instance": (("target", "read_only_endpoint"), "a READ_ONLY endpoint needs a cluster target "
                                                                       "(db_cluster_identifier); RDS instances have none"),
        "tls-off-with-iam-users": (("proxy", "require_tls"), "must be true while users have iam_auth REQUIRED "
                                   f"({_iam_users()}): IAM tokens only work over TLS"),
        "no-clients": (("network", "client_security_group_ids"),
                       "at least one client security group is required unless allowed_cidrs is given"),
        "roles-without-database": (("target", "database_name"),
                                   "missing: users with a role or privileges need the database to grant on"),
        "idle-above-max": (("pool", "max_idle_connections_percent"), "41 is above pool.max_connections_percent (40)"),
    }


def test_an_absent_user_iam_auth_is_the_proxys() -> None:
    cfg = _broken(proxy={"iam_auth": IamAuth.DISABLED})
    cfg = ph.with_user(cfg, 1, iam_auth=None)
    assert not holds(Is("users[].iam_auth", IamAuth.REQUIRED), cfg, 0)
    assert holds(Is("users[].iam_auth", IamAuth.DISABLED), cfg, 0)


@pytest.mark.parametrize("expr, expected", [
    (Given("network.client_security_group_ids"),
     {"Fn::Or": [{"Fn::Not": [{"Fn::Equals": [{"Ref": ph.client_security_group(i)}, ""]}]}
                 for i in ph.slots(ph.CLIENT_SECURITY_GROUP_SLOTS)]}),
    (Not(Given("target.database_name")), {"Fn::Equals": [{"Ref": ph.DATABASE_NAME}, ""]}),
    (Is("proxy.require_tls", False), {"Fn::Equals": [{"Ref": ph.REQUIRE_TLS}, "false"]}),
    (Is("network.create_security_group", True), True),  # the product always builds its group
    (AnyOf((Given("users[].privileges"), Given("target.db_cluster_identifier"))),
     {"Fn::Not": [{"Fn::Equals": [{"Ref": ph.DB_CLUSTER}, ""]}]}),  # no privileges in the product
    (AllOf((Given("users[].privileges"), Given("target.db_cluster_identifier"))), False),
    (SomeUser(Given("users[].role")), {"Fn::Or": [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "User1Role"}, ""]}]},
        *({"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": f"User{i}Name"}, ""]}]},
                       {"Fn::Not": [{"Fn::Equals": [{"Ref": f"User{i}Role"}, ""]}]}]} for i in range(2, ph.USER_SLOTS + 1)),
    ]}),
    (Not(EachUser(Not(Given("users[].role")))), "same as SomeUser"),
    (Not(ExactlyOne("target.db_instance_identifier", "target.db_cluster_identifier")), {"Fn::Or": [
        {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": ph.DB_INSTANCE}, ""]}]},
                     {"Fn::Not": [{"Fn::Equals": [{"Ref": ph.DB_CLUSTER}, ""]}]}]},
        {"Fn::And": [{"Fn::Equals": [{"Ref": ph.DB_INSTANCE}, ""]}, {"Fn::Equals": [{"Ref": ph.DB_CLUSTER}, ""]}]},
    ]}),
])
def test_rule_expressions_in_rules_functions(expr: Any, expected: Any) -> None:
    if expected == "same as SomeUser":
        expected = cross_key.expression(SomeUser(Given("users[].role")))
    assert cross_key.expression(expr) == expected


def test_a_key_the_product_neither_carries_nor_fixes_cannot_be_said() -> None:
    with pytest.raises(KeyError, match="secrets.rotation_days"):
        cross_key.expression(Given("secrets.rotation_days"))
