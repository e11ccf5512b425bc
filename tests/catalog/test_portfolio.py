"""portfolio.yaml, portfolio-factory.yaml and the files render_catalog returns."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import yaml

from templates_src import __version__
from templates_src.builders.provisioner import VPC_ACCESS_POLICY_SUB
from templates_src.catalog import (FACTORY_FILE, PORTFOLIO_FILE, PRODUCT_FILE, PROVISIONING_FILE, factory,
                                   launch_permissions, portfolio, render_catalog)

from .helpers import examples, lint, product_body

pytestmark = pytest.mark.unit

HANDLERS = ("create", "read", "update", "delete")


@cache
def files() -> dict[str, str]:
    return render_catalog(examples(), __version__)


@cache
def portfolio_body() -> dict[str, Any]:
    types = {r["Type"] for r in product_body()["Resources"].values()}
    return portfolio.portfolio_template(__version__, types).to_dict()


def by_type(resource_type: str) -> dict[str, Any]:
    [resource] = [r for r in portfolio_body()["Resources"].values() if r["Type"] == resource_type]
    return resource["Properties"]


def test_the_portfolio_is_lint_clean() -> None:
    assert lint(files()[PORTFOLIO_FILE], ["us-east-1", "eu-west-1"]) == []


def test_the_portfolio_publishes_this_version_from_the_template_url() -> None:
    product = by_type("AWS::ServiceCatalog::CloudFormationProduct")
    [artifact] = product["ProvisioningArtifactParameters"]
    assert artifact["Name"] == __version__
    assert artifact["Info"] == {"LoadTemplateFromURL": {"Ref": "ProductTemplateUrl"}}
    association = by_type("AWS::ServiceCatalog::PortfolioProductAssociation")
    assert association == {"PortfolioId": {"Ref": "Portfolio"}, "ProductId": {"Ref": "Product"}}
    principal = by_type("AWS::ServiceCatalog::PortfolioPrincipalAssociation")
    assert principal["PrincipalARN"] == {"Ref": "PrincipalArn"} and principal["PrincipalType"] == "IAM"


def test_the_launch_constraint_uses_the_launch_role_by_name() -> None:
    constraint = by_type("AWS::ServiceCatalog::LaunchRoleConstraint")
    # The role this stack creates, or (a second region of the account) the one of that name.
    assert constraint["LocalRoleName"] == {"Fn::If": ["CreateLaunchRole", {"Ref": "LaunchRole"},
                                                      {"Ref": "LaunchRoleName"}]}
    assert "RoleArn" not in constraint
    role = by_type("AWS::IAM::Role")
    assert role["RoleName"] == {"Ref": "LaunchRoleName"}
    assert portfolio_body()["Resources"]["LaunchRole"]["Condition"] == "CreateLaunchRole"
    assert portfolio_body()["Conditions"]["CreateLaunchRole"] == {"Fn::Equals": [{"Ref": "CreateLaunchRole"}, "true"]}
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": ["servicecatalog.amazonaws.com"]}
    assert factory.SETTINGS.launch_role_name == portfolio_body()["Parameters"]["LaunchRoleName"]["Default"]


def _granted() -> dict[str, list[Any]]:
    role = by_type("AWS::IAM::Role")
    grants: dict[str, list[Any]] = {}
    for statement in role["Policies"][0]["PolicyDocument"]["Statement"]:
        for action in statement["Action"]:
            grants.setdefault(action, []).extend(statement["Resource"])
    return grants


def test_the_launch_role_may_do_what_cloudformation_does_for_each_product_resource() -> None:
    """Compared with the handler permissions in the resource schemas cfn-lint ships."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    granted = _granted()
    for resource_type in sorted({r["Type"] for r in product_body()["Resources"].values()}):
        assert resource_type in launch_permissions.LAUNCH_PERMISSIONS, f"no launch permissions for {resource_type}"
        handlers = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema.get("handlers", {})
        needed = {p for h in HANDLERS for p in handlers.get(h, {}).get("permissions", [])}
        missing = needed - set(granted) - launch_permissions.NOT_NEEDED
        assert not missing, f"{resource_type}: the launch role lacks {sorted(missing)}"


def test_the_launch_role_is_scoped() -> None:
    granted = _granted()
    assert not [a for a in granted if a.endswith(":*") or a == "*"], "no wildcard actions"
    unscoped = {a for a, resources in granted.items() if "*" in resources}
    # Actions AWS does not scope to a resource (or not to one known before it exists).
    assert unscoped == {"cloudformation:ValidateTemplate", "s3:GetObject", "kms:CreateKey", "kms:ListAliases",
                        "secretsmanager:GetRandomPassword", "ec2:DescribeInstances", "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSecurityGroupRules", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
                        "cloudwatch:ListDashboards", "sns:ListTopics",
                        # Lambda's checks of the function's network (CreateFunction with VpcConfig).
                        "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeVpcs"}
    iam = {a: r for a, r in granted.items() if a.startswith("iam:") and a not in launch_permissions.DETACH_ACTIONS}
    assert all(r["Fn::Sub"].split(":")[-1] in ("role/SC-*", "policy/SC-*") for rs in iam.values() for r in rs)


