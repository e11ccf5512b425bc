"""The proxy's security groups: existing groups beside the built one, or instead of it.

Beside it (``network.proxy_security_group_ids``): the proxy and its read-only endpoint carry the
built group first, then the given ones in params order. Instead of it (``create_security_group:
false``): no ProxySecurityGroup, no rule resource for the proxy, no ProxySecurityGroupId output,
and the keys that only shape the built group are refused. Both shapes lint clean, and switching a
deployed stack to the second is flagged as breaking the export.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders.envs import (PROVISIONER, AUDIT_SG, CLIENT_SG, CLUSTER, DB_SG, ENDPOINT_SG, EXTRA_GROUPS, ONLY_GIVEN_GROUPS, ROTATION,
                           SHARED_SG, get_att, load_cfg, make_cfg, merged, props)
from templates_src import __version__, catalog
from templates_src.checks import lint as checks
from templates_src.render import files as render
from templates_src.builders import names, outputs
from templates_src.builders.security_groups import build_proxy_groups, build_rotation_groups
from templates_src.builders.endpoints import build_endpoints
from templates_src.builders.proxy import build_proxy
from templates_src.catalog import provisioning
from templates_src.config import ParamsErrors
from templates_src.config.rules.security_groups import OWN_RULES
from templates_src.render.diagram import mermaid
from templates_src.facts.hazards import Hazard
from templates_src.impact.analysis import Action, analyse
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.unit

BUILT = get_att(names.SECURITY_GROUP, "GroupId")
RO_ENDPOINT = {"target": {"read_only_endpoint": True}}
STRICT_LINT = checks.LintOptions(include_checks=("I",), failing_severities=("error", "warning", "informational"))
THIRD_SG, FOURTH_SG, FIFTH_SG = "sg-0a1b2c3d4e5f60788", "sg-0a1b2c3d4e5f60789", "sg-0a1b2c3d4e5f6078a"


def _groups(*overrides: dict[str, Any]) -> list[Any]:
    return props(build_proxy(make_cfg(*overrides)))["VpcSecurityGroupIds"]


def _types(*overrides: dict[str, Any]) -> dict[str, str]:
    return {name: r["Type"] for name, r in build_template(make_cfg(*overrides)).to_dict()["Resources"].items()}


def _refusals(*overrides: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ParamsErrors) as raised:
        load_cfg(merged(*overrides))
    return [(e.path, e.message) for e in raised.value.errors]


# --- beside the built group --------------------------------------------------------------------

def test_without_the_keys_the_proxy_has_only_the_built_group() -> None:
    assert _groups() == [BUILT]


@pytest.mark.parametrize("given", [[AUDIT_SG, SHARED_SG], [SHARED_SG, AUDIT_SG]])
def test_given_groups_follow_the_built_one_in_params_order(given: list[str]) -> None:
    assert _groups({"network": {"proxy_security_group_ids": given}}) == [BUILT, *given]


def test_beside_the_built_group_the_network_and_its_rules_are_unchanged() -> None:
    def shape(*overrides: dict[str, Any]) -> list[dict[str, Any]]:
        return [r.to_dict() for r in build_proxy_groups(make_cfg(*overrides))]
    assert shape(EXTRA_GROUPS) == shape()
    assert names.SECURITY_GROUP in _types(EXTRA_GROUPS)


def test_four_groups_fit_beside_the_built_one_and_five_do_not() -> None:
    four = [AUDIT_SG, SHARED_SG, THIRD_SG, FOURTH_SG]
    assert _groups({"network": {"proxy_security_group_ids": four}}) == [BUILT, *four]
    assert _refusals({"network": {"proxy_security_group_ids": [*four, FIFTH_SG]}}) == [
        (("network", "proxy_security_group_ids"),
         "has 5 groups; at most 4 beside the group the stack builds (a network interface takes 5 security groups "
         "by default; or set create_security_group: false)")]
    # Instead of the built group all five fit.
    only_five = {"network": {"proxy_security_group_ids": [*four, FIFTH_SG]}}
    assert _groups(ONLY_GIVEN_GROUPS, only_five) == [*four, FIFTH_SG]


# --- instead of the built group ----------------------------------------------------------------

def test_instead_the_proxy_has_exactly_the_given_groups_and_the_stack_builds_none() -> None:
    assert _groups(ONLY_GIVEN_GROUPS) == [AUDIT_SG, SHARED_SG]
    types = _types(ONLY_GIVEN_GROUPS)
    assert not {t for t in types.values() if t.startswith("AWS::EC2::")}, types
    assert build_proxy_groups(make_cfg(ONLY_GIVEN_GROUPS)) == []


@pytest.mark.parametrize("overrides, expected", [
    ((EXTRA_GROUPS,), [BUILT, AUDIT_SG, SHARED_SG]),
    ((ONLY_GIVEN_GROUPS,), [AUDIT_SG, SHARED_SG]),
])
def test_the_read_only_endpoint_gets_the_proxys_groups(overrides: tuple[dict[str, Any], ...],
                                                       expected: list[Any]) -> None:
    cfg = make_cfg(CLUSTER, RO_ENDPOINT, *overrides)
    [endpoint] = build_endpoints(cfg)  # the read-only endpoint, the only one
    assert props(endpoint)["VpcSecurityGroupIds"] == props(build_proxy(cfg))["VpcSecurityGroupIds"] == expected


@pytest.mark.parametrize("overrides, present", [((), True), ((EXTRA_GROUPS,), True), ((ONLY_GIVEN_GROUPS,), False)])
def test_the_security_group_output_exists_only_with_the_built_group(overrides: tuple[dict[str, Any], ...],
                                                                    present: bool) -> None:
    built = {o.title: o.to_dict() for o in outputs.build_outputs(make_cfg(*overrides))}
    assert ("ProxySecurityGroupId" in built) is present
    if present:
        assert built["ProxySecurityGroupId"]["Value"] == BUILT


REFUSED = f"is refused with create_security_group false: {OWN_RULES}"


@pytest.mark.parametrize("extra, path, message", [
    ({"network": {"client_security_group_ids": [CLIENT_SG]}}, ("network", "client_security_group_ids"),
     f"{REFUSED} (remove it)"),
    ({"network": {"allowed_cidrs": ["10.0.0.0/16"]}}, ("network", "allowed_cidrs"), f"{REFUSED} (remove it)"),
    ({"network": {"database_security_group_id": DB_SG}}, ("network", "database_security_group_id"),
     f"{REFUSED}, and no rotation or provisioner function needs it (remove it)"),
    ({"network": {"database_cidr": "10.20.0.0/22"}}, ("network", "database_cidr"),
     f"{REFUSED}, and no rotation or provisioner function needs it (remove it)"),
    ({"waivers": {"world_egress": "the database range is not fixed yet (TICKET-9)"}}, ("waivers", "world_egress"),
     f"has nothing to waive with network.create_security_group false: {OWN_RULES} (remove it)"),
    ({"network": {"proxy_security_group_ids": []}}, ("network", "create_security_group"),
     "false needs network.proxy_security_group_ids: at least one existing security group for the proxy"),
])
def test_keys_that_only_shape_the_built_group_are_refused_without_it(extra: dict[str, Any], path: tuple[str, ...],
                                                                     message: str) -> None:
    assert _refusals(ONLY_GIVEN_GROUPS, extra) == [(path, message)]


def test_the_message_says_who_decides() -> None:
    assert "who may connect" in OWN_RULES and "where it may go" in OWN_RULES and "\n" not in OWN_RULES


def test_instead_with_rotation_the_database_group_serves_the_rotation_functions() -> None:
    # The rotation functions' own group is built either way; the database's group is its egress
    # destination and gets a rule from that group, never from a proxy group.
    cfg = make_cfg(ONLY_GIVEN_GROUPS, ROTATION, {"network": {"database_security_group_id": DB_SG}})
    rotation = {r.title: r.to_dict() for r in build_rotation_groups(cfg)}
    egress = rotation[names.ROTATION_SECURITY_GROUP]["Properties"]["SecurityGroupEgress"]
    assert egress[0]["DestinationSecurityGroupId"] == DB_SG
    assert egress[1]["DestinationSecurityGroupId"] == ENDPOINT_SG
    ingress = rotation[names.DATABASE_INGRESS_FROM_ROTATION]["Properties"]
    assert ingress["GroupId"] == DB_SG
    assert ingress["SourceSecurityGroupId"] == get_att(names.ROTATION_SECURITY_GROUP, "GroupId")
    assert names.SECURITY_GROUP not in _types(ONLY_GIVEN_GROUPS, ROTATION, {"network": {"database_security_group_id": DB_SG}})


def test_instead_with_rotation_and_no_database_destination_the_rotation_egress_needs_the_waiver() -> None:
    assert _refusals(ONLY_GIVEN_GROUPS, ROTATION) == [
        (("network",), "neither database_security_group_id nor database_cidr is given (give one), so the rotation "
                       "functions' egress would allow the database port to every address (0.0.0.0/0); add "
                       "waivers.world_egress: <the reason> to allow it")]
    waived = make_cfg(ONLY_GIVEN_GROUPS, ROTATION, {"waivers": {"world_egress": "database range not fixed (TICKET-9)"}})
    group = next(r for r in build_rotation_groups(waived) if r.title == names.ROTATION_SECURITY_GROUP).to_dict()
    assert group["Metadata"]["RdsProxyCfn"]["Waivers"]["no_world_open_egress"] == "database range not fixed (TICKET-9)"


# --- the whole template, documents, product -----------------------------------------------------

@pytest.mark.parametrize("overrides", [
    (EXTRA_GROUPS,), (ONLY_GIVEN_GROUPS,), (CLUSTER, RO_ENDPOINT, ONLY_GIVEN_GROUPS),
    (ONLY_GIVEN_GROUPS, ROTATION, {"network": {"database_security_group_id": DB_SG}}),
], ids=["beside", "instead", "instead-cluster-ro", "instead-rotation"])
def test_both_modes_lint_clean_with_the_project_policies(overrides: tuple[dict[str, Any], ...]) -> None:
    cfg = make_cfg(*overrides)
    text = render.render_env(cfg, build_template(cfg))[f"{cfg.env}/rds-proxy.yaml"]
    assert checks._lint_text(text, cfg.region, STRICT_LINT)[0] == ()


def _guide(*overrides: dict[str, Any]) -> str:
    cfg = make_cfg(*overrides)
    return next(text for name, text in render.render_env(cfg, build_template(cfg)).items() if name.endswith("DEPLOY.md"))


def test_deploy_md_names_the_groups_that_let_a_lambda_function_in() -> None:
    assert "## Security groups" not in _guide()
    beside = _guide(EXTRA_GROUPS)
    assert "## Security groups" in beside and f"`{AUDIT_SG}`, `{SHARED_SG}`" in beside
    assert f"may reach the proxy\n(`{CLIENT_SG}`)" in beside
    instead = _guide(ONLY_GIVEN_GROUPS)
    assert f"may reach the proxy\n(one that the rules of `{AUDIT_SG}`, `{SHARED_SG}` let in)" in instead
    assert "The stack builds no security group for the proxy" in instead
    assert "the stack adds no rule to it" in instead and "ProxySecurityGroupId" in instead


def test_the_diagram_shows_the_given_groups() -> None:
    assert f"+ {AUDIT_SG}, {SHARED_SG}" in mermaid(make_cfg(EXTRA_GROUPS))
    instead = mermaid(make_cfg(ONLY_GIVEN_GROUPS))
    assert f"security groups of the proxy: {AUDIT_SG}, {SHARED_SG}" in instead
    assert f"clients in {CLIENT_SG}" not in instead and "rules let in" in instead


@pytest.mark.parametrize("overrides, path, message", [
    ((EXTRA_GROUPS,), ("network", "proxy_security_group_ids"),
     "the Service Catalog product attaches only the security group it builds to the proxy"),
    ((ONLY_GIVEN_GROUPS,), ("network", "create_security_group"),
     "the Service Catalog product always builds the proxy's security group and attaches only that one"),
])
def test_the_product_does_not_offer_either_mode(overrides: tuple[dict[str, Any], ...], path: tuple[str, ...],
                                                message: str) -> None:
    # Without the database's group the provisioner would need waivers.world_egress, and the product
    # (which always has one) says so too: the product's other limit for such an env.
    cfg = make_cfg(*((PROVISIONER,) if overrides[0]["network"].get("database_security_group_id", "") else ()), *overrides)
    others = {("provisioner",), ("network", "database_security_group_id")}
    assert [(e.path, e.message) for e in provisioning.product_limits(cfg) if e.path not in others] == [(path, message)]
    # The launch check the build runs turns it into the "not offered through the product" note.
    assert (path, message) in [(e.path, e.message) for e in catalog.launch_problems([cfg], __version__)]


# --- a deployed stack ----------------------------------------------------------------------------

def _changes(old: tuple[dict[str, Any], ...], new: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    before, after = (Template.from_tree(build_template(make_cfg(*o)).to_dict()) for o in (old, new))
    return {c.logical_id: c for c in analyse(before, after, "eu-west-1").changes}


def test_adding_a_group_modifies_the_proxy_in_place() -> None:
    changes = _changes((), (EXTRA_GROUPS,))
    assert set(changes) == {names.PROXY}
    assert changes[names.PROXY].action is Action.MODIFY
    assert changes[names.PROXY].changed_properties == ("VpcSecurityGroupIds",)
    assert not changes[names.PROXY].hazards


def test_switching_the_built_group_off_on_a_deployed_stack_breaks_its_export() -> None:
    changes = _changes((), (ONLY_GIVEN_GROUPS,))
    assert changes[names.PROXY].action is Action.MODIFY  # the proxy stays (same endpoint)
    assert changes[names.SECURITY_GROUP].action is Action.REMOVE
    export = changes["ProxySecurityGroupId"]
    assert export.action is Action.REMOVE and Hazard.BREAKS_EXPORT.value in export.hazards
