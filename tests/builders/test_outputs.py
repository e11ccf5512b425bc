"""Outputs: which exist for which shape of environment, their values and export names."""

from __future__ import annotations

import pytest

from templates_src.builders import outputs

from .envs import (CLUSTER, END_TO_END_IAM, KEY_ARN, LEGACY_SECRET_ARN, NO_IAM, OWN_KEY, POSTGRES, SQLSERVER, TWO_USERS, get_att,
                   make_cfg, ref)

pytestmark = pytest.mark.unit

ALWAYS = ["ProxyEndpoint", "ProxyPort", "ProxyName", "ProxyArn", "ProxyResourceId", "ProxySecurityGroupId",
          "SecretsKeyArn"]


def _outputs(*overrides):
    return {o.title: o.to_dict() for o in outputs.build_outputs(make_cfg(*overrides))}


@pytest.mark.parametrize("overrides, names", [
    ((), ALWAYS + ["AppUserClientPolicyArn", "AppUserSecretArn"]),
    ((TWO_USERS,), ALWAYS + ["AppUserClientPolicyArn", "MigratorClientPolicyArn", "AppUserSecretArn",
                             "MigratorSecretArn"]),
    ((NO_IAM,), ALWAYS + ["AppUserSecretArn"]),
    ((CLUSTER,), ALWAYS + ["AppUserClientPolicyArn", "AppUserSecretArn"]),
    ((CLUSTER, {"target": {"read_only_endpoint": True}}),
     ALWAYS + ["ProxyReadOnlyEndpoint", "AppUserClientPolicyArn", "AppUserSecretArn"]),
    # End-to-end IAM: a client policy per user, no secret.
    ((TWO_USERS, END_TO_END_IAM), ALWAYS + ["AppUserClientPolicyArn", "MigratorClientPolicyArn"]),
])
def test_which_outputs(overrides, names):
    assert list(_outputs(*overrides)) == names


def test_every_output_is_described_and_exported_as_stack_dash_name():
    for name, output in _outputs(CLUSTER, TWO_USERS, {"target": {"read_only_endpoint": True}}).items():
        assert output["Description"]
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}


def test_output_values():
    values = {name: o["Value"] for name, o in _outputs(CLUSTER, {"target": {"read_only_endpoint": True}}).items()}
    assert values == {
        "ProxyEndpoint": get_att("Proxy", "Endpoint"),
        "ProxyPort": "3306",
        "ProxyName": ref("Proxy"),
        "ProxyArn": get_att("Proxy", "DBProxyArn"),
        "ProxyResourceId": {"Fn::Select": [6, {"Fn::Split": [":", get_att("Proxy", "DBProxyArn")]}]},
        "ProxySecurityGroupId": get_att("ProxySecurityGroup", "GroupId"),
        "SecretsKeyArn": get_att("ProxySecretsKey", "Arn"),
        "ProxyReadOnlyEndpoint": get_att("ProxyReadOnlyEndpoint", "Endpoint"),
        "AppUserClientPolicyArn": ref("AppUserClientPolicy"),
        "AppUserSecretArn": ref("AppUserSecret"),
    }


@pytest.mark.parametrize("overrides, port", [
    (({"target": {"port": 3307}},), "3306"),
    ((POSTGRES, {"target": {"port": 5433}}), "5432"),
    ((SQLSERVER,), "1433"),
])
def test_port_output_is_the_engine_port(overrides, port):
    assert _outputs(*overrides)["ProxyPort"]["Value"] == port


def test_own_key_and_existing_secret_are_output_as_given():
    values = _outputs(OWN_KEY, {"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN}]})
    assert values["SecretsKeyArn"]["Value"] == KEY_ARN
    assert values["AppUserSecretArn"]["Value"] == LEGACY_SECRET_ARN
