"""The change analysis, one planted change at a time.

Every case starts from a template the builders make (``stack.build_template``), plants one change
in a copy (or builds from a changed config) and asserts what the analysis says. Nothing here
depends on today's template text: resources are found by type, not by name or position.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from builders.envs import CLUSTER, make_cfg
from templates_src.facts.hazards import Hazard
from templates_src.impact import analysis
from templates_src.impact.analysis import Action, analyse, deletion_leftovers
from templates_src.impact.schemas import ResourceSchema, resource_schema
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.unit

REGION = "eu-west-1"
PROXY, SECRET, LOG_GROUP = "AWS::RDS::DBProxy", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"
TARGET_GROUP = "AWS::RDS::DBProxyTargetGroup"


def body(*overrides: dict[str, Any]) -> dict[str, Any]:
    return build_template(make_cfg(*overrides)).to_dict()


BASE = body()


def of_type(tree: dict[str, Any], type_name: str) -> tuple[str, dict[str, Any]]:
    """The first resource of a type (by logical id): (id, resource)."""
    return next((lid, r) for lid, r in sorted(tree["Resources"].items()) if r["Type"] == type_name)


def planted(change: Callable[[dict[str, Any]], None], tree: dict[str, Any] = BASE) -> dict[str, Any]:
    new = copy.deepcopy(tree)
    change(new)
    return new


def impact(new: dict[str, Any], old: dict[str, Any] = BASE) -> dict[str, analysis.Change]:
    """Changes by logical id; an output's as ``output <name>`` (outputs and resources may share names)."""
    return {(f"output {c.logical_id}" if c.type == analysis.OUTPUT_TYPE else c.logical_id): c
            for c in analyse(Template.from_tree(old), Template.from_tree(new), REGION).changes}


def hazards(change: analysis.Change) -> set[str]:
    return set(change.hazards)


def test_the_same_template_changes_nothing() -> None:
    assert impact(copy.deepcopy(BASE)) == {}


def test_an_in_place_change_is_a_modify_without_hazard() -> None:
    proxy_id, _ = of_type(BASE, PROXY)
    changes = impact(planted(lambda t: t["Resources"][proxy_id]["Properties"].update(DebugLogging=True)))
    assert changes[proxy_id].action is Action.MODIFY
    assert changes[proxy_id].changed_properties == ("DebugLogging",)
    assert not changes[proxy_id].findings
    assert set(changes) == {proxy_id}


def test_a_create_only_change_of_a_named_resource_fails_the_update() -> None:
    """New subnets for the proxy: VpcSubnetIds is create-only, DBProxyName stays: CloudFormation
    cannot create the replacement beside the old proxy."""
    proxy_id, _ = of_type(BASE, PROXY)
    changes = impact(body({"network": {"subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60799"]}}))
    proxy = changes[proxy_id]
    assert proxy.action is Action.REPLACE
    assert proxy.replacement_properties == ("VpcSubnetIds",)
    assert hazards(proxy) == {Hazard.UPDATE_FAILS.value, Hazard.CHANGES_ENDPOINT.value}
    assert [f.property for f in proxy.findings if f.hazard is Hazard.UPDATE_FAILS] == ["DBProxyName"]


def test_a_replacement_propagates_through_references_and_a_new_parent_frees_the_name() -> None:
    """The target group names its proxy (create-only DBProxyName): a new proxy replaces it too, and
    its fixed name ``default`` lives inside the new proxy, so it does not collide."""
    proxy_id, _ = of_type(BASE, PROXY)
    group_id, _ = of_type(BASE, TARGET_GROUP)
    changes = impact(body({"proxy": {"name": "orders-renamed"}}))
    assert changes[proxy_id].action is Action.REPLACE
    assert Hazard.UPDATE_FAILS.value not in hazards(changes[proxy_id])  # the name changes with it
    group = changes[group_id]
    assert group.action is Action.REPLACE and group.caused_by == (proxy_id,)
    assert not hazards(group)


def test_a_retained_resource_replaced_is_flagged() -> None:
    group_id, group = of_type(BASE, LOG_GROUP)
    assert group.get("UpdateReplacePolicy") in ("Retain", "RetainExceptOnCreate")  # what the plant relies on
    changes = impact(planted(lambda t: t["Resources"][group_id]["Properties"].update(LogGroupName="/other")))
    assert changes[group_id].action is Action.REPLACE
    assert hazards(changes[group_id]) == {Hazard.REPLACES_RETAINED.value}


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate"])
def test_a_retained_resource_removed_is_flagged(policy: str) -> None:
    group_id, _ = of_type(BASE, LOG_GROUP)
    old = planted(lambda t: t["Resources"][group_id].update(DeletionPolicy=policy))
    changes = impact(planted(lambda t: t["Resources"].pop(group_id)), old)
    assert changes[group_id].action is Action.REMOVE
    assert hazards(changes[group_id]) == {Hazard.REPLACES_RETAINED.value}


