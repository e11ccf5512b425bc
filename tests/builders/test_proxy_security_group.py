"""The proxy's security group: clients in on the engine port, out only to the database port."""

from __future__ import annotations

import pytest

from templates_src.builders import security_groups

from .envs import (ANY_DATABASE_ADDRESS, CLIENT_SG, DB_SG, OTHER_CLIENT_SG, POSTGRES, SQLSERVER, VPC, by_title, get_att,
                   make_cfg, props, ref)

pytestmark = pytest.mark.unit

PROXY_GROUP_ID = get_att("ProxySecurityGroup", "GroupId")


def _rules(*overrides):
    return by_title(security_groups.build_proxy_groups(make_cfg(*overrides)))


def _of_type(resources, kind):
    return {title: r.to_dict()["Properties"] for title, r in resources.items() if r.to_dict()["Type"] == kind}


def _client_ingress(resources):
    """The rules on the proxy's group (the database's group gets one from the proxy as well)."""
    return {t: r for t, r in _of_type(resources, "AWS::EC2::SecurityGroupIngress").items() if t.startswith("ProxyIngress")}


def test_group_allows_no_outbound_but_the_explicit_rule():
    group = props(_rules()["ProxySecurityGroup"])
    assert group["VpcId"] == VPC
    assert group["GroupDescription"] == "RDS Proxy orders-test (test)"
    # One inline rule, to the database port: naming it removes the default allow-all egress, and
    # no placeholder rule is needed for that (AWS::EC2::SecurityGroup, SecurityGroupEgress).
    assert group["SecurityGroupEgress"] == [{
        "DestinationSecurityGroupId": DB_SG, "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
        "Description": "Proxy to the database port",
    }]
    assert "SecurityGroupIngress" not in group
    assert {"Key": "Name", "Value": "orders-test-proxy"} in group["Tags"]
    assert "Metadata" not in _rules()["ProxySecurityGroup"].to_dict()  # nothing waived


def test_egress_to_any_address_records_its_waiver_where_guard_and_the_policies_read_it():
    group = _rules(ANY_DATABASE_ADDRESS)["ProxySecurityGroup"].to_dict()
    assert group["Properties"]["SecurityGroupEgress"][0]["CidrIp"] == "0.0.0.0/0"
    assert group["Metadata"] == {
        "RdsProxyCfn": {"Waivers": {"no_world_open_egress": "database range not fixed yet (TICKET-9)"}},
        "guard": {"SuppressedRules": ["EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE"]},
    }


@pytest.mark.parametrize("engine, database_port, listen_port", [
    ({}, 3306, 3306),
    ({}, 3307, 3306),
    (POSTGRES, 5432, 5432),
    (POSTGRES, 5433, 5432),
    (SQLSERVER, 1433, 1433),
    (SQLSERVER, 1500, 1433),
])
def test_client_ingress_uses_the_engine_port_whatever_the_database_port(engine, database_port, listen_port):
    cfg = make_cfg(engine, {"target": {"port": database_port}})
    assert security_groups.proxy_port(cfg) == listen_port
    ingress = _client_ingress(by_title(security_groups.build_proxy_groups(cfg)))
    assert ingress == {"ProxyIngressFromSg0a1b2c3d4e5f60733": {
        "GroupId": PROXY_GROUP_ID, "IpProtocol": "tcp", "FromPort": listen_port, "ToPort": listen_port,
        "SourceSecurityGroupId": CLIENT_SG, "Description": f"Clients in {CLIENT_SG} to the proxy",
    }}


def test_one_ingress_rule_per_client_group():
    ingress = _client_ingress(_rules({"network": {"client_security_group_ids": [CLIENT_SG, OTHER_CLIENT_SG]}}))
    assert {t: r["SourceSecurityGroupId"] for t, r in ingress.items()} == {
        "ProxyIngressFromSg0a1b2c3d4e5f60733": CLIENT_SG,
        "ProxyIngressFromSg0a1b2c3d4e5f60799": OTHER_CLIENT_SG,
    }


