"""The AWS Guard Rules Registry rules a resource skips by design (builders/suppressions.py): written
on exactly the resources the registry would flag for that choice, with the reason beside them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conftest import with_each_engine
from templates_src.facts import aws as facts
from templates_src.builders import suppressions as S
from templates_src.builders.stack import build_template

from .envs import CLIENT_SG, NO_RETAIN, make_cfg

OTHER = {"vpc_id": "vpc-0f60718293a4b5c6d", "subnet_ids": ["subnet-0f60718293a4b5c11", "subnet-0f60718293a4b5c22"]}
RANGES = {"network": {"allowed_cidrs": ["10.20.0.0/16", "192.168.1.7/32", "2001:db8::/48", "2001:db8::7/128"],
                      "endpoint_network_type": "DUAL"},
          "endpoints": [{"name": "orders-test-apps", **OTHER, "allowed_cidrs": ["10.50.0.0/16", "10.50.0.9/32"]}]}


def _resources(*overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return build_template(make_cfg(*overrides)).to_dict()["Resources"]


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _suppressed_rules(resource: dict[str, Any]) -> list[str]:
    return resource.get("Metadata", {}).get("guard", {}).get("SuppressedRules", [])


@pytest.mark.unit
def test_an_ingress_rule_from_a_range_records_why_and_one_from_a_single_address_or_group_does_not():
    ingress = _of_type(_resources(RANGES), "AWS::EC2::SecurityGroupIngress")
    source = {name: r["Properties"].get("CidrIp") or r["Properties"].get("CidrIpv6")
              or r["Properties"].get("SourceSecurityGroupId") for name, r in ingress.items()
              if r["Properties"]["GroupId"] != "sg-0a1b2c3d4e5f60744"}  # not the database's group
    recorded = {source[name] for name in source if "Metadata" in ingress[name]}
    assert recorded == {"10.20.0.0/16", "2001:db8::/48", "10.50.0.0/16"}  # the proxy's and the endpoint's
    assert {"192.168.1.7/32", "2001:db8::7/128", "10.50.0.9/32", CLIENT_SG} <= set(source.values()) - recorded
    for name in source:
        if source[name] in recorded:
            assert ingress[name]["Metadata"] == {
                "guard": {"SuppressedRules": ["SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE"]},
                "RdsProxyCfn": {"Suppressions": {"SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE": S.CIDR_CLIENTS.reason}}}


@pytest.mark.unit
def test_every_alarm_records_why_it_is_named():
    alarms = _of_type(_resources(), "AWS::CloudWatch::Alarm")
    assert len(alarms) == 6
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmName"].startswith("orders-test-")
        assert alarm["Metadata"] == S.suppressed(S.NAMED_ALARM)["Metadata"]
        assert _suppressed_rules(alarm) == ["CFN_NO_EXPLICIT_RESOURCE_NAMES"]


@pytest.mark.unit
@pytest.mark.parametrize("days, waiver, rules", [
    (365, None, []),
    (3653, None, []),
    (1096, None, ["CW_LOGGROUP_RETENTION_PERIOD_CHECK"]),  # CloudWatch takes it, the registry's list lacks it
    (2192, None, ["CW_LOGGROUP_RETENTION_PERIOD_CHECK"]),
    # Under a year: the waiver suppresses Control Tower's control; the registry accepts 30.
    (30, "kept a month on purpose", ["cloudwatch_log_group_retention_period_check"]),
])
def test_the_log_group_suppresses_a_retention_rule_exactly_when_its_period_is_flagged(days, waiver, rules):
    waivers = {"waivers": {"log_retention": waiver}} if waiver else {}
    log_group = _resources({"proxy": {"log_retention_days": days}}, waivers)["ProxyLogGroup"]
    assert _suppressed_rules(log_group) == rules
    reasons = log_group.get("Metadata", {}).get("RdsProxyCfn", {})
    assert reasons.get("Suppressions", {}) == (
        {"CW_LOGGROUP_RETENTION_PERIOD_CHECK": S.RETENTION_NOT_IN_REGISTRY.reason} if days in (1096, 2192) else {})


@pytest.mark.unit
def test_a_waiver_and_a_choice_on_one_resource_are_both_recorded():
    log_group = _resources(NO_RETAIN, {"proxy": {"log_retention_days": 1096}})["ProxyLogGroup"]
    assert log_group["Metadata"] == {
        "RdsProxyCfn": {"Waivers": {"secrets_key_and_logs_retained": "throwaway test stacks (TICKET-7)"},
                        "Suppressions": {"CW_LOGGROUP_RETENTION_PERIOD_CHECK": S.RETENTION_NOT_IN_REGISTRY.reason}},
        "guard": {"SuppressedRules": ["CW_LOGGROUP_RETENTION_PERIOD_CHECK"]}}


@pytest.mark.unit
def test_the_registrys_retention_periods_are_cloudwatch_periods():
    assert set(facts.REGISTRY_LOG_RETENTION_DAYS) < set(facts.LOG_RETENTION_DAYS)


# A rule of the registry's form (its resource filter, as rules/aws/ writes it): proves the metadata
# sits where every registry rule reads it, with each Guard engine.
REGISTRY_FORM = """
let ranges = Resources.*[ Type == 'AWS::EC2::SecurityGroupIngress'
  Metadata.guard.SuppressedRules not exists or
  Metadata.guard.SuppressedRules.* != "SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE"
]
rule single_address_ingress when %ranges !empty {
    %ranges.Properties {
        CidrIp not exists or CidrIp == /\\/32$/
        CidrIpv6 not exists or CidrIpv6 == /\\/128$/
        <<Violation: ingress from a range>>
    }
}
"""


@pytest.mark.scanners
@with_each_engine
def test_a_registry_rule_skips_the_ranges_that_record_the_suppression(tmp_path, engine):
    from templates_src.checks.guard import check_policies

    rule = tmp_path / "registry_form.guard"
    rule.write_text(REGISTRY_FORM, encoding="utf-8")
    template = build_template(make_cfg(RANGES)).to_dict()
    assert check_policies(json.dumps(template), [rule], engine) == []
    bare = copy.deepcopy(template)
    for resource in bare["Resources"].values():
        resource.pop("Metadata", None)
    flagged = {f.path.split("/")[2] for f in check_policies(json.dumps(bare), [rule], engine)}
    assert flagged == {name for name, r in template["Resources"].items()
                       if "SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE" in _suppressed_rules(r)}
    assert len(flagged) == 3
