"""The proxy's role and its managed policy (read exactly its secrets, or sign in to exactly its
database as its users), and one client policy per user (connect as that user only)."""

from __future__ import annotations

import pytest

from templates_src.builders import iam

from .envs import (DB_RESOURCE_ID, END_TO_END_IAM, POSTGRES, WAIVE_IAM, KEY_ARN, LEGACY_SECRET_ARN, NO_IAM, OWN_KEY, SQLSERVER, TWO_USERS, get_att, make_cfg, props, ref,
                   statements, sub, walk)

pytestmark = pytest.mark.unit

PROXY_ID = {"Fn::Select": [6, {"Fn::Split": [":", get_att("Proxy", "DBProxyArn")]}]}
DB_USER_ARN = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/"


def _role(*overrides):
    policy, role = iam.build_proxy_role(make_cfg(*overrides))
    assert props(role)["ManagedPolicyArns"] == [ref(policy.title)]
    assert "Policies" not in props(role)  # no inline policy (AWS Config iam-no-inline-policy-check)
    return props(role)


def _role_policy(*overrides):
    policy, _ = iam.build_proxy_role(make_cfg(*overrides))
    assert policy.title == "ProxyRolePolicy"
    return statements(props(policy)["PolicyDocument"])


def _client_arns(*overrides):
    """username -> the rds-db:connect resources of that user's own client policy."""
    result = {}
    for policy in iam.build_client_policies(make_cfg(*overrides)):
        [statement] = props(policy)["PolicyDocument"]["Statement"]
        result[policy.title] = statement["Resource"]
    return result


def test_role_is_trusted_by_rds_without_a_condition_by_default():
    """The trust of the RDS Proxy setup page: no condition RDS Proxy is not documented to meet."""
    trust = _role()["AssumeRolePolicyDocument"]
    assert trust == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": ["rds.amazonaws.com"]},
        "Action": ["sts:AssumeRole"],
    }]}


def test_the_source_account_guard_is_opt_in():
    trust = _role({"iam": {"proxy_trust_source_account": True}})["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": ["rds.amazonaws.com"]}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}


def test_role_description_and_tags():
    role = _role()
    assert role["Description"] == "Assumed by RDS Proxy orders-test (test)"
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
    for overrides in ((TWO_USERS,), (TWO_USERS, END_TO_END_IAM)):
        values = [value for name, value in walk(_role_policy(*overrides)) if name in ("Resource", "Action")]
        assert values and all("*" not in str(v) for v in values)


@pytest.mark.parametrize("engine", [{}, POSTGRES])
def test_end_to_end_iam_role_signs_in_as_exactly_its_users_of_exactly_its_database(engine):
    policy = _role_policy(engine, TWO_USERS, END_TO_END_IAM)
    assert list(policy) == ["ConnectToDatabaseAsItsUsers"]  # no secret to read, no key to use
    statement = policy["ConnectToDatabaseAsItsUsers"]
    assert statement["Action"] == ["rds-db:connect"]
    base = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:" + DB_RESOURCE_ID + "/"
    assert statement["Resource"] == [sub(base + "app_user"), sub(base + "migrator")]


def test_role_policy_description_does_not_change_with_the_users():
    """ManagedPolicy Description is create-only: adding a user must not replace the policy."""
    one, _ = iam.build_proxy_role(make_cfg())
    two, _ = iam.build_proxy_role(make_cfg(TWO_USERS))
    assert props(one)["Description"] == props(two)["Description"]


def test_each_user_has_its_own_client_policy_naming_only_that_user():
    assert _client_arns(TWO_USERS) == {
        "AppUserClientPolicy": [{"Fn::Sub": [DB_USER_ARN + "app_user", {"ProxyId": PROXY_ID}]}],
        "MigratorClientPolicy": [{"Fn::Sub": [DB_USER_ARN + "migrator", {"ProxyId": PROXY_ID}]}],
    }


def test_client_policy_statement_and_description_never_list_other_users():
    policies = {p.title: props(p) for p in iam.build_client_policies(make_cfg(TWO_USERS))}
    alone = {p.title: props(p) for p in iam.build_client_policies(make_cfg())}
    # Adding migrator leaves app_user's policy as it was (Description is create-only).
    assert policies["AppUserClientPolicy"] == alone["AppUserClientPolicy"]
    body = policies["MigratorClientPolicy"]
    assert body["Description"] == "Connect to RDS Proxy orders-test (test) with IAM auth as migrator"
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
    assert [arn["Fn::Sub"][0].rsplit("/", 1)[1] for [arn] in arns.values()] == expected


@pytest.mark.parametrize("overrides", [
    (NO_IAM,),
    ({"proxy": {"require_tls": False}, "users": [{"username": "a", "iam_auth": "DISABLED"}]}, NO_IAM),
])
def test_no_client_policy_without_iam_users(overrides):
    assert iam.build_client_policies(make_cfg(*overrides)) == []


def test_proxy_resource_id_is_cut_from_the_arn():
    assert iam.proxy_resource_id().to_dict() == PROXY_ID


def _allowed(policy: dict, action: str, resource: str, proxy_id: str) -> bool:
    """IAM's answer for one identity policy: an Allow statement whose action and (resolved)
    resource match; nothing else grants (IAM policy evaluation logic: implicit deny)."""
    import fnmatch

    for statement in policy["PolicyDocument"]["Statement"]:
        if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, a) for a in statement["Action"]):
            continue
        for pattern in statement["Resource"]:
            text, variables = pattern["Fn::Sub"]
            arn = (text.replace("${AWS::Partition}", "aws").replace("${AWS::Region}", "eu-west-1")
                   .replace("${AWS::AccountId}", "111122223333").replace("${ProxyId}", proxy_id))
            if fnmatch.fnmatchcase(resource, arn):
                return True
    return False


def test_a_role_with_the_readonly_policy_cannot_connect_as_the_app_user():
    cfg = make_cfg({"target": {"database_name": "shop"},
                    "users": [{"username": "app_user", "role": "app"}, {"username": "reporting", "role": "readonly"},
                              {"username": "migrator", "role": "migration"}]})
    policies = {p.title: props(p) for p in iam.build_client_policies(cfg)}
    proxy = "prx-0123456789abcdef0"
    arn = "arn:aws:rds-db:eu-west-1:111122223333:dbuser:" + proxy + "/%s"
    readonly = policies["ReportingClientPolicy"]
    assert _allowed(readonly, "rds-db:connect", arn % "reporting", proxy)
    for other in ("app_user", "migrator"):
        assert not _allowed(readonly, "rds-db:connect", arn % other, proxy), other
    # Nor through another proxy, nor with another action.
    assert not _allowed(readonly, "rds-db:connect", arn.replace(proxy, "prx-ffffffffffffffff0") % "reporting", proxy)
    assert not _allowed(readonly, "rds-db:*", arn % "reporting", proxy)
