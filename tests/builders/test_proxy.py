"""The DBProxy (Auth, TLS, name) and its default target group (its read-only endpoint: test_endpoints.py)."""

from __future__ import annotations

import pytest

from templates_src.builders import proxy, users_ready

from .envs import (END_TO_END_IAM, SUBNETS, WAIVE_IAM, CLUSTER, LEGACY_SECRET_ARN, NO_IAM, POSTGRES, PROXY_NAME, SQLSERVER, TWO_USERS, get_att, make_cfg,
                   props, ref)

pytestmark = pytest.mark.unit

SECURITY_GROUP = [get_att("ProxySecurityGroup", "GroupId")]


def _proxy(*overrides):
    return props(proxy.build_proxy(make_cfg(*overrides)))


def test_proxy_properties():
    body = _proxy()
    assert {k: v for k, v in body.items() if k not in ("Auth", "Tags")} == {
        "DBProxyName": PROXY_NAME,
        "EngineFamily": "MYSQL",
        "RoleArn": get_att("ProxyRole", "Arn"),
        "RequireTLS": True,
        "IdleClientTimeout": 1800,
        "DebugLogging": False,
        "VpcSubnetIds": SUBNETS,
        "VpcSecurityGroupIds": SECURITY_GROUP,
    }
    assert body["Tags"] == [{"Key": "Environment", "Value": "test"}]


def test_proxy_waits_for_its_log_group():
    assert proxy.build_proxy(make_cfg()).to_dict()["DependsOn"] == ["ProxyLogGroup"]


def test_name_is_lowercase():
    name = _proxy({"proxy": {"name": "orders-2-test"}})["DBProxyName"]
    assert name == "orders-2-test" == name.lower()


def test_one_auth_entry_per_user():
    assert _proxy(TWO_USERS)["Auth"] == [
        {"AuthScheme": "SECRETS", "SecretArn": ref("AppUserSecret"), "IAMAuth": "REQUIRED",
         "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD", "Description": "Application user"},
        {"AuthScheme": "SECRETS", "SecretArn": ref("MigratorSecret"), "IAMAuth": "REQUIRED",
         "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD"},
    ]


def test_existing_secret_arn_is_used_in_auth():
    [auth] = _proxy({"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN}]})["Auth"]
    assert auth["SecretArn"] == LEGACY_SECRET_ARN


@pytest.mark.parametrize("overrides, engine, auth_type", [
    ((), "MYSQL", "MYSQL_NATIVE_PASSWORD"),
    (({"users": [{"username": "u", "client_password_auth_type": "MYSQL_CACHING_SHA2_PASSWORD"}]},),
     "MYSQL", "MYSQL_CACHING_SHA2_PASSWORD"),
    ((POSTGRES,), "POSTGRESQL", "POSTGRES_SCRAM_SHA_256"),
    ((POSTGRES, {"users": [{"username": "u", "client_password_auth_type": "POSTGRES_MD5"}]}),
     "POSTGRESQL", "POSTGRES_MD5"),
    ((SQLSERVER,), "SQLSERVER", "SQL_SERVER_AUTHENTICATION"),
])
def test_client_password_auth_type_per_engine(overrides, engine, auth_type):
    body = _proxy(*overrides)
    assert body["EngineFamily"] == engine
    assert [a["ClientPasswordAuthType"] for a in body["Auth"]] == [auth_type]


@pytest.mark.parametrize("overrides, iam_auth", [
    ((), ["REQUIRED"]),
    ((NO_IAM,), ["DISABLED"]),
    (({"users": [{"username": "a", "iam_auth": "DISABLED"}, {"username": "b"}]}, WAIVE_IAM), ["DISABLED", "REQUIRED"]),
    ((SQLSERVER, {"proxy": {"iam_auth": "ENABLED"}}, WAIVE_IAM), ["ENABLED"]),
])
def test_iam_auth_per_user_from_default_or_override(overrides, iam_auth):
    assert [a["IAMAuth"] for a in _proxy(*overrides)["Auth"]] == iam_auth


@pytest.mark.parametrize("overrides, require_tls, debug", [
    ((), True, False),
    ((NO_IAM,), False, False),
    (({"proxy": {"debug_logging": True}},), True, True),
])
def test_tls_and_debug_logging(overrides, require_tls, debug):
    body = _proxy(*overrides)
    assert (body["RequireTLS"], body["DebugLogging"]) == (require_tls, debug)


@pytest.mark.parametrize("overrides, target", [
    ((), {"DBInstanceIdentifiers": ["orders-test-db"]}),
    ((CLUSTER,), {"DBClusterIdentifiers": ["orders-test-aurora"]}),
])
def test_target_group_instance_or_cluster(overrides, target):
    group = proxy.build_target_group(make_cfg(*overrides))
    assert group.title == "ProxyTargetGroup"
    # It waits for the users (their create-db-users.sh run): its create handler waits for a
    # healthy target, and a target whose users do not exist is UNAVAILABLE (AUTH_FAILURE).
    assert group.to_dict()["DependsOn"] == [users_ready.users_ready_ids(make_cfg(*overrides))[0]]
    assert props(group) == {
        "TargetGroupName": "default",
        "DBProxyName": ref("Proxy"),
        "ConnectionPoolConfigurationInfo": {
            "MaxConnectionsPercent": 100,
            "MaxIdleConnectionsPercent": 50,
            "ConnectionBorrowTimeout": 120,
        },
        **target,
    }


def test_pool_init_query_and_pinning_filters_only_when_given():
    cfg = make_cfg({"pool": {"init_query": "SET time_zone = '+00:00'",
                             "session_pinning_filters": ["EXCLUDE_VARIABLE_SETS"]}})
    pool = props(proxy.build_target_group(cfg))["ConnectionPoolConfigurationInfo"]
    assert pool["InitQuery"] == "SET time_zone = '+00:00'"
    assert pool["SessionPinningFilters"] == ["EXCLUDE_VARIABLE_SETS"]


@pytest.mark.parametrize("engine", [{}, POSTGRES])
def test_end_to_end_iam_has_no_auth_list_and_no_wait(engine):
    cfg = make_cfg(engine, TWO_USERS, END_TO_END_IAM)
    body = _proxy(engine, TWO_USERS, END_TO_END_IAM)
    assert body["DefaultAuthScheme"] == "IAM_AUTH"
    assert "Auth" not in body
    # No secret: nothing for create-db-users.sh to wait for, it runs before the stack.
    assert "DependsOn" not in proxy.build_target_group(cfg).to_dict()
