"""The proxy's network types: the template properties, the rules against ranges of the other IP
version, the egress over IPv6, DEPLOY.md's prerequisites and what an update of either does."""

from __future__ import annotations

from typing import Any

import pytest
from cfn_flip import dump_yaml, load_yaml

from builders.envs import ANY_DATABASE_ADDRESS, CLUSTER, ROTATION, make_cfg, props
from templates_src.checks import lint as checks
from templates_src.render import files as render
from templates_src.builders import names
from templates_src.builders.security_groups import build_proxy_groups, build_rotation_groups
from templates_src.builders.endpoints import build_endpoints
from templates_src.builders.proxy import build_proxy
from templates_src.config import ParamsErrors
from templates_src.facts.hazards import Hazard
from templates_src.impact.analysis import Action, analyse
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.unit

DUAL = {"network": {"endpoint_network_type": "DUAL"}}
IPV6_ONLY = {"network": {"endpoint_network_type": "IPV6"}}
IPV6_TARGET = {"network": {"target_connection_network_type": "IPV6"}}
RO_ENDPOINT = {"target": {"read_only_endpoint": True}}


def _proxy(*overrides: dict[str, Any]) -> dict[str, Any]:
    return props(build_proxy(make_cfg(*overrides)))


def test_the_default_writes_neither_property() -> None:
    # IPV4 is AWS's default; spelling it out would add a create-only property to deployed stacks.
    proxy = _proxy()
    assert "EndpointNetworkType" not in proxy and "TargetConnectionNetworkType" not in proxy
    explicit = _proxy({"network": {"endpoint_network_type": "IPV4", "target_connection_network_type": "IPV4"}})
    assert explicit == proxy


def test_dual_stack_and_an_ipv6_target_are_on_the_proxy_and_its_read_only_endpoint() -> None:
    cfg = make_cfg(CLUSTER, RO_ENDPOINT, DUAL, IPV6_TARGET)
    proxy = props(build_proxy(cfg))
    assert (proxy["EndpointNetworkType"], proxy["TargetConnectionNetworkType"]) == ("DUAL", "IPV6")
    [endpoint] = build_endpoints(cfg)  # the read-only endpoint, the only one
    # DBProxyEndpoint has no TargetConnectionNetworkType (its provider schema).
    assert props(endpoint)["EndpointNetworkType"] == "DUAL"
    assert "TargetConnectionNetworkType" not in props(endpoint)


@pytest.mark.parametrize("endpoint, cidrs", [
    ("IPV4", ["10.0.0.0/16"]), ("DUAL", ["10.0.0.0/16", "2001:db8::/56"]), ("IPV6", ["2001:db8::/56"]),
])
def test_client_ranges_of_the_endpoints_versions_are_let_in(endpoint: str, cidrs: list[str]) -> None:
    cfg = make_cfg({"network": {"endpoint_network_type": endpoint, "allowed_cidrs": cidrs}})
    rules = [props(r) for r in build_proxy_groups(cfg) if r.title != names.SECURITY_GROUP]
    assert sorted(r.get("CidrIp") or r.get("CidrIpv6") for r in rules if "SourceSecurityGroupId" not in r) == \
        sorted(cidrs)


@pytest.mark.parametrize("endpoint, cidr, needs", [
    ("IPV4", "2001:db8::/56", "IPV6 or DUAL"),  # today's CidrIpv6 rule on an IPv4-only proxy
    ("IPV6", "10.0.0.0/16", "IPV4 or DUAL"),
])
def test_a_client_range_the_endpoint_cannot_answer_is_refused(endpoint: str, cidr: str, needs: str) -> None:
    with pytest.raises(ParamsErrors) as raised:
        make_cfg({"network": {"endpoint_network_type": endpoint, "allowed_cidrs": ["10.9.0.0/16", cidr]
                              if endpoint == "IPV4" else ["2001:db8:9::/56", cidr]}})
    [problem] = raised.value.errors
    assert problem.path == ("network", "allowed_cidrs", 1)
    assert f"'{cidr}' is an IPv" in problem.message and f"set network.endpoint_network_type to {needs}" in \
        problem.message


@pytest.mark.parametrize("target, cidr", [("IPV4", "2001:db8:ff00::/56"), ("IPV6", "10.20.0.0/22")])
def test_a_database_range_of_the_other_version_is_refused(target: str, cidr: str) -> None:
    with pytest.raises(ParamsErrors) as raised:
        make_cfg({"network": {"target_connection_network_type": target, "database_security_group_id": None,
                              "database_cidr": cidr}})
    [problem] = raised.value.errors
    assert problem.path == ("network", "database_cidr")
    assert "reaches the database over IPv" in problem.message


