"""The provisioner's resources: order, what re-runs it, who reads the admin secret, its network.

CloudFormation calls a custom resource again only when its properties change ("Custom
resources", CloudFormation User Guide), so each trigger the docs promise must change them, and
nothing else may.
"""

from __future__ import annotations

import json

import pytest

from templates_src.builders import names
from templates_src.dbusers.deploy_order import artifact_key
from templates_src.builders.stack import build_template

from .envs import (ADMIN_SECRET, CA_SHA, PREFIX_LIST, PROVISIONER, PROVISIONER_NAT, CLUSTER, DB_SG, SUBNETS, END_TO_END_IAM, ENDPOINT_SG, POSTGRES, SQLSERVER, TWO_USERS, load_cfg, make_cfg,
                   merged, walk)
from conftest import example_configs

pytestmark = pytest.mark.unit

ADMIN_KEY = "arn:aws:kms:eu-west-1:111122223333:key/6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f"
NAT = PROVISIONER_NAT


def body(*overrides):
    return build_template(make_cfg(PROVISIONER, *overrides)).to_dict()


def users_properties(*overrides):
    return body(*overrides)["Resources"][names.DATABASE_USERS]["Properties"]


def depends_on(resource: dict) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else value


def test_the_users_resource_comes_before_the_target_group_and_no_wait_condition_is_left():
    resources = body(TWO_USERS)["Resources"]
    assert resources[names.DATABASE_USERS]["Type"] == "Custom::DatabaseUsers"
    assert names.DATABASE_USERS in depends_on(resources[names.TARGET_GROUP])
    assert not [name for name, r in resources.items() if r["Type"].startswith("AWS::CloudFormation::Wait")]
    # It reads every secret, so it comes after each (a Ref in its properties orders it).
    refs = {value for key, value in walk(resources[names.DATABASE_USERS]["Properties"]) if key == "Ref"}
    assert refs == {names.secret("app_user"), names.secret("migrator")}


@pytest.mark.parametrize("env", sorted(cfg.env for cfg in example_configs().values() if cfg.provisioner))
def test_every_provisioner_example_orders_endpoints_and_rotation_after_the_users(env):
    resources = build_template(example_configs()[env]).to_dict()["Resources"]

    def after(name: str, seen: frozenset = frozenset()) -> set[str]:
        direct = set(depends_on(resources[name]))
        direct |= {v for k, v in walk(resources[name].get("Properties", {})) if k == "Ref" and v in resources}
        direct |= {v[0] if isinstance(v, list) else v.split(".")[0]
                   for k, v in walk(resources[name].get("Properties", {})) if k == "Fn::GetAtt"}
        return direct | {d for n in direct - seen for d in after(n, seen | direct)}

    waiting = [name for name, r in resources.items()
               if r["Type"] in ("AWS::RDS::DBProxyTargetGroup", "AWS::RDS::DBProxyEndpoint",
                                "AWS::SecretsManager::RotationSchedule")]
    assert names.TARGET_GROUP in waiting
    for name in waiting:
        assert names.DATABASE_USERS in after(name), name
    assert "WaitCondition" not in json.dumps(resources)


TRIGGERS = {
    "a user added": TWO_USERS,
    "a role": {"users": [{"username": "app_user", "role": "readonly"}]},
    "a privilege": {"users": [{"username": "app_user", "privileges": ["SELECT", "INSERT"]}]},
    "generated passwords": {"secrets": {"password_length": 40}},
    "excluded characters": {"secrets": {"exclude_characters": "\"'@/\\:"}},
    "the target instance": {"target": {"db_instance_identifier": "orders-other-db"}},
    "a cluster target": CLUSTER,
    "the database": {"target": {"database_name": "billing"}},
    "the admin secret": {"provisioner": {"admin_secret_arn": ADMIN_SECRET.replace("0a1b2c3d", "9f8e7d6c")}},
    "a brought secret": {"users": [{"username": "app_user",
                                    "secret_arn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-AbCdEf"}]},
}
UNRELATED = {
    "the pool": {"pool": {"max_connections_percent": 60}},
    "the idle timeout": {"proxy": {"idle_client_timeout": 900}},
    "a tag": {"tags": {"team": "orders"}},
    "a client group": {"network": {"client_security_group_ids": ["sg-0a1b2c3d4e5f60799"]}},
    "log retention": {"proxy": {"log_retention_days": 731}},
    "the artifact bucket": {"provisioner": {"artifact_bucket": "orders-artifacts-2"}},
}


