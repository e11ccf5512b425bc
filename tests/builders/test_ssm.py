"""SSM parameters (ssm_parameter_path): none by default; with a path, one per thing a function
needs, each a String (StringList for the groups) of the stack's own values."""

from __future__ import annotations

import pytest

from templates_src.builders import ssm

from .envs import CLIENT_SG, CLUSTER, NO_IAM, TWO_USERS, get_att, make_cfg, ref

pytestmark = pytest.mark.unit

PATH = {"ssm_parameter_path": "/orders/test/proxy"}


def _parameters(*overrides):
    return {p.title: p.to_dict()["Properties"] for p in ssm.build_parameters(make_cfg(*overrides))}


def test_no_parameter_without_a_path():
    assert _parameters() == {}
    assert ssm.parameter_names(make_cfg()) == {}


@pytest.mark.parametrize("overrides, titles", [
    ((PATH,), ["SsmParameterEndpoint", "SsmParameterPort", "SsmParameterClientSecurityGroups",
               "SsmParameterUsersAppUserClientPolicyArn"]),
    ((PATH, CLUSTER, {"target": {"read_only_endpoint": True}}, TWO_USERS),
     ["SsmParameterEndpoint", "SsmParameterReadOnlyEndpoint", "SsmParameterPort", "SsmParameterClientSecurityGroups",
      "SsmParameterUsersAppUserClientPolicyArn", "SsmParameterUsersMigratorClientPolicyArn"]),
    # No user signs in with IAM: no client policy to publish.
    ((PATH, NO_IAM), ["SsmParameterEndpoint", "SsmParameterPort", "SsmParameterClientSecurityGroups"]),
])
def test_which_parameters(overrides, titles):
    assert list(_parameters(*overrides)) == titles


def test_values_names_and_types():
    parameters = _parameters(PATH)
    assert parameters["SsmParameterEndpoint"]["Value"] == get_att("Proxy", "Endpoint")
    assert parameters["SsmParameterEndpoint"]["Name"] == "/orders/test/proxy/endpoint"
    assert parameters["SsmParameterPort"]["Value"] == "3306"
    assert parameters["SsmParameterClientSecurityGroups"] | {"Tags": None} == {
        "Name": "/orders/test/proxy/client-security-groups", "Type": "StringList", "Value": CLIENT_SG,
        "Description": "Security groups whose members may connect to the proxy", "Tags": None}
    assert parameters["SsmParameterUsersAppUserClientPolicyArn"]["Value"] == ref("AppUserClientPolicy")
    assert parameters["SsmParameterUsersAppUserClientPolicyArn"]["Name"] == "/orders/test/proxy/users/app_user/client-policy-arn"
    assert all(p["Type"] == "String" for t, p in parameters.items() if t != "SsmParameterClientSecurityGroups")
    assert all(p["Tags"]["Environment"] == "test" for p in parameters.values())