def test_an_ipv6_database_range_with_an_ipv6_target_is_the_proxy_egress() -> None:
    cfg = make_cfg(IPV6_TARGET, {"network": {"database_security_group_id": None, "database_cidr": "2001:db8:ff00::/56"}})
    [egress] = props(build_proxy_groups(cfg)[0])["SecurityGroupEgress"]
    assert egress["CidrIpv6"] == "2001:db8:ff00::/56" and "CidrIp" not in egress


def test_egress_to_any_database_address_follows_the_target_connection() -> None:
    # With world_egress waived, "any address" is of the version the proxy uses; the rotation
    # functions (Lambda, IPv4) keep IPv4.
    cfg = make_cfg(ANY_DATABASE_ADDRESS, IPV6_TARGET, ROTATION)
    [proxy_egress] = props(build_proxy_groups(cfg)[0])["SecurityGroupEgress"]
    assert proxy_egress["CidrIpv6"] == "::/0" and "CidrIp" not in proxy_egress
    rotation_group = next(r for r in build_rotation_groups(cfg) if r.title == names.ROTATION_SECURITY_GROUP)
    database_rule = props(rotation_group)["SecurityGroupEgress"][0]
    assert database_rule["CidrIp"] == "0.0.0.0/0"
    # The ::/0 rule is what the world_egress waiver allows: the project's policies and cfn-lint
    # pass the template, and fail it once the waiver's record is gone.
    text = render.render_env(cfg, build_template(cfg))[f"{cfg.env}/rds-proxy.yaml"]
    assert checks._lint_text(text, "eu-west-1", checks.LintOptions())[0] == ()
    tree = load_yaml(text)
    del tree["Resources"][names.SECURITY_GROUP]["Metadata"]
    found = checks._lint_text(dump_yaml(tree), "eu-west-1", checks.LintOptions())[0]
    assert any("::/0" in raw[3] for raw in found), found


def test_rotation_with_an_ipv6_database_range_is_refused() -> None:
    # The rotation functions reach the database over IPv4: an IPv6 range would be a dead rule.
    with pytest.raises(ParamsErrors) as raised:
        make_cfg(IPV6_TARGET, ROTATION, {"network": {"database_security_group_id": None,
                                                     "database_cidr": "2001:db8:ff00::/56"}})
    [problem] = raised.value.errors
    assert problem.path == ("network", "database_cidr") and "rotation functions reach the database over IPv4" in \
        problem.message
    assert make_cfg(IPV6_TARGET, ROTATION).secrets.rotation_days == 30  # the database's group serves both


def _guide(*overrides: dict[str, Any]) -> str:
    cfg = make_cfg(*overrides)
    files = render.render_env(cfg, build_template(cfg))
    return next(text for name, text in files.items() if name.endswith("DEPLOY.md"))


def test_deploy_md_lists_the_prerequisites_of_each_type() -> None:
    assert "## Network types" not in _guide()
    dual = _guide(DUAL)
    assert "IPv4 and on IPv6" in dual and "describe-subnets" in dual
    assert "dual-stack mode" not in dual
    target = _guide(IPV6_TARGET)
    assert "describe-db-instances" in target and "describe-subnets" not in target
    cluster = _guide(CLUSTER, IPV6_ONLY, IPV6_TARGET)
    assert "describe-db-clusters" in cluster and "IPv6 only" in cluster and "Ipv6AllowedForDualStack" in cluster
    # The section ends with one blank line before the next heading, whatever it holds.
    for guide in (dual, target, cluster):
        section = guide.split("## Network types")[1].split("## Deploy, in this order")[0]
        assert section.endswith("```\n\n") and "\n\n\n" not in section


@pytest.mark.parametrize("key, value", [("endpoint_network_type", "DUAL"),
                                        ("target_connection_network_type", "IPV6")])
def test_changing_a_network_type_replaces_the_proxy_and_fails_the_update(key: str, value: str) -> None:
    # Both are create-only in the provider schema, and the proxy keeps its name: CloudFormation
    # cannot create the replacement beside the old one (the analysis reads the schema).
    old = build_template(make_cfg()).to_dict()
    new = build_template(make_cfg({"network": {key: value}})).to_dict()
    changes = {c.logical_id: c for c in analyse(Template.from_tree(old), Template.from_tree(new), "eu-west-1").changes}
    proxy = changes[names.PROXY]
    assert proxy.action is Action.REPLACE
    assert proxy.replacement_properties == ({"endpoint_network_type": "EndpointNetworkType"}.get(
        key, "TargetConnectionNetworkType"),)
    assert Hazard.UPDATE_FAILS.value in proxy.hazards
