"""Hosted rotation: attachments, schedules, the rotation security group and the transform."""

from __future__ import annotations

import pytest

from templates_src.builders import rotation, security_groups
from templates_src.config import ParamsErrors
from templates_src.builders.stack import build_template

from .envs import (ALTERNATING, ANY_DATABASE_ADDRESS, CLUSTER, DB_SG, LEGACY_SECRET_ARN, POSTGRES, ROTATION,
                   ROTATION_ANY_ADDRESS, ROTATION_EGRESS_REASON, SQLSERVER, SUBNETS, TWO_USERS, ENDPOINT_SG, make_cfg)

pytestmark = pytest.mark.unit


def _resources(*overrides) -> dict:
    return build_template(make_cfg(*overrides)).to_dict()["Resources"]


def test_no_rotation_by_default():
    template = build_template(make_cfg()).to_dict()
    assert "Transform" not in template
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("AWS::SecretsManager::R")]
    assert rotation.build_rotation(make_cfg()) == [] and security_groups.build_rotation_groups(make_cfg()) == []


def test_single_user_rotation_of_each_generated_secret():
    template = build_template(make_cfg(ROTATION, TWO_USERS)).to_dict()
    assert template["Transform"] == "AWS::SecretsManager-2024-09-16"
    resources = template["Resources"]
    assert resources["AppUserSecretAttachment"] == {"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {
        "SecretId": {"Ref": "AppUserSecret"}, "TargetId": "orders-test-db",
        "TargetType": "AWS::RDS::DBInstance"}}
    schedule = resources["MigratorSecretRotation"]["Properties"]
    # The secret itself by Ref (what the Guard Rules Registry's SECRETSMANAGER_ROTATION_ENABLED_CHECK
    # looks for), after its attachment (DependsOn, next test).
    assert schedule["SecretId"] == {"Ref": "MigratorSecret"}
    assert "Metadata" not in resources["MigratorSecret"]  # rotated: nothing waived
    assert schedule["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert schedule["HostedRotationLambda"] == {
        "RotationType": "MySQLSingleUser",
        "VpcSubnetIds": ",".join(SUBNETS),
        "VpcSecurityGroupIds": {"Fn::GetAtt": ["RotationSecurityGroup", "GroupId"]},
        "KmsKeyArn": {"Fn::GetAtt": ["ProxySecretsKey", "Arn"]},
        "ExcludeCharacters": "\"'@/\\`",
    }


@pytest.mark.parametrize("overrides, rotation_type, target_type", [
    ((POSTGRES, CLUSTER, ROTATION), "PostgreSQLSingleUser", "AWS::RDS::DBCluster"),
    ((SQLSERVER, ROTATION), "SQLServerSingleUser", "AWS::RDS::DBInstance"),
    ((ROTATION,), "MySQLSingleUser", "AWS::RDS::DBInstance"),
])
def test_rotation_type_and_target_per_engine(overrides, rotation_type, target_type):
    resources = _resources(*overrides)
    lam = resources["AppUserSecretRotation"]["Properties"]["HostedRotationLambda"]
    assert lam["RotationType"] == rotation_type
    assert resources["AppUserSecretAttachment"]["Properties"]["TargetType"] == target_type
    assert "SuperuserSecretArn" not in lam


def test_rotation_waits_for_the_users_and_never_runs_at_create():
    """RotateImmediatelyOnUpdate false, and after the users-ready wait condition: the first
    rotation can only log in once create-db-users.sh has made the user."""
    resources = _resources(ROTATION)
    [ready] = [k for k, v in resources.items() if v["Type"] == "AWS::CloudFormation::WaitCondition"]
    schedule = resources["AppUserSecretRotation"]
    assert schedule["Properties"]["RotateImmediatelyOnUpdate"] is False
    assert schedule["DependsOn"] == ["AppUserSecretAttachment", ready]


def test_alternating_users_is_refused():
    with pytest.raises(ParamsErrors, match="alternating_users is refused"):
        make_cfg(ALTERNATING)


def test_brought_secrets_are_not_rotated():
    resources = _resources(ROTATION, {"users": [{"username": "legacy", "secret_arn": LEGACY_SECRET_ARN},
                                                {"username": "app_user"}]})
    assert "LegacySecretRotation" not in resources and "AppUserSecretRotation" in resources


@pytest.mark.parametrize("database_group", [None, DB_SG])
def test_rotation_security_group_reaches_database_and_api_only(database_group):
    overrides = (ROTATION,) if database_group else (ANY_DATABASE_ADDRESS, ROTATION_ANY_ADDRESS)
    resources = _resources(*overrides)
    group = resources["RotationSecurityGroup"]["Properties"]
    database, api = group["SecurityGroupEgress"]  # nothing else: no default allow-all
    assert (api["FromPort"], api["ToPort"], api["IpProtocol"]) == (443, 443, "tcp")
    assert database["FromPort"] == database["ToPort"] == 3306
    if database_group:
        # Database and endpoint named: no address outside them, nothing waived.
        assert database["DestinationSecurityGroupId"] == DB_SG and api["DestinationSecurityGroupId"] == ENDPOINT_SG
        assert "CidrIp" not in api and "Metadata" not in resources["RotationSecurityGroup"]
        for title, target in (("DatabaseIngressFromRotation", DB_SG), ("SecretsManagerEndpointIngressFromRotation",
                                                                       ENDPOINT_SG)):
            ingress = resources[title]["Properties"]
            assert ingress["GroupId"] == target
            assert ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": ["RotationSecurityGroup", "GroupId"]}
    else:
        assert database["CidrIp"] == "0.0.0.0/0" and "DatabaseIngressFromRotation" not in resources
        assert api["CidrIp"] == "0.0.0.0/0" and "SecretsManagerEndpointIngressFromRotation" not in resources
        # The rules go to any address: the waiver that allows it is recorded on the group.
        assert api_waiver(resources) == ROTATION_EGRESS_REASON
    ingress_rules = [r for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
                     and r["Properties"]["GroupId"] == {"Fn::GetAtt": ["RotationSecurityGroup", "GroupId"]}]
    assert ingress_rules == []  # nothing connects to the rotation functions


def test_an_endpoint_group_without_rotation_is_refused():
    with pytest.raises(ParamsErrors, match="secrets_manager_endpoint_security_group_id: has no effect"):
        make_cfg({"network": {"secrets_manager_endpoint_security_group_id": ENDPOINT_SG}})


def test_rotation_egress_to_the_database_range_when_given():
    resources = _resources(ROTATION, {"network": {"database_security_group_id": None, "database_cidr": "10.20.0.0/22"}})
    [database, _] = resources["RotationSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert database["CidrIp"] == "10.20.0.0/22" and "DatabaseIngressFromRotation" not in resources


def api_waiver(resources: dict) -> str:
    metadata = resources["RotationSecurityGroup"]["Metadata"]
    assert metadata["guard"] == {"SuppressedRules": ["EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE"]}
    return metadata["RdsProxyCfn"]["Waivers"]["no_world_open_egress"]
