"""Deploy-time parameters: which exist, and defaults equal to the environment's values."""

from __future__ import annotations

import pytest

from templates_src.builders import parameters

from .envs import CLUSTER, SUBNETS, VPC, make_cfg

COMMON = ["VpcId", "SubnetIds", "DatabasePort", "IdleClientTimeout", "MaxConnectionsPercent",
          "MaxIdleConnectionsPercent", "ConnectionBorrowTimeout", "LogRetentionInDays"]

VALUES = {
    "proxy": {"idle_client_timeout": 900, "log_retention_days": 365},
    "target": {"port": 3307},
    "pool": {"max_connections_percent": 80, "max_idle_connections_percent": 40, "connection_borrow_timeout": 30},
}


def _parameters(*overrides):
    return {p.title: p.to_dict() for p in parameters.build_parameters(make_cfg(*overrides))}


@pytest.mark.parametrize("overrides, target", [((), "DBInstanceIdentifier"), ((CLUSTER,), "DBClusterIdentifier")])
def test_which_parameters(overrides, target):
    assert sorted(_parameters(*overrides)) == sorted(COMMON + [target])


@pytest.mark.parametrize("overrides, expected", [
    ((VALUES,), {
        "VpcId": VPC, "SubnetIds": ",".join(SUBNETS), "DBInstanceIdentifier": "orders-test-db",
        "DatabasePort": "3307", "IdleClientTimeout": "900", "MaxConnectionsPercent": "80",
        "MaxIdleConnectionsPercent": "40", "ConnectionBorrowTimeout": "30", "LogRetentionInDays": "365",
    }),
    ((CLUSTER,), {
        "VpcId": VPC, "SubnetIds": ",".join(SUBNETS), "DBClusterIdentifier": "orders-test-aurora",
        "DatabasePort": "3306", "IdleClientTimeout": "1800", "MaxConnectionsPercent": "100",
        "MaxIdleConnectionsPercent": "50", "ConnectionBorrowTimeout": "120", "LogRetentionInDays": "30",
    }),
])
def test_defaults_are_the_env_values(overrides, expected):
    built = _parameters(*overrides)
    assert {name: p["Default"] for name, p in built.items()} == expected
    assert parameters.parameter_values(make_cfg(*overrides)) == expected


@pytest.mark.parametrize("name, kind, constraints", [
    ("VpcId", "AWS::EC2::VPC::Id", {}),
    ("SubnetIds", "List<AWS::EC2::Subnet::Id>", {}),
    ("DBInstanceIdentifier", "String", {"AllowedPattern": r"^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}(?<!-)$"}),
    ("DatabasePort", "Number", {"MinValue": 1150, "MaxValue": 65535}),
    ("IdleClientTimeout", "Number", {"MinValue": 1, "MaxValue": 28800}),
    ("MaxConnectionsPercent", "Number", {"MinValue": 1, "MaxValue": 100}),
    ("MaxIdleConnectionsPercent", "Number", {"MinValue": 0, "MaxValue": 100}),
    ("ConnectionBorrowTimeout", "Number", {"MinValue": 0, "MaxValue": 300}),
])
def test_types_and_constraints(name, kind, constraints):
    parameter = _parameters()[name]
    assert parameter["Type"] == kind
    assert parameter["Description"]
    for key, value in constraints.items():
        assert parameter[key] == value
    if constraints:
        assert parameter["ConstraintDescription"]


def test_log_retention_allows_only_cloudwatch_periods_as_text():
    allowed = _parameters()["LogRetentionInDays"]["AllowedValues"]
    assert allowed[:6] == ["1", "3", "5", "7", "14", "30"]
    assert "3653" in allowed and "2" not in allowed
    assert all(isinstance(v, str) for v in allowed)


def test_every_default_satisfies_its_own_constraints():
    for name, p in _parameters(VALUES).items():
        if "MinValue" in p:
            assert p["MinValue"] <= int(p["Default"]) <= p["MaxValue"], name
        if "AllowedValues" in p:
            assert p["Default"] in p["AllowedValues"], name
