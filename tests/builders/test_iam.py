"""The proxy's role (read exactly its secrets) and the client policy (connect as named users)."""

from __future__ import annotations

import pytest

from templates_src.builders import iam

from .envs import (WAIVE_IAM, KEY_ARN, LEGACY_SECRET_ARN, NO_IAM, OWN_KEY, SQLSERVER, TWO_USERS, get_att, make_cfg, props, ref,
                   statements, sub, walk)

PROXY_ID = {"Fn::Select": [6, {"Fn::Split": [":", get_att("Proxy", "DBProxyArn")]}]}
DB_USER_ARN = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/"


def _role(*overrides):
    return props(iam.build_proxy_role(make_cfg(*overrides)))


def _role_policy(*overrides):
    [policy] = _role(*overrides)["Policies"]
    assert policy["PolicyName"] == "read-proxy-secrets"
    return statements(policy["PolicyDocument"])


def _client_arns(*overrides):
    [policy] = iam.build_client_policy(make_cfg(*overrides))
    [statement] = props(policy)["PolicyDocument"]["Statement"]
    return statement["Resource"]


def test_role_is_trusted_by_rds_for_this_account_only():
    trust = _role()["AssumeRolePolicyDocument"]
    assert trust == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": ["rds.amazonaws.com"]},
        "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
    }]}


def test_role_description_and_tags():
    role = _role()
    assert role["Description"] == "Assumed by RDS Proxy orders-test (test) to read its database secrets"
    assert role["Tags"] == [{"Key": "Environment", "Value": "test"}]


def test_role_policy_has_exactly_two_statements():
    assert list(_role_policy()) == ["ReadProxySecrets", "DecryptProxySecrets"]


@pytest.mark.parametrize("overrides, resources", [
    ((), [ref("AppUserSecret")]),
    ((TWO_USERS,), [ref("AppUserSecret"), ref("MigratorSecret")]),
    (({"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN}, {"username": "migrator"}]},),
     [LEGACY_SECRET_ARN, ref("MigratorSecret")]),
])
def test_get_secret_value_on_exactly_the_secrets(overrides, resources):
    read = _role_policy(*overrides)["ReadProxySecrets"]
    assert read["Effect"] == "Allow"
    assert read["Action"] == ["secretsmanager:GetSecretValue"]
    assert read["Resource"] == resources
    assert "Condition" not in read


@pytest.mark.parametrize("overrides, key", [
    ((), get_att("ProxySecretsKey", "Arn")),
    ((OWN_KEY,), KEY_ARN),
])
def test_decrypt_only_the_key_and_only_via_secrets_manager(overrides, key):
    decrypt = _role_policy(*overrides)["DecryptProxySecrets"]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == [key]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": sub("secretsmanager.${AWS::Region}.amazonaws.com")},
    }


def test_role_has_no_wildcard_resource_or_action():
    role = _role(TWO_USERS)
    values = [value for name, value in walk(role) if name in ("Resource", "Action")]
    assert values and all("*" not in v for v in values)


def test_client_policy_connects_as_each_iam_user_through_this_proxy():
    assert _client_arns(TWO_USERS) == [
        {"Fn::Sub": [DB_USER_ARN + "app_user", {"ProxyId": PROXY_ID}]},
        {"Fn::Sub": [DB_USER_ARN + "migrator", {"ProxyId": PROXY_ID}]},
    ]


def test_client_policy_statement_and_description():
    [policy] = iam.build_client_policy(make_cfg(TWO_USERS))
    assert policy.title == "ProxyClientPolicy"
    body = props(policy)
    assert body["Description"] == "Connect to RDS Proxy orders-test (test) with IAM auth as app_user, migrator"
    [statement] = body["PolicyDocument"]["Statement"]
    assert (statement["Sid"], statement["Effect"], statement["Action"]) == (
        "ConnectThroughProxy", "Allow", ["rds-db:connect"])


@pytest.mark.parametrize("users, engine, expected", [
    ([{"username": "a", "iam_auth": "DISABLED"}, {"username": "b"}], {}, ["b"]),
    ([{"username": "a", "iam_auth": "ENABLED"}, {"username": "b", "iam_auth": "DISABLED"}], SQLSERVER, ["a"]),
    ([{"username": "a", "iam_auth": "ENABLED"}, {"username": "b", "iam_auth": "REQUIRED"}], SQLSERVER, ["a", "b"]),
])
def test_client_policy_lists_only_iam_users(users, engine, expected):
    arns = _client_arns(engine, {"users": users}, WAIVE_IAM)
    assert [arn["Fn::Sub"][0].rsplit("/", 1)[1] for arn in arns] == expected


@pytest.mark.parametrize("overrides", [
    (NO_IAM,),
    ({"proxy": {"require_tls": False}, "users": [{"username": "a", "iam_auth": "DISABLED"}]}, NO_IAM),
])
def test_no_client_policy_without_iam_users(overrides):
    assert iam.build_client_policy(make_cfg(*overrides)) == []


def test_proxy_resource_id_is_cut_from_the_arn():
    assert iam.proxy_resource_id().to_dict() == PROXY_ID