WITH_DATABASE = {"target": {"database_name": "orders"}}  # where roles and privileges are granted


@pytest.mark.parametrize("change", sorted(TRIGGERS))
def test_each_trigger_changes_the_properties(change):
    assert users_properties(WITH_DATABASE, TRIGGERS[change]) != users_properties(WITH_DATABASE)


@pytest.mark.parametrize("change", sorted(UNRELATED))
def test_nothing_else_changes_them(change):
    assert users_properties(WITH_DATABASE, UNRELATED[change]) == users_properties(WITH_DATABASE)


def test_the_sql_is_the_file_without_its_header():
    from templates_src.dbusers.sql import db_users_sql

    cfg = make_cfg(PROVISIONER, TWO_USERS)
    sql = users_properties(TWO_USERS)["Sql"]
    assert db_users_sql(cfg).endswith(sql)
    assert "Generated by rds-proxy-cfn" not in sql and "<password of app_user>" in sql


def test_no_password_and_no_secret_value_in_the_properties():
    properties = users_properties(TWO_USERS)
    assert [u["PasswordForm"] for u in properties["Users"]] == ["literal", "literal"]
    assert "resolve:secretsmanager" not in json.dumps(properties)
    assert users_properties(POSTGRES, TWO_USERS)["Users"][0]["PasswordForm"] == "scram-sha-256"
    iam = users_properties(POSTGRES, END_TO_END_IAM)
    assert "PasswordGeneration" not in iam
    assert all(set(u) == {"Username", "Disable"} for u in iam["Users"])