@pytest.mark.parametrize("same_name", [True, False])
def test_a_kept_log_group_taken_over_by_the_adopted_one_is_no_orphan(same_name: bool) -> None:
    """Adding the provisioner turns ProxyLogGroup into AdoptedProxyLogGroup: the new resource is
    created (adopting the group) before the old one leaves the template, so the kept group is
    not an orphan; an adopted group of another name leaves the old one an orphan as before."""
    from builders.envs import PROVISIONER

    group_id, _ = of_type(BASE, LOG_GROUP)
    old = body(PROVISIONER)
    adopted_id, adopted = of_type(old, "Custom::AdoptedLogGroup")
    old["Resources"].pop(adopted_id)
    old["Resources"][group_id] = copy.deepcopy(BASE["Resources"][group_id])
    new = body(PROVISIONER)
    if not same_name:
        new["Resources"][adopted_id]["Properties"]["LogGroupName"] = "/aws/rds/proxy/another"
    changes = impact(new, old)
    assert changes[group_id].action is Action.REMOVE and changes[adopted_id].action is Action.ADD
    assert hazards(changes[group_id]) == (set() if same_name else {Hazard.REPLACES_RETAINED.value})


def test_a_deletable_resource_removed_is_no_hazard() -> None:
    group_id, _ = of_type(BASE, LOG_GROUP)
    old = planted(lambda t: t["Resources"][group_id].update(DeletionPolicy="Delete", UpdateReplacePolicy="Delete"))
    changes = impact(planted(lambda t: t["Resources"].pop(group_id)), old)
    assert changes[group_id].action is Action.REMOVE and not changes[group_id].findings


def test_new_generator_settings_regenerate_the_secret() -> None:
    secret_id, _ = of_type(BASE, SECRET)
    changes = impact(body({"secrets": {"password_length": 31}}))
    assert changes[secret_id].action is Action.MODIFY
    assert changes[secret_id].changed_properties == ("GenerateSecretString",)
    assert hazards(changes[secret_id]) == {Hazard.REGENERATES_SECRET.value}


def test_a_replaced_secret_is_regenerated_and_a_fixed_name_collides() -> None:
    """Secret.Name is create-only; a KmsKeyId-only change would not replace it. Plant a fixed
    name in both and a create-only change that keeps it: the name collides."""
    secret_id, _ = of_type(BASE, SECRET)

    def fixed(t: dict[str, Any]) -> None:
        t["Resources"][secret_id]["Properties"]["Name"] = "orders/app"

    old = planted(fixed)
    schema = resource_schema(REGION, SECRET)
    assert "Name" in schema.create_only and schema.name_properties == ("Name",)
    renamed = impact(planted(lambda t: t["Resources"][secret_id]["Properties"].update(Name="orders/app2"), old), old)
    assert renamed[secret_id].action is Action.REPLACE
    assert hazards(renamed[secret_id]) == {Hazard.REGENERATES_SECRET.value, Hazard.REPLACES_RETAINED.value}


