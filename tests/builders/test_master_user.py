"""The database's master user as a proxy user (users[].master): the proxy logs in with the master's
own secret (the one RDS manages), db-users.sql and the provisioner leave the user alone, and no
client policy names it."""

from __future__ import annotations

import json

import pytest

from templates_src.builders import names
from templates_src.builders.stack import build_template
from templates_src.config.errors import ParamsErrors
from templates_src.dbusers.sql import db_users_sql
from templates_src.render.files import DEPLOY_GUIDE_FILE, render_env
from templates_src.render.function_wiring import wiring

from .envs import (ADMIN_SECRET, CLUSTER, END_TO_END_IAM, POSTGRES, PROVISIONER, SQLSERVER, load_cfg, make_cfg, merged,
                   statements)

pytestmark = pytest.mark.unit

MASTER_SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!cluster-5e6f7a8b-AbCdEf"
MASTER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
ADMIN_KEY = "arn:aws:kms:eu-west-1:111122223333:key/6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f"


def _with_master(name: str = "admin", secret: str = MASTER_SECRET, **extra) -> dict:
    return {"target": {"database_name": "orders"}, "users": [{"username": "app_user", "role": "app"},
                      {"username": name, "master": True, "secret_arn": secret, **extra}]}


def _template(*overrides) -> dict:
    return build_template(make_cfg(*overrides)).to_dict()


def _errors(*overrides) -> list[str]:
    with pytest.raises(ParamsErrors) as caught:
        load_cfg(merged(*overrides))
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in caught.value.errors]


def test_the_proxy_logs_in_as_the_master_with_its_secret_and_decrypts_its_key():
    template = _template(_with_master(secret_kms_key_arn=MASTER_KEY))
    auth = template["Resources"][names.PROXY]["Properties"]["Auth"]
    assert [a["SecretArn"] for a in auth] == [{"Ref": names.secret("app_user")}, MASTER_SECRET]
    role = statements(template["Resources"][names.ROLE_POLICY]["Properties"]["PolicyDocument"])
    assert MASTER_SECRET in role["ReadProxySecrets"]["Resource"]
    assert MASTER_KEY in role["DecryptProxySecrets"]["Resource"]


def test_no_client_policy_output_or_wiring_names_the_master():
    cfg = make_cfg(_with_master(), {"users": [{"username": "admin", "master": True, "secret_arn": MASTER_SECRET},
                                              {"username": "app_user", "role": "app"}]})
    template = build_template(cfg).to_dict()
    policies = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::ManagedPolicy"
                and "rds-db:connect" in json.dumps(r)]
    assert policies == [names.client_policy("app_user")]
    assert "AdminClientPolicyArn" not in template["Outputs"]
    assert template["Outputs"]["AdminSecretArn"]["Value"] == MASTER_SECRET
    # The master listed first: the function is still wired as the application's user.
    assert wiring(cfg).user == "app_user"


def test_db_users_sql_never_names_the_master():
    for family in (POSTGRES, {}, SQLSERVER):
        cfg = make_cfg(family, _with_master(name="dbmaster"))
        sql = db_users_sql(cfg)
        assert "app_user" in sql and "dbmaster" not in sql, family


def test_the_provisioner_leaves_the_master_alone_and_does_not_read_its_secret():
    template = _template(PROVISIONER, _with_master(secret_kms_key_arn=MASTER_KEY))
    users = template["Resources"][names.DATABASE_USERS]["Properties"]
    assert [u["Username"] for u in users["Users"]] == ["app_user"]
    assert users["LeaveAlone"] == ["admin"]
    assert "admin" not in users["Sql"]
    policy = statements(template["Resources"][names.PROVISIONER_POLICY]["Properties"]["PolicyDocument"])
    assert MASTER_SECRET not in policy["ReadAdminAndUserSecrets"]["Resource"]
    assert MASTER_KEY not in policy["DecryptThroughSecretsManager"]["Resource"]


def test_the_provisioner_decrypts_the_masters_key_when_it_is_also_the_admins():
    template = _template(PROVISIONER, {"provisioner": {"admin_secret_kms_key_arn": ADMIN_KEY}},
                         _with_master(secret=ADMIN_SECRET, secret_kms_key_arn=ADMIN_KEY))
    policy = statements(template["Resources"][names.PROVISIONER_POLICY]["Properties"]["PolicyDocument"])
    assert policy["ReadAdminAndUserSecrets"]["Resource"] == [ADMIN_SECRET, {"Ref": names.secret("app_user")}]
    assert ADMIN_KEY in policy["DecryptThroughSecretsManager"]["Resource"]