def test_only_the_provisioner_role_may_read_the_admin_secret_and_decrypt_its_key():
    resources = body({"provisioner": {"admin_secret_kms_key_arn": ADMIN_KEY}})["Resources"]
    readers = [name for name, r in resources.items() if ADMIN_SECRET in json.dumps(r)]
    assert sorted(readers) == [names.DATABASE_USERS, names.PROVISIONER_POLICY]
    assert [name for name, r in resources.items() if ADMIN_KEY in json.dumps(r)] == [names.PROVISIONER_POLICY]
    statements = {s["Sid"]: s for s in resources[names.PROVISIONER_POLICY]["Properties"]["PolicyDocument"]["Statement"]}
    decrypt = statements["DecryptThroughSecretsManager"]
    assert decrypt["Action"] == ["kms:Decrypt"] and ADMIN_KEY in decrypt["Resource"]
    assert "kms:ViaService" in decrypt["Condition"]["StringEquals"]
    assert statements["FindTheDatabase"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:orders-test-db"}]


def test_secret_resource_policies_let_the_provisioner_in():
    readers = {"iam": {"secret_reader_arns": ["arn:aws:iam::111122223333:role/platform/Auditor"]}}
    resources = body(readers)["Resources"]
    condition = resources[names.secret_policy("app_user")]["Properties"]["ResourcePolicy"]["Statement"][0]["Condition"]
    assert {"Fn::GetAtt": [names.PROVISIONER_ROLE, "Arn"]} in condition["ArnNotEquals"]["aws:PrincipalArn"]


def test_egress_reaches_the_database_and_the_endpoints_only():
    resources = body()["Resources"]
    egress = resources[names.PROVISIONER_SECURITY_GROUP]["Properties"]["SecurityGroupEgress"]
    assert [(r["FromPort"], r.get("DestinationSecurityGroupId") or r.get("DestinationPrefixListId")) for r in egress] == [
        (3306, DB_SG), (443, ENDPOINT_SG), (443, PREFIX_LIST)]
    ingress = {r["Properties"]["GroupId"]: r["Properties"] for r in resources.values()
               if r["Type"] == "AWS::EC2::SecurityGroupIngress"
               and r["Properties"].get("SourceSecurityGroupId") == {
                   "Fn::GetAtt": [names.PROVISIONER_SECURITY_GROUP, "GroupId"]}}
    assert sorted(ingress) == sorted([DB_SG, ENDPOINT_SG])
    assert ingress[ENDPOINT_SG]["FromPort"] == 443


def test_nat_is_https_to_any_address_with_its_waiver():
    resources = body(NAT)["Resources"]
    group = resources[names.PROVISIONER_SECURITY_GROUP]
    assert [(r["FromPort"], r.get("CidrIp")) for r in group["Properties"]["SecurityGroupEgress"]][1:] == [
        (443, "0.0.0.0/0")]
    assert "EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE" in group["Metadata"]["guard"]["SuppressedRules"]


def test_the_function_is_in_the_vpc_with_its_code_named_by_its_digest():
    function = body()["Resources"][names.PROVISIONER_FUNCTION]["Properties"]
    assert function["VpcConfig"]["SubnetIds"] == SUBNETS
    assert function["Code"] == {"S3Bucket": "orders-artifacts", "S3Key": artifact_key(CA_SHA)}
    assert function["ReservedConcurrentExecutions"] == 1
    other = body({"provisioner": {"ca_bundle_sha256": "0" * 63 + "1"}})
    assert other["Resources"][names.PROVISIONER_FUNCTION]["Properties"]["Code"]["S3Key"] != function["Code"]["S3Key"]
    assert "FunctionName" not in function


def test_its_log_group_takes_the_stacks_id_and_the_key_lets_logs_in_for_it():
    resources = body()["Resources"]
    name = resources[names.PROVISIONER_LOG_GROUP]["Properties"]["LogGroupName"]
    assert {"Ref": "AWS::StackId"} in list(walk(name)) or "AWS::StackId" in json.dumps(name)
    assert resources[names.PROVISIONER_LOG_GROUP]["DeletionPolicy"] == "RetainExceptOnCreate"
    logs = next(s for s in resources[names.KEY]["Properties"]["KeyPolicy"]["Statement"]
                if s["Sid"] == "ProxyLogGroupEncryption")
    assert json.dumps(name) in json.dumps(logs["Condition"])
    assert "RoleName" not in resources[names.PROVISIONER_ROLE]["Properties"]


def test_script_mode_is_unchanged_without_the_section():
    resources = build_template(make_cfg(TWO_USERS)).to_dict()["Resources"]
    assert names.DATABASE_USERS not in resources and names.PROVISIONER_FUNCTION not in resources
    assert any(r["Type"] == "AWS::CloudFormation::WaitCondition" for r in resources.values())


def test_sql_server_stays_on_the_script_mode():
    from templates_src.config.errors import ParamsErrors

    with pytest.raises(ParamsErrors, match="SQL Server stays on the script mode"):
        load_cfg(merged(PROVISIONER, SQLSERVER))


def test_the_master_with_the_admins_secret_lets_the_proxy_read_that_secret_too():
    as_admin = {"users": [{"username": "admin", "master": True, "secret_arn": ADMIN_SECRET}]}
    resources = body(as_admin)["Resources"]
    readers = sorted(name for name, r in resources.items() if ADMIN_SECRET in json.dumps(r))
    assert readers == sorted([names.DATABASE_USERS, names.PROVISIONER_POLICY, names.PROXY, names.ROLE_POLICY])
    read = next(s for s in resources[names.PROVISIONER_POLICY]["Properties"]["PolicyDocument"]["Statement"]
                if s["Sid"] == "ReadAdminAndUserSecrets")
    assert read["Resource"] == [ADMIN_SECRET]
    # Only as the admin's: the custom resource carries it as AdminSecretArn, no user's SecretArn.
    assert users_properties(as_admin)["Users"] == []


def test_postgres_without_a_database_connects_to_postgres_and_mysql_to_none():
    assert users_properties(POSTGRES)["DatabaseName"] == "postgres"
    assert "DatabaseName" not in users_properties()
    assert users_properties(POSTGRES, {"target": {"database_name": "billing"}})["DatabaseName"] == "billing"