@pytest.mark.parametrize("cidr, title, family, other", [
    ("10.20.0.0/16", "ProxyIngressFromCidr10D20D0D0P16", "CidrIp", "CidrIpv6"),
    ("192.168.1.7/32", "ProxyIngressFromCidr192D168D1D7P32", "CidrIp", "CidrIpv6"),
    ("2001:db8::/32", "ProxyIngressFromCidr2001Cdb8CCP32", "CidrIpv6", "CidrIp"),
])
def test_one_ingress_rule_per_cidr(cidr, title, family, other):
    ingress = _of_type(_rules({"network": {"allowed_cidrs": [cidr], "endpoint_network_type": "DUAL"}}),
                       "AWS::EC2::SecurityGroupIngress")
    rule = ingress[title]
    assert rule[family] == cidr
    assert other not in rule and "SourceSecurityGroupId" not in rule
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 3306, 3306)
    assert rule["GroupId"] == PROXY_GROUP_ID
    assert rule["Description"] == f"Clients in {cidr} to the proxy"


def test_cidrs_only_without_client_groups():
    cfg = make_cfg({"network": {"client_security_group_ids": [], "allowed_cidrs": ["10.0.0.0/8", "fd00::/8"],
                                "endpoint_network_type": "DUAL"}})
    ingress = _client_ingress(by_title(security_groups.build_proxy_groups(cfg)))
    assert sorted(ingress) == ["ProxyIngressFromCidr10D0D0D0P8", "ProxyIngressFromCidrfd00CCP8"]


_DATABASE_RANGE = {"network": {"database_security_group_id": None, "database_cidr": "10.20.0.0/22"}}


@pytest.mark.parametrize("overrides, destination", [
    ((ANY_DATABASE_ADDRESS,), {"CidrIp": "0.0.0.0/0"}),
    ((), {"DestinationSecurityGroupId": DB_SG}),
    ((_DATABASE_RANGE,), {"CidrIp": "10.20.0.0/22"}),
    (({"network": {"database_security_group_id": None, "database_cidr": "2001:db8:20::/56",
                   "target_connection_network_type": "IPV6"}},),
     {"CidrIpv6": "2001:db8:20::/56"}),
])
def test_egress_only_to_the_database_port(overrides, destination):
    rules = _rules({"target": {"port": 3307}}, *overrides)
    assert _of_type(rules, "AWS::EC2::SecurityGroupEgress") == {}
    assert props(rules["ProxySecurityGroup"])["SecurityGroupEgress"] == [{
        "IpProtocol": "tcp", "FromPort": 3307, "ToPort": 3307,
        "Description": "Proxy to the database port", **destination,
    }]


def test_database_ingress_only_with_the_database_group():
    assert "DatabaseIngressFromProxy" not in _rules(ANY_DATABASE_ADDRESS)
    assert "DatabaseIngressFromProxy" not in _rules(_DATABASE_RANGE)
    rule = props(_rules()["DatabaseIngressFromProxy"])
    assert rule == {
        "GroupId": DB_SG, "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
        "SourceSecurityGroupId": PROXY_GROUP_ID, "Description": "RDS Proxy orders-test to the database",
    }


@pytest.mark.parametrize("overrides", [
    (),
    ({"network": {"database_security_group_id": DB_SG, "allowed_cidrs": ["10.1.0.0/16", "2001:db8::/48"],
                  "endpoint_network_type": "DUAL"}},),
])
def test_every_rule_is_described_and_none_is_world_open(overrides):
    for title, resource in _rules(*overrides).items():
        body = props(resource)
        rules = body.get("SecurityGroupEgress", []) if title == "ProxySecurityGroup" else [body]
        for rule in rules:
            assert rule["Description"], title
        if resource.to_dict()["Type"] == "AWS::EC2::SecurityGroupIngress":
            assert body.get("CidrIp") != "0.0.0.0/0" and body.get("CidrIpv6") != "::/0"
