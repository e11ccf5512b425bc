"""Extra endpoints (``endpoints:``) and the read-only endpoint (``target.read_only_endpoint``), one
builder for both: resources, outputs, rules, DEPLOY.md and what an update does."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cfn_flip import load_yaml

from builders.envs import CLIENT_SG, CLUSTER, PROVISIONER, PROXY_NAME, SQLSERVER, SUBNETS, get_att, make_cfg, props, ref
from templates_src.facts import aws as facts
from templates_src.checks import lint as checks
from templates_src.render import files as render
from templates_src.builders import endpoints, names
from templates_src.builders.endpoints import build_endpoints
from templates_src.catalog import provisioning
from templates_src.config import ParamsErrors
from templates_src.impact.analysis import Action, analyse
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.unit

OTHER_VPC = "vpc-0f60718293a4b5c6d"
OTHER_SUBNETS = ["subnet-0f60718293a4b5c11", "subnet-0f60718293a4b5c22"]
OTHER_SG = "sg-0f60718293a4b5c33"
READ_ONLY = {"target": {"read_only_endpoint": True}}


def _endpoint(**changes: Any) -> dict[str, Any]:
    return {"endpoints": [{"name": "orders-test-apps", "vpc_id": OTHER_VPC, "subnet_ids": OTHER_SUBNETS,
                           "client_security_group_ids": [OTHER_SG], **changes}]}


def _errors(*overrides: dict[str, Any]) -> list[tuple[tuple, str]]:
    with pytest.raises(ParamsErrors) as raised:
        make_cfg(*overrides)
    return [(e.path, e.message) for e in raised.value.errors]


@pytest.mark.parametrize("overrides", [(), (CLUSTER,)])
def test_no_read_only_endpoint_unless_asked(overrides: tuple[dict[str, Any], ...]) -> None:
    cfg = make_cfg(*overrides)
    assert cfg.stack_endpoints == () and build_endpoints(cfg) == []


def test_the_read_only_endpoint_is_in_the_proxys_subnets_behind_its_groups_under_its_first_id() -> None:
    [endpoint] = build_endpoints(make_cfg(CLUSTER, READ_ONLY))
    body = endpoint.to_dict()
    assert endpoint.title == "ProxyReadOnlyEndpoint"
    assert body["DependsOn"] == ["ProxyTargetGroup"]
    assert body["Properties"] == {
        "DBProxyEndpointName": f"{PROXY_NAME}-ro",
        "DBProxyName": ref("Proxy"),
        "TargetRole": "READ_ONLY",
        "VpcSubnetIds": SUBNETS,
        "VpcSecurityGroupIds": [get_att("ProxySecurityGroup", "GroupId")],
        "Tags": [{"Key": "Environment", "Value": "test"}],
    }


def test_the_read_only_endpoint_and_an_entry_go_through_the_one_endpoint_builder(monkeypatch) -> None:
    built: dict[str, list[str]] = {}
    one_endpoint = endpoints.build_endpoint

    def recording(cfg: Any, endpoint: Any) -> list[Any]:
        resources = one_endpoint(cfg, endpoint)
        built[endpoint.name] = [r.title for r in resources]
        return resources

    monkeypatch.setattr(endpoints, "build_endpoint", recording)
    template = build_template(make_cfg(CLUSTER, READ_ONLY, _endpoint())).to_dict()
    assert built == {f"{PROXY_NAME}-ro": ["ProxyReadOnlyEndpoint"],
                     "orders-test-apps": ["EndpointOrdersTestAppsSecurityGroup",
                                          "EndpointOrdersTestAppsIngressFromSg0f60718293a4b5c33",
                                          "EndpointOrdersTestApps"]}
    # No other builder makes an endpoint.
    made = {t for t, r in template["Resources"].items() if r["Type"] == "AWS::RDS::DBProxyEndpoint"}
    assert made == {"ProxyReadOnlyEndpoint", "EndpointOrdersTestApps"}


def test_the_read_only_endpoint_follows_target_read_only_endpoint_when_read() -> None:
    cfg = make_cfg(CLUSTER, READ_ONLY, {"network": {"endpoint_network_type": "DUAL"}}, _endpoint())
    read_only, entry = cfg.stack_endpoints
    assert (read_only.name, read_only.target_role.value, read_only.shares_proxy_network) == \
        (f"{PROXY_NAME}-ro", "READ_ONLY", True)
    assert (read_only.subnet_ids, read_only.vpc_id, read_only.endpoint_network_type) == \
        (cfg.network.subnet_ids, cfg.network.vpc_id, cfg.network.endpoint_network_type)
    assert (entry.name, entry.shares_proxy_network, entry.vpc_id) == ("orders-test-apps", False, OTHER_VPC)
    # Not frozen in by resolve: a config changed afterwards (the product's variants) has its own.
    without = dataclasses.replace(cfg, target=dataclasses.replace(cfg.target, read_only_endpoint=False))
    assert without.stack_endpoints == (entry,)
    assert {r.title for r in build_endpoints(without)} == {r.title for r in build_endpoints(cfg)} - {"ProxyReadOnlyEndpoint"}


def test_only_an_entry_has_a_security_group_output_and_the_read_only_endpoint_keeps_its_export() -> None:
    outputs = build_template(make_cfg(CLUSTER, READ_ONLY, _endpoint())).to_dict()["Outputs"]
    assert outputs["ProxyReadOnlyEndpoint"] == {
        "Description": "Read-only endpoint (Aurora readers)",
        "Value": get_att("ProxyReadOnlyEndpoint", "Endpoint"),
        "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-ProxyReadOnlyEndpoint"}}}
    assert [n for n in outputs if "SecurityGroupId" in n] == ["ProxySecurityGroupId", "EndpointOrdersTestAppsSecurityGroupId"]


def test_an_endpoint_in_another_vpc_has_its_group_there_and_lets_only_its_clients_in() -> None:
    cfg = make_cfg(_endpoint(allowed_cidrs=["10.50.0.0/16"]))
    resources = {r.title: r for r in build_endpoints(cfg)}
    endpoint = props(resources["EndpointOrdersTestApps"])
    assert endpoint["DBProxyEndpointName"] == "orders-test-apps"
    assert endpoint["DBProxyName"] == {"Ref": names.PROXY} and endpoint["TargetRole"] == "READ_WRITE"
    assert endpoint["VpcSubnetIds"] == OTHER_SUBNETS
    assert endpoint["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["EndpointOrdersTestAppsSecurityGroup", "GroupId"]}]
    assert "EndpointNetworkType" not in endpoint  # the default, left out as on the proxy
    assert resources["EndpointOrdersTestApps"].to_dict()["DependsOn"] == [names.TARGET_GROUP]
    group = props(resources["EndpointOrdersTestAppsSecurityGroup"])
    assert group["VpcId"] == OTHER_VPC
    # One rule, so no default allow-all egress; TCP on the proxy's port to loopback: nothing leaves.
    assert group["SecurityGroupEgress"] == [{
        "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "CidrIp": "127.0.0.1/32",
        "Description": "No outbound path (loopback only): the endpoint only answers its clients"}]
    ingress = {t: props(r) for t, r in resources.items() if r.resource_type == "AWS::EC2::SecurityGroupIngress"}
    assert sorted((r.get("SourceSecurityGroupId") or r.get("CidrIp"), r["FromPort"]) for r in ingress.values()) == \
        [("10.50.0.0/16", 3306), (OTHER_SG, 3306)]
    # Nothing of the endpoint touches the proxy's own group or its clients.
    assert all(r["GroupId"] == {"Fn::GetAtt": ["EndpointOrdersTestAppsSecurityGroup", "GroupId"]}
               for r in ingress.values())


def test_the_endpoint_groups_egress_rule_is_on_the_proxys_port_and_passes_the_egress_policies() -> None:
    from templates_src.checks.policies import rules as policy_rules

    cfg = make_cfg({"engine_family": "POSTGRESQL"}, _endpoint())
    [group] = [r for r in build_endpoints(cfg) if r.resource_type == "AWS::EC2::SecurityGroup"]
    [rule] = props(group)["SecurityGroupEgress"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["CidrIp"]) == ("tcp", 5432, 5432, "127.0.0.1/32")
    template = build_template(cfg).to_dict()
    assert policy_rules.violations(template) == []
    # The rule it replaced (AWS CDK's, for allowAllOutbound: false) fails the egress policy.
    template["Resources"]["EndpointOrdersTestAppsSecurityGroup"]["Properties"]["SecurityGroupEgress"] = [{
        "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32"}]
    assert {v.rule for v in policy_rules.violations(template)} == {"network/egress_one_port"}


def test_the_vpc_and_network_type_default_to_the_proxys() -> None:
    cfg = make_cfg({"network": {"endpoint_network_type": "DUAL"}}, _endpoint(vpc_id=None))
    [endpoint] = cfg.endpoints
    assert endpoint.vpc_id == cfg.network.vpc_id
    built = {r.title: props(r) for r in build_endpoints(cfg)}
    assert built["EndpointOrdersTestApps"]["EndpointNetworkType"] == "DUAL"
    assert built["EndpointOrdersTestAppsSecurityGroup"]["VpcId"] == cfg.network.vpc_id


def test_each_endpoint_has_two_exported_outputs() -> None:
    outputs = build_template(make_cfg(_endpoint())).to_dict()["Outputs"]
    assert outputs["EndpointOrdersTestAppsAddress"]["Value"] == {"Fn::GetAtt": ["EndpointOrdersTestApps", "Endpoint"]}
    assert outputs["EndpointOrdersTestAppsSecurityGroupId"]["Export"]["Name"] == \
        {"Fn::Sub": "${AWS::StackName}-EndpointOrdersTestAppsSecurityGroupId"}


def test_read_only_endpoints_are_for_aurora_clusters_and_not_sql_server() -> None:
    assert make_cfg(CLUSTER, _endpoint(target_role="READ_ONLY")).endpoints[0].target_role.value == "READ_ONLY"
    [(path, message)] = _errors(_endpoint(target_role="READ_ONLY"))
    assert path == ("endpoints", 0, "target_role") and "needs an Aurora cluster" in message
    problems = _errors(SQLSERVER, CLUSTER, _endpoint(target_role="READ_ONLY"))
    assert (("endpoints", 0, "target_role"), "READ_ONLY is not for SQL Server proxies (RDS takes READ_WRITE only)") \
        in problems


@pytest.mark.parametrize("name, clash", [("orders-test", "the proxy's name"), ("orders-test-ro", "read-only endpoint")])
def test_an_endpoint_name_taken_by_the_proxy_or_its_read_only_endpoint_is_refused(name: str, clash: str) -> None:
    problems = _errors(CLUSTER, {"target": {"read_only_endpoint": True}}, _endpoint(name=name))
    assert any(path == ("endpoints", 0, "name") and clash in message for path, message in problems), problems


def test_two_endpoints_of_one_name_and_more_than_rds_allows_are_refused() -> None:
    twice = {"endpoints": [_endpoint()["endpoints"][0], _endpoint()["endpoints"][0]]}
    assert any(path == ("endpoints", 1, "name") and "also the name of endpoints[0].name" in message
               for path, message in _errors(twice))
    many = {"endpoints": [{**_endpoint()["endpoints"][0], "name": f"e{i}"} for i in range(facts.MAX_EXTRA_ENDPOINTS)]}
    make_cfg(many)  # twenty: RDS's limit
    problems = _errors(CLUSTER, {"target": {"read_only_endpoint": True}}, many)  # the read-only one is the 21st
    assert any(path == ("endpoints",) and "RDS allows 20" in message for path, message in problems), problems


def test_an_endpoint_needs_clients_and_its_ranges_are_checked_like_the_proxys() -> None:
    assert _errors(_endpoint(client_security_group_ids=[])) == \
        [(("endpoints", 0), "give client_security_group_ids or allowed_cidrs: who may connect to this endpoint")]
    problems = dict(_errors(_endpoint(allowed_cidrs=["0.0.0.0/0", "2001:db8::/56", "10.1.2.3/16"])))
    assert "whole internet" in problems[("endpoints", 0, "allowed_cidrs", 0)]
    assert "set endpoints[0].endpoint_network_type to IPV6 or DUAL" in problems[("endpoints", 0, "allowed_cidrs", 1)]
    assert "host bits set" in problems[("endpoints", 0, "allowed_cidrs", 2)]
    assert make_cfg(_endpoint(endpoint_network_type="DUAL", allowed_cidrs=["2001:db8::/56"])).endpoints


def test_endpoints_are_not_deployed_through_a_stack_set() -> None:
    stack_set = {"stack_set": {"instances": [{"accounts": ["111122223333"], "regions": ["eu-west-1"]}]}}
    assert any(path == ("endpoints",) and "stack_set" in message for path, message in _errors(stack_set, _endpoint()))


def test_the_product_does_not_claim_an_env_with_endpoints() -> None:
    [limit] = provisioning.product_limits(make_cfg(PROVISIONER, _endpoint()))
    assert limit.path == ("endpoints",) and "no extra endpoints" in limit.message


def test_an_env_with_endpoints_lints_clean() -> None:
    cfg = make_cfg(CLUSTER, _endpoint(target_role="READ_ONLY", allowed_cidrs=["10.50.0.0/16"]))
    text = render.render_env(cfg, build_template(cfg))[f"{cfg.env}/rds-proxy.yaml"]
    assert checks._lint_text(text, "eu-west-1", checks.LintOptions())[0] == ()
    assert "EndpointOrdersTestApps" in load_yaml(text)["Resources"]


def test_deploy_md_says_which_endpoint_a_client_uses() -> None:
    cfg = make_cfg(_endpoint())
    guide = next(t for n, t in render.render_env(cfg, build_template(cfg)).items() if n.endswith("DEPLOY.md"))
    section = guide.split("## Which endpoint to connect to")[1].split("\n## ")[0]
    assert f"| `orders-test-apps` | READ_WRITE | `{OTHER_VPC}` | `{OTHER_SG}` | " \
           f"`rds-proxy-test-EndpointOrdersTestAppsAddress` |" in section
    assert f"`{cfg.network.vpc_id}`" in section and "ProxyEndpoint" in section
    assert "## Which endpoint" not in next(t for n, t in render.render_env(make_cfg(), build_template(make_cfg()))
                                           .items() if n.endswith("DEPLOY.md"))
    assert CLIENT_SG not in section  # the proxy's clients are not the endpoint's


def _impact(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {c.logical_id: c for c in analyse(Template.from_tree(build_template(make_cfg(old)).to_dict()),
                                             Template.from_tree(build_template(make_cfg(new)).to_dict()),
                                             "eu-west-1").changes}


def test_new_subnets_replace_the_endpoint_and_its_host_changes() -> None:
    # VpcSubnetIds is create-only (the provider schema) and the endpoint keeps its name.
    changes = _impact(_endpoint(), _endpoint(subnet_ids=[OTHER_SUBNETS[0], "subnet-0f60718293a4b5c99"]))
    endpoint = changes["EndpointOrdersTestApps"]
    assert endpoint.action is Action.REPLACE and endpoint.replacement_properties == ("VpcSubnetIds",)
    assert {"update-fails", "changes-endpoint"} <= set(endpoint.hazards)
    adding = _impact({}, _endpoint())
    assert adding["EndpointOrdersTestApps"].action is Action.ADD and not adding["EndpointOrdersTestApps"].hazards


def test_the_diagram_shows_each_endpoint_behind_its_own_group_and_clients() -> None:
    from templates_src.render import diagram

    chart = diagram.mermaid(make_cfg(_endpoint(allowed_cidrs=["10.50.0.0/16"])))
    assert f'"security group of endpoint orders-test-apps in {OTHER_VPC}"' in chart
    assert f'"clients in {OTHER_SG}"' in chart and '"clients in 10.50.0.0/16"' in chart
    assert '-->|"READ_WRITE"|' in chart
    assert "orders-test-apps" not in diagram.mermaid(make_cfg())
