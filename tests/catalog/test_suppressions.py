"""The AWS Guard Rules Registry rules the Service Catalog product and the portfolio skip by design
(builders/suppressions.py), each on exactly the resources it concerns, with its reason."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from templates_src import __version__
from templates_src.facts import aws as facts
from templates_src.builders import suppressions as S
from templates_src.catalog import portfolio

from .helpers import product_body

pytestmark = pytest.mark.unit


def _suppressions(resource: dict[str, Any]) -> dict[str, str]:
    return resource.get("Metadata", {}).get("RdsProxyCfn", {}).get("Suppressions", {})


def test_the_products_secrets_and_log_group_say_why_the_registry_skips_them():
    resources = product_body()["Resources"]
    by_type: dict[str, set[str]] = {}
    for name, resource in resources.items():
        for rule in resource.get("Metadata", {}).get("guard", {}).get("SuppressedRules", []):
            by_type.setdefault(rule, set()).add(resource["Type"])
            assert _suppressions(resource)[rule], name
    assert by_type == {"SECRETSMANAGER_ROTATION_ENABLED_CHECK": {"AWS::SecretsManager::Secret"},
                       "CW_LOGGROUP_RETENTION_PERIOD_CHECK": {"AWS::Logs::LogGroup"},
                       "CFN_NO_EXPLICIT_RESOURCE_NAMES": {"AWS::CloudWatch::Alarm"}}
    secrets = [r for r in resources.values() if r["Type"] == "AWS::SecretsManager::Secret"]
    assert secrets and all(_suppressions(r) == {S.PRODUCT_NOT_ROTATED.rule: S.PRODUCT_NOT_ROTATED.reason}
                           for r in secrets)
    assert not any(r["Type"] == "AWS::SecretsManager::RotationSchedule" for r in resources.values())
    # The retention is the launch parameter, offered with CloudWatch's periods only.
    # The proxy's is made or adopted by the provisioner (a custom type no registry rule reads);
    # the function's own is an AWS::Logs::LogGroup, which says why.
    assert resources["AdoptedProxyLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert "guard" not in resources["AdoptedProxyLogGroup"].get("Metadata", {})
    log_group = resources["DatabaseUsersLogGroup"]
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert product_body()["Parameters"]["LogRetentionInDays"]["AllowedValues"] == \
        [str(days) for days in facts.LOG_RETENTION_DAYS]
    assert _suppressions(log_group) == {S.PRODUCT_RETENTION_PARAMETER.rule: S.PRODUCT_RETENTION_PARAMETER.reason}


def _resolved_length(node: Any) -> int:
    """The policy as IAM measures it once CloudFormation resolves it in the shortest way (partition
    aws, a 9-character region, PassRoleOnlyToRds off): characters, whitespace not counted."""
    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            if "Fn::Sub" in value:
                return (value["Fn::Sub"].replace("${AWS::Partition}", "aws")
                        .replace("${AWS::AccountId}", "111122223333").replace("${AWS::Region}", "us-east-1"))
            return {k: resolve(v) for k, v in value.items() if not (isinstance(v, dict) and "Fn::If" in v)}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value
    return len(re.sub(r"\s", "", json.dumps(resolve(node), separators=(",", ":"))))


def test_the_launch_role_says_why_it_is_named_its_policy_inline_and_some_actions_unscoped():
    types = {r["Type"] for r in product_body()["Resources"].values()}
    role = portfolio.portfolio_template(__version__, types).to_dict()["Resources"]["LaunchRole"]
    rules = ["CFN_NO_EXPLICIT_RESOURCE_NAMES", "IAM_NO_INLINE_POLICY_CHECK", "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"]
    assert role["Metadata"]["guard"] == {"SuppressedRules": rules}
    assert set(_suppressions(role)) == set(rules)
    assert role["Properties"]["RoleName"] == {"Ref": "LaunchRoleName"}
    # The reason for the inline policy holds: too long for a managed policy, short enough inline.
    [policy] = role["Properties"]["Policies"]
    assert facts.MANAGED_POLICY_MAX_CHARACTERS < _resolved_length(policy["PolicyDocument"]) \
        <= facts.ROLE_INLINE_POLICIES_MAX_CHARACTERS
    # Resource "*" only in the statements the reason names.
    unscoped = {s["Sid"] for s in policy["PolicyDocument"]["Statement"] if "*" in s["Resource"]}
    assert unscoped == {"ManageUnscoped", "ValidateProductTemplate", "ReadProductTemplate"}
    actions = {a for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "ManageUnscoped" for a in s["Action"]}
    assert all(re.fullmatch(r"[a-z0-9]+:(List|Describe)\w+", a) for a in actions
               - {"kms:CreateKey", "secretsmanager:GetRandomPassword"})
