"""The customer-managed key: rotation, a policy with no wildcard principal, retention."""

from __future__ import annotations

import pytest

from templates_src.builders import kms

from .envs import KEY_ARN, NO_RETAIN, OWN_KEY, PROXY_NAME, by_title, get_att, make_cfg, props, ref, statements, sub, walk

pytestmark = pytest.mark.unit

ACCOUNT_ROOT = {"AWS": [sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")]}
VIA_SECRETS_MANAGER = sub("secretsmanager.${AWS::Region}.amazonaws.com")
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


@pytest.fixture(scope="module")
def key_resources():
    return by_title(kms.build_key(make_cfg()))


@pytest.fixture(scope="module")
def policy(key_resources):
    return statements(props(key_resources["ProxySecretsKey"])["KeyPolicy"])


def test_key_and_alias_are_created(key_resources):
    assert set(key_resources) == {"ProxySecretsKey", "ProxySecretsKeyAlias"}
    assert key_resources["ProxySecretsKey"].to_dict()["Type"] == "AWS::KMS::Key"


def test_key_rotation_is_on(key_resources):
    key = props(key_resources["ProxySecretsKey"])
    assert key["EnableKeyRotation"] is True
    assert key["Description"] == f"Encrypts the secrets and logs of RDS Proxy {PROXY_NAME} (test)"
    assert {"Key": "Environment", "Value": "test"} in key["Tags"]


def test_alias_names_the_proxy(key_resources):
    assert props(key_resources["ProxySecretsKeyAlias"]) == {
        "AliasName": f"alias/rds-proxy/{PROXY_NAME}",
        "TargetKeyId": ref("ProxySecretsKey"),
    }


def test_policy_has_exactly_the_six_statements(key_resources, policy):
    document = props(key_resources["ProxySecretsKey"])["KeyPolicy"]
    assert document["Version"] == "2012-10-17"
    assert list(policy) == ["AccountAdministersKey", "UseThroughSecretsManagerOnly",
                            "GrantsOnlyForAwsResources", "DenyGrantsExceptForAwsServices", "ProxyLogGroupEncryption",
                            "AlarmTopicEncryption"]  # CloudWatch, for the alarm topic (test_alarms.py)
    assert [sid for sid, s in policy.items() if s["Effect"] != "Allow"] == ["DenyGrantsExceptForAwsServices"]


def test_grants_are_denied_unless_for_aws_resources_or_services(policy):
    """AWS Control Tower's CT.KMS.PR.3: exactly this Deny, to every principal, BoolIfExists."""
    deny = policy["DenyGrantsExceptForAwsServices"]
    assert (deny["Principal"], deny["Action"], deny["Resource"]) == ({"AWS": "*"}, ["kms:CreateGrant"], ["*"])
    assert deny["Condition"] == {"BoolIfExists": {"kms:GrantIsForAWSResource": "false",
                                                  "aws:PrincipalIsAWSService": "false"}}


def test_no_wildcard_principal_that_allows(key_resources):
    document = props(key_resources["ProxySecretsKey"])["KeyPolicy"]
    allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    principals = [value for statement in allows for name, value in walk(statement) if name == "Principal"]
    assert len(principals) == 5
    for principal in principals:
        assert principal != "*"
        assert "*" not in [v for _, v in walk(principal)]
        assert "*" not in principal.get("AWS", [])


def test_admins_manage_but_do_not_use_the_key(policy):
    admin = policy["AccountAdministersKey"]
    assert admin["Principal"] == ACCOUNT_ROOT
    assert "Condition" not in admin
    actions = admin["Action"]
    assert "kms:*" not in actions
    assert not set(actions) & {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                               "kms:CreateGrant"}
    assert {"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:Put*", "kms:Enable*",
            "kms:Disable*"} <= set(actions)


def test_account_uses_the_key_only_through_secrets_manager(policy):
    use = policy["UseThroughSecretsManagerOnly"]
    assert use["Principal"] == ACCOUNT_ROOT
    assert use["Action"] == USE_ACTIONS
    assert use["Resource"] == ["*"]
    assert use["Condition"] == {"StringEquals": {
        "kms:CallerAccount": ref("AWS::AccountId"),
        "kms:ViaService": VIA_SECRETS_MANAGER,
    }}


def test_grants_only_for_aws_resources(policy):
    grants = policy["GrantsOnlyForAwsResources"]
    assert grants["Principal"] == ACCOUNT_ROOT
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_logs_use_the_key_only_for_the_proxy_log_group(policy):
    logs = policy["ProxyLogGroupEncryption"]
    assert logs["Principal"] == {"Service": [sub("logs.${AWS::Region}.amazonaws.com")]}
    assert logs["Action"] == USE_ACTIONS
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": sub(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/rds/proxy/" + PROXY_NAME
    )}}


def test_every_statement_but_admin_is_conditioned(policy):
    assert [sid for sid, s in policy.items() if "Condition" not in s] == ["AccountAdministersKey"]


@pytest.mark.parametrize("overrides, expected", [
    ((), ("RetainExceptOnCreate", "Retain")),
    ((NO_RETAIN,), ("Delete", "Delete")),
])
def test_key_retention(overrides, expected):
    key = by_title(kms.build_key(make_cfg(*overrides)))["ProxySecretsKey"].to_dict()
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == expected


def test_alias_has_no_retention_policy(key_resources):
    alias = key_resources["ProxySecretsKeyAlias"].to_dict()
    assert "DeletionPolicy" not in alias and "UpdateReplacePolicy" not in alias


def test_own_key_creates_nothing_and_is_used_everywhere():
    cfg = make_cfg(OWN_KEY)
    assert kms.build_key(cfg) == []
    assert kms.key_arn(cfg) == KEY_ARN


def test_created_key_arn_is_a_getatt():
    assert kms.key_arn(make_cfg()).to_dict() == get_att("ProxySecretsKey", "Arn")