def test_without_a_master_the_custom_resource_has_no_leave_alone():
    assert "LeaveAlone" not in _template(PROVISIONER)["Resources"][names.DATABASE_USERS]["Properties"]


@pytest.mark.parametrize("family, name", [(POSTGRES, "postgres"), (POSTGRES, "admin"), ({}, "admin"),
                                          (SQLSERVER, "admin"), (POSTGRES, "dbmaster")])
def test_a_master_may_have_rds_default_master_name(family, name):
    cfg = make_cfg(family, _with_master(name=name))
    assert [u.username for u in cfg.users if u.master] == [name]


@pytest.mark.parametrize("overrides, expected", [
    ((_with_master(secret=None),), "users.1.master: needs secret_arn"),
    ((_with_master(role="app"),), "users.1.role: db-users.sql grants nothing to the master user"),
    ((_with_master(privileges=["SELECT"]),), "users.1.privileges: db-users.sql grants nothing to the master user"),
    (({"users": [{"username": "a_master", "master": True, "secret_arn": MASTER_SECRET},
                 {"username": "b_master", "master": True, "secret_arn": ADMIN_SECRET}]},),
     "users.1.master: only one user is the database's master (also users[0])"),
    ((POSTGRES, _with_master(name="rdsadmin")), "users.1.username: 'rdsadmin' is a reserved or administrative "
                                                "POSTGRESQL user: a master is never named after RDS's own"),
    ((POSTGRES, END_TO_END_IAM, {"users": [{"username": "app_user"}, {"username": "postgres", "master": True}]}),
     "users.1.master: only with secrets (default_auth_scheme NONE)"),
    ((PROVISIONER, {"users": [{"username": "app_user", "secret_arn": ADMIN_SECRET}]}),
     "users.0.secret_arn: is provisioner.admin_secret_arn: the provisioner would reset the admin's password"),
    ((POSTGRES, {"users": [{"username": "postgres"}]}), "(the master, with its own secret: mark it master: true)"),
])
def test_bad_masters_are_refused_naming_the_key(overrides, expected):
    errors = _errors(*overrides)
    assert any(error.startswith(expected) or expected in error for error in errors), errors


def _guide(*overrides) -> str:
    cfg = make_cfg(*overrides)
    return render_env(cfg, build_template(cfg))[f"{cfg.env}/{DEPLOY_GUIDE_FILE}"]


def test_deploy_guide_shows_the_master_and_how_operators_connect():
    guide = _guide(CLUSTER, PROVISIONER, _with_master())
    section = guide.split("## The master user through the proxy")[1].split("\n## ")[0]
    assert f"The proxy logs in as `admin`, the database's master user, with `{MASTER_SECRET}`." in section
    assert "`LeaveAlone`" in section and "every seven days by default" in section
    assert ':dbuser:<ProxyResourceId>/admin"}' in section
    assert "AdminClientPolicyArn" not in guide


def test_deploy_guide_of_a_password_only_master_says_how_clients_log_in():
    guide = _guide(_with_master(iam_auth="DISABLED"), {"waivers": {"iam_auth": "operators' tools (TICKET-9)"}})
    assert "With IAM auth\nDISABLED for this user, a client logs in with the secret's password" in guide


def test_deploy_guide_of_end_to_end_iam_has_no_master_section():
    assert "## The master user through the proxy" not in _guide(POSTGRES, END_TO_END_IAM)


def test_script_mode_lists_only_the_users_db_users_sql_makes():
    guide = _guide(_with_master(name="dbmaster"))
    steps = guide.split("**Database users")[1].split("\n3. ")[0]
    assert "   - `app_user`" in steps and "dbmaster" not in steps


def test_deploy_guide_names_the_regions_partition_in_the_operators_statement():
    secret = "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:rds!db-5e6f7a8b-AbCdEf"
    guide = _guide({"region": "cn-north-1"}, _with_master(secret=secret))
    assert '"Resource": "arn:aws-cn:rds-db:cn-north-1:<account>:dbuser:<ProxyResourceId>/admin"}' in guide