def test_the_launch_role_may_detach_only_the_products_policies() -> None:
    """Deleting an attached client policy detaches it from its users' roles first: any role, user or
    group of the account, but only for the product's own policies (policy/SC-*)."""
    role = by_type("AWS::IAM::Role")
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]
                  if set(s["Action"]) & set(launch_permissions.DETACH_ACTIONS)}
    assert set(statements) == {"DetachProductPoliciesToDeleteThem", "DetachVpcAccessPolicy"}
    statement = statements["DetachProductPoliciesToDeleteThem"]
    assert sorted(statement["Action"]) == sorted(launch_permissions.DETACH_ACTIONS)
    assert [r["Fn::Sub"].rsplit(":", 1)[-1] for r in statement["Resource"]] == ["role/*", "user/*", "group/*"]
    assert statement["Condition"] == {"ArnLike": {"iam:PolicyARN": {"Fn::Sub": launch_permissions.STACK_POLICIES}}}
    # The database-users function's role: the one AWS managed policy it holds, from its own roles only.
    vpc = statements["DetachVpcAccessPolicy"]
    assert vpc["Action"] == ["iam:DetachRolePolicy"] and vpc["Resource"] == [{"Fn::Sub": launch_permissions.STACK_ROLES}]
    assert vpc["Condition"] == {"ArnLike": {"iam:PolicyARN": {"Fn::Sub": VPC_ACCESS_POLICY_SUB}}}


def test_the_factory_file_is_a_factory_portfolio_of_this_version() -> None:
    text = files()[FACTORY_FILE]
    assert text.startswith("# Generated by rds-proxy-cfn")
    data = yaml.safe_load(text)
    assert data["Schema"] == "factory-2019-04-01"
    [folio] = data["Portfolios"]
    assert {"DisplayName", "Description", "ProviderName"} <= set(folio)
    [component] = folio["Components"]
    required = {"Name", "Owner", "Description", "Distributor", "SupportDescription", "SupportEmail", "SupportUrl"}
    assert required <= set(component)
    [version] = component["Versions"]
    assert version["Name"] == __version__ and version["Active"] is True
    assert version["Source"]["Provider"] == "S3"
    assert set(version["Source"]["Configuration"]) == {"BucketName", "S3ObjectKey"}
    assert component["Constraints"] == {"Launch": {"LocalRoleName": factory.SETTINGS.launch_role_name}}


def test_render_catalog_returns_the_shared_files_and_one_launch_per_env() -> None:
    expected = {PRODUCT_FILE, PORTFOLIO_FILE, FACTORY_FILE, *(f"{c.env}/{PROVISIONING_FILE}" for c in examples())}
    assert set(files()) == expected
    assert render_catalog(examples(), __version__) == files(), "same input, same bytes"
    for cfg in examples():
        parameters = json.loads(files()[f"{cfg.env}/{PROVISIONING_FILE}"])
        assert all(set(p) == {"Key", "Value"} and isinstance(p["Value"], str) for p in parameters)
        assert [p["Key"] for p in parameters] == sorted(p["Key"] for p in parameters)
    assert all(text.endswith("\n") for text in files().values())


def test_the_launch_role_passes_roles_only_to_rds_only_when_the_deployer_turns_it_on() -> None:
    """iam:PassedToService for CreateDBProxy is documented nowhere (docs/policy-assumptions.md):
    the condition hangs on the portfolio's PassRoleOnlyToRds parameter, off by default."""
    body = portfolio_body()
    assert body["Parameters"]["PassRoleOnlyToRds"]["Default"] == "false"
    assert body["Conditions"]["PassRoleOnlyToRds"] == {"Fn::Equals": [{"Ref": "PassRoleOnlyToRds"}, "true"]}
    [document] = [p["PolicyDocument"] for p in body["Resources"]["LaunchRole"]["Properties"]["Policies"]]
    [passing] = [s for s in document["Statement"] if s["Sid"] == "PassProxyRoleToRds"]
    assert passing["Condition"] == {"Fn::If": ["PassRoleOnlyToRds",
                                               {"StringEquals": {"iam:PassedToService": "rds.amazonaws.com"}},
                                               {"Ref": "AWS::NoValue"}]}


def test_one_launch_role_serves_every_region_of_the_account() -> None:
    """IAM names are one per account (AWS::IAM::Role, RoleName: "Naming an IAM resource can cause an
    unrecoverable error if you reuse the same template in multiple Regions"), so the portfolio of a
    second region uses the first one's role: its policy names no one region."""
    text = json.dumps(by_type("AWS::IAM::Role")["Policies"])
    assert "${AWS::Region}" not in text
    [encrypt] = [s for s in by_type("AWS::IAM::Role")["Policies"][0]["PolicyDocument"]["Statement"]
                 if s["Sid"] == "EncryptSecretsWithKey"]
    assert encrypt["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    output = portfolio_body()["Outputs"]["LaunchRoleArn"]["Value"]
    assert output == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${LaunchRoleName}"}


def test_with_create_launch_role_false_nothing_refers_to_the_role_it_does_not_create() -> None:
    """The second region's stack: every Fn::If on CreateLaunchRole takes its false branch, the
    role is not created, and no Ref or GetAtt left names it (CloudFormation would refuse the
    template: "Unresolved resource dependencies")."""
    body = portfolio_body()

    def resolved(node: Any) -> Any:
        if isinstance(node, dict):
            if list(node) == ["Fn::If"] and node["Fn::If"][0] == "CreateLaunchRole":
                return resolved(node["Fn::If"][2])
            return {k: resolved(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolved(v) for v in node]
        return node

    kept = {lid: resolved(r) for lid, r in body["Resources"].items() if r.get("Condition") != "CreateLaunchRole"}
    outputs = resolved(body["Outputs"])
    text = json.dumps([kept, outputs])
    assert "LaunchRole" not in kept and "LaunchConstraint" in kept
    assert '{"Ref": "LaunchRole"}' not in text and '"Fn::GetAtt": ["LaunchRole"' not in text
    assert kept["LaunchConstraint"]["Properties"]["LocalRoleName"] == {"Ref": "LaunchRoleName"}
