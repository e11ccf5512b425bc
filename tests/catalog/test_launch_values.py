"""An env's values for the product's launch parameters (read through the keys they carry), and env
templates without any parameter."""

from __future__ import annotations

import pytest

from builders.envs import CLUSTER, PROVISIONER, SUBNETS, VPC, make_cfg
from templates_src.catalog import provisioning
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.unit

VALUES = {
    "proxy": {"idle_client_timeout": 900, "log_retention_days": 365},
    "target": {"port": 3307},
    "pool": {"max_connections_percent": 80, "max_idle_connections_percent": 40, "connection_borrow_timeout": 30},
}


ALARM_DEFAULTS = {"AlarmMinAvailabilityPercent": "95", "AlarmPoolSaturationPercent": "90", "AlarmPinnedPercent": "50",
                  "AlarmFailedLoginsPer5Minutes": "10", "AlarmDatabaseConnectionFailuresPer5Minutes": "0"}


@pytest.mark.parametrize("overrides, expected", [
    ((PROVISIONER, VALUES), {
        "VpcId": VPC, "SubnetIds": ",".join(SUBNETS), "DBInstanceIdentifier": "orders-test-db", "DBClusterIdentifier": "",
        "DatabasePort": "3307", "IdleClientTimeout": "900", "MaxConnectionsPercent": "80",
        "MaxIdleConnectionsPercent": "40", "ConnectionBorrowTimeout": "30", "LogRetentionInDays": "365",
        **ALARM_DEFAULTS, "AlarmBorrowLatencyMs": "3000",  # a tenth of the 30 s borrow timeout
    }),
    ((PROVISIONER, CLUSTER), {
        "VpcId": VPC, "SubnetIds": ",".join(SUBNETS), "DBInstanceIdentifier": "", "DBClusterIdentifier": "orders-test-aurora",
        "DatabasePort": "3306", "IdleClientTimeout": "1800", "MaxConnectionsPercent": "100",
        "MaxIdleConnectionsPercent": "50", "ConnectionBorrowTimeout": "120", "LogRetentionInDays": "365",
        **ALARM_DEFAULTS, "AlarmBorrowLatencyMs": "12000",
    }),
])
def test_provisioning_values_are_the_env_values(overrides, expected):
    values = provisioning.provisioning_values(make_cfg(*overrides))
    assert {name: values[name] for name in expected} == expected


@pytest.mark.parametrize("overrides", [(), (CLUSTER,), (VALUES,)])
def test_env_templates_have_no_parameters_and_carry_every_value(overrides):
    """What is deployed is what the params say, whichever way it is deployed: no Parameter a
    deployer (or `aws cloudformation deploy`'s reuse of previous values) could change."""
    cfg = make_cfg(*overrides)
    body = build_template(cfg).to_dict()
    assert "Parameters" not in body
    assert "AWS::CloudFormation::Interface" not in body.get("Metadata", {})
    text = repr(body)
    assert "'Ref': 'VpcId'" not in text and "'Ref': 'SubnetIds'" not in text
    resources = body["Resources"]
    proxy = resources["Proxy"]["Properties"]
    assert proxy["VpcSubnetIds"] == list(cfg.network.subnet_ids)
    assert proxy["IdleClientTimeout"] == cfg.proxy.idle_client_timeout
    pool = resources["ProxyTargetGroup"]["Properties"]["ConnectionPoolConfigurationInfo"]
    assert pool == {"MaxConnectionsPercent": cfg.pool.max_connections_percent,
                    "MaxIdleConnectionsPercent": cfg.pool.max_idle_connections_percent,
                    "ConnectionBorrowTimeout": cfg.pool.connection_borrow_timeout}
    assert resources["ProxyLogGroup"]["Properties"]["RetentionInDays"] == cfg.proxy.log_retention_days
    assert resources["ProxySecurityGroup"]["Properties"]["VpcId"] == cfg.network.vpc_id
    assert resources["ProxySecurityGroup"]["Properties"]["SecurityGroupEgress"][0]["FromPort"] == cfg.target.port