def test_a_nested_create_only_path_forces_a_replacement(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemas may name a nested property (``/properties/GenerateSecretString/...``) or array items
    (``*``); only a change under that path replaces."""
    secret_id, _ = of_type(BASE, SECRET)
    nested = ResourceSchema(SECRET, ("GenerateSecretString/PasswordLength", "Tags/*/Key"), ("Id",),
                            frozenset({"Id"}), frozenset({"Name", "GenerateSecretString", "Tags"}))
    real = analysis.schema_for
    monkeypatch.setattr(analysis, "schema_for", lambda region, t: nested if t == SECRET else real(region, t))
    length = impact(body({"secrets": {"password_length": 31}}))[secret_id]
    assert length.action is Action.REPLACE
    assert length.replacement_properties == ("GenerateSecretString/PasswordLength",)
    tags = impact(planted(lambda t: t["Resources"][secret_id]["Properties"]["Tags"][0].update(Value="x")))[secret_id]
    assert tags.action is Action.MODIFY  # a tag's value is not under Tags/*/Key
    keys = impact(planted(lambda t: t["Resources"][secret_id]["Properties"]["Tags"][0].update(Key="x")))[secret_id]
    assert keys.action is Action.REPLACE and keys.replacement_properties == ("Tags/*/Key",)


def _exported(tree: dict[str, Any]) -> str:
    return next(name for name, output in sorted(tree["Outputs"].items()) if "Export" in output)


@pytest.mark.parametrize("how", ["removed", "renamed", "unexported"])
def test_an_export_removed_or_renamed_breaks_its_importers(how: str) -> None:
    name = _exported(BASE)

    def change(t: dict[str, Any]) -> None:
        if how == "removed":
            del t["Outputs"][name]
        elif how == "renamed":
            t["Outputs"][name]["Export"] = {"Name": {"Fn::Sub": "${AWS::StackName}-Renamed"}}
        else:
            del t["Outputs"][name]["Export"]

    changes = impact(planted(change))
    assert hazards(changes[f"output {name}"]) == {Hazard.BREAKS_EXPORT.value}


def test_an_export_of_a_replaced_resource_changes_value() -> None:
    proxy_id, _ = of_type(BASE, PROXY)
    changes = impact(body({"proxy": {"name": "orders-renamed"}}))
    endpoint_outputs = [n for n, o in BASE["Outputs"].items() if "Export" in o
                        and o["Value"] == {"Fn::GetAtt": [proxy_id, "Endpoint"]}]
    assert endpoint_outputs
    for name in endpoint_outputs:
        assert hazards(changes[f"output {name}"]) == {Hazard.BREAKS_EXPORT.value}


def test_a_read_only_endpoint_replaced_changes_the_endpoint() -> None:
    base = body(CLUSTER, {"target": {"read_only_endpoint": True}})
    endpoint_id, _ = of_type(base, "AWS::RDS::DBProxyEndpoint")
    changes = impact(body(CLUSTER, {"target": {"read_only_endpoint": True},
                                    "network": {"subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60799"]}}),
                     base)
    assert {Hazard.UPDATE_FAILS.value, Hazard.CHANGES_ENDPOINT.value} <= hazards(changes[endpoint_id])


def test_a_parameter_baked_in_is_no_change() -> None:
    """Deploy-time Parameters resolve to their defaults (what parameters.json passes): moving a
    value from a parameter into the template, as text or as a number, changes nothing."""
    proxy_id, proxy = of_type(BASE, PROXY)
    value = proxy["Properties"]["RequireTLS"]

    def as_parameter(t: dict[str, Any]) -> None:
        t.setdefault("Parameters", {})["Planted"] = {"Type": "String", "Default": str(value).lower()}
        t["Resources"][proxy_id]["Properties"]["RequireTLS"] = {"Ref": "Planted"}

    def as_list_parameter(t: dict[str, Any]) -> None:
        subnets = t["Resources"][proxy_id]["Properties"]["VpcSubnetIds"]
        if isinstance(subnets, dict):  # already a parameter: nothing to plant
            return
        t.setdefault("Parameters", {})["PlantedSubnets"] = {"Type": "List<AWS::EC2::Subnet::Id>",
                                                            "Default": ",".join(subnets)}
        t["Resources"][proxy_id]["Properties"]["VpcSubnetIds"] = {"Ref": "PlantedSubnets"}

    assert impact(planted(as_parameter), BASE) == {}
    assert impact(planted(as_list_parameter), BASE) == {}
    changed = planted(lambda t: t["Parameters"]["Planted"].update(Default="false"), planted(as_parameter))
    assert impact(changed, planted(as_parameter))[proxy_id].changed_properties == ("RequireTLS",)


def test_a_new_type_under_the_same_logical_id_fails() -> None:
    group_id, _ = of_type(BASE, LOG_GROUP)
    changes = impact(planted(lambda t: t["Resources"][group_id].update(Type="AWS::Logs::LogStream")))
    assert changes[group_id].action is Action.REPLACE
    assert Hazard.UPDATE_FAILS.value in hazards(changes[group_id])


def test_added_resources_and_outputs() -> None:
    changes = impact(body({"users": [{"username": "app_user", "description": "Application user"},
                                     {"username": "reporter"}]}))
    added = {lid for lid, c in changes.items() if c.action is Action.ADD}
    assert any(changes[lid].type == SECRET for lid in added)
    assert any(changes[lid].type == analysis.OUTPUT_TYPE for lid in added)


def test_deleting_the_stack_leaves_retained_named_resources() -> None:
    group_id, group = of_type(BASE, LOG_GROUP)
    left = deletion_leftovers(Template.from_tree(BASE), REGION)
    assert (group_id, "LogGroupName", group["Properties"]["LogGroupName"]) in left
    unnamed_secrets = [lid for lid, r in BASE["Resources"].items() if r["Type"] == SECRET]
    assert not [lid for lid, _, _ in left if lid in unnamed_secrets]  # generated names never collide


@pytest.mark.parametrize("type_name, name", [
    (PROXY, ("DBProxyName",)),                              # a writable primaryIdentifier
    (LOG_GROUP, ("LogGroupName",)),
    ("AWS::IAM::ManagedPolicy", ("ManagedPolicyName",)),    # <...Policy>Name, the identifier is an ARN
    ("AWS::EC2::SecurityGroup", ("GroupName",)),
    (TARGET_GROUP, ("TargetGroupName",)),                   # not DBProxyName, the parent's name
    ("AWS::EC2::SecurityGroupIngress", ()),                 # GroupName is its group's
    ("AWS::KMS::Key", ()),
])
def test_the_name_of_a_resource_comes_from_its_schema(type_name: str, name: tuple[str, ...]) -> None:
    assert resource_schema(REGION, type_name).name_properties == name


def test_a_type_without_a_schema_is_compared_without_guessing() -> None:
    def custom(t: dict[str, Any]) -> None:
        t["Resources"]["Planted"] = {"Type": "Custom::Planted", "Properties": {"ServiceToken": "arn", "A": "1"}}

    old = planted(custom)
    changes = impact(planted(lambda t: t["Resources"]["Planted"]["Properties"].update(A="2"), old), old)
    assert changes["Planted"].action is Action.MODIFY
