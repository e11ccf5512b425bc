"""The proxy's log group: its name, retention, key and retention policies."""

from __future__ import annotations

import pytest

from templates_src.builders import logs

from .envs import KEY_ARN, NO_RETAIN, OWN_KEY, PROVISIONER, get_att, make_cfg, ref

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("overrides, key, policy", [
    # Named /aws/rds/proxy/<name>: kept on delete, but deleted when the create that made it
    # rolls back, or the retry would fail with "already exists".
    ((), get_att("ProxySecretsKey", "Arn"), ("RetainExceptOnCreate", "Retain")),
    ((OWN_KEY,), KEY_ARN, ("RetainExceptOnCreate", "Retain")),
    ((NO_RETAIN,), get_att("ProxySecretsKey", "Arn"), ("Delete", "Delete")),
])
def test_log_group(overrides, key, policy):
    group = logs.build_log_group(make_cfg({"proxy": {"log_retention_days": 3653}}, *overrides))
    assert group.title == "ProxyLogGroup"
    body = group.to_dict()
    assert body["Type"] == "AWS::Logs::LogGroup"
    assert body["Properties"] == {
        "LogGroupName": "/aws/rds/proxy/orders-test",
        "RetentionInDays": 3653,
        "KmsKeyId": key,
        "Tags": [{"Key": "Environment", "Value": "test"}],
    }
    assert (body["DeletionPolicy"], body["UpdateReplacePolicy"]) == policy


def test_log_group_name_follows_the_proxy_name():
    assert logs.log_group_name(make_cfg({"proxy": {"name": "other-proxy"}})) == "/aws/rds/proxy/other-proxy"


def test_under_a_year_needs_a_waiver_recorded_where_guard_reads_suppressions():
    """AWS Control Tower's CT.CLOUDWATCH.PR.2 wants a year; a shorter retention is a waiver,
    recorded on the log group as the reason and as Metadata.guard.SuppressedRules."""
    from templates_src.config import ParamsErrors

    with pytest.raises(ParamsErrors, match="log_retention_days: 30 is under a year"):
        make_cfg({"proxy": {"log_retention_days": 30}})
    assert make_cfg().proxy.log_retention_days == 365
    reason = "kept a month on purpose (TICKET-9)"
    body = logs.build_log_group(make_cfg({"proxy": {"log_retention_days": 30},
                                          "waivers": {"log_retention": reason}})).to_dict()
    assert body["Metadata"] == {
        "RdsProxyCfn": {"Waivers": {"cloudwatch_log_group_retention_period_check": reason}},
        "guard": {"SuppressedRules": ["cloudwatch_log_group_retention_period_check"]},
    }


@pytest.mark.parametrize("overrides, key", [
    ((PROVISIONER,), get_att("ProxySecretsKey", "Arn")),
    ((PROVISIONER, OWN_KEY), KEY_ARN),
    ((PROVISIONER, NO_RETAIN), get_att("ProxySecretsKey", "Arn")),
])
def test_with_the_provisioner_the_group_is_made_or_adopted_by_its_function(overrides, key):
    """Retain, not RetainExceptOnCreate, and whatever retain_on_delete says: CloudFormation never
    asks the function to delete it, so a delete or a create that rolls back leaves the group for
    the next create to adopt."""
    group = logs.build_log_group(make_cfg({"proxy": {"log_retention_days": 3653}}, *overrides))
    assert group.title == logs.log_group_id(make_cfg(*overrides)) == "AdoptedProxyLogGroup"
    body = group.to_dict()
    assert body["Type"] == "Custom::AdoptedLogGroup"
    assert body["Properties"] == {
        "ServiceToken": get_att("DatabaseUsersFunction", "Arn"),
        "ServiceTimeout": 300,
        "LogGroupName": "/aws/rds/proxy/orders-test",
        "LogGroupArn": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                   "/aws/rds/proxy/orders-test"},
        "RetentionInDays": 3653,
        "KmsKeyId": key,
        "Tags": [{"Key": "Environment", "Value": "test"}],
    }
    assert (body["DeletionPolicy"], body["UpdateReplacePolicy"]) == ("Retain", "Retain")


@pytest.mark.parametrize("overrides", [(PROVISIONER,), (PROVISIONER, NO_RETAIN)])
def test_the_function_may_keep_that_one_group_and_never_delete_one(overrides):
    from templates_src.builders.stack import build_template

    template = build_template(make_cfg(*overrides)).to_dict()
    statements = template["Resources"]["DatabaseUsersPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [statement] = [s for s in statements if s.get("Sid") == "KeepTheProxyLogGroup"]
    assert statement["Action"] == ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:PutRetentionPolicy",
                                   "logs:TagResource", "logs:UntagResource"]
    assert not [a for s in statements for a in s["Action"] if a.startswith("logs:Delete")]
    arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/rds/proxy/orders-test"
    assert statement["Resource"] == [{"Fn::Sub": arn}, {"Fn::Sub": arn + ":*"}]
    assert template["Resources"]["Proxy"]["DependsOn"] == ["AdoptedProxyLogGroup"]
    assert "ProxyLogGroup" not in template["Resources"]
