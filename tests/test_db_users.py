"""db-users.sql per engine: the right statements, grants from roles or lists, no passwords."""

from __future__ import annotations

import pytest

from templates_src.render import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files

from builders.envs import END_TO_END_IAM, POSTGRES, SQLSERVER, make_cfg

DB = {"target": {"database_name": "shop"}}


def _sql(*overrides) -> str:
    return db_users_files(make_cfg(DB, *overrides))[DB_USERS_SQL_FILE]


def test_mysql_users_and_role_grants():
    sql = _sql({"users": [{"username": "app_user", "role": "app"},
                          {"username": "reader", "role": "readonly",
                           "client_password_auth_type": "MYSQL_CACHING_SHA2_PASSWORD"},
                          {"username": "plain"}]})
    # caching_sha2_password whatever the client-to-proxy auth type (mysql_native_password is
    # deprecated in 8.0 and gone in 9.0).
    assert ("CREATE USER IF NOT EXISTS 'app_user'@'%' IDENTIFIED WITH caching_sha2_password "
            "BY '<password of app_user>';") in sql
    assert "mysql_native_password" not in sql
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON `shop`.* TO 'app_user'@'%';" in sql
    assert "IDENTIFIED WITH caching_sha2_password BY '<password of reader>'" in sql
    assert "GRANT SELECT ON `shop`.* TO 'reader'@'%';" in sql
    assert "TO 'plain'" not in sql  # no role, no privileges: created, granted nothing


def test_postgres_splits_privileges_by_where_they_apply():
    sql = _sql(POSTGRES, {"users": [{"username": "owner", "privileges": ["SELECT", "CREATE", "TEMPORARY"]},
                                    {"username": "legacy", "role": "app", "client_password_auth_type": "POSTGRES_MD5"}]})
    assert 'GRANT CONNECT, TEMPORARY ON DATABASE "shop" TO "owner";' in sql
    assert 'GRANT USAGE, CREATE ON SCHEMA "public" TO "owner";' in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "owner";' in sql
    assert 'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "owner";' in sql
    # Passwords arrive pre-hashed (create-db-users.sh derives a verifier), so no
    # password_encryption setting is needed: an md5 user gets an md5 hash in its placeholder.
    assert "ALTER ROLE \"legacy\" WITH LOGIN PASSWORD '<password of legacy>';" in sql
    assert "password_encryption" not in sql


def test_sqlserver_logins_users_and_schema_grants():
    sql = _sql(SQLSERVER, {"target": {"schema_name": "sales"}},
               {"users": [{"username": "migrator", "role": "migration"}]})
    assert "CREATE LOGIN [migrator] WITH PASSWORD = N'<password of migrator>';" in sql
    assert "USE [shop];" in sql and "CREATE USER [migrator] FOR LOGIN [migrator];" in sql
    assert "GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, REFERENCES ON SCHEMA::[sales] TO [migrator];" in sql
    assert "GRANT CREATE TABLE, CREATE VIEW, CREATE PROCEDURE TO [migrator];" in sql


@pytest.mark.parametrize("engine", [(), (POSTGRES,), (SQLSERVER,)])
def test_script_fills_every_placeholder_from_a_secret(engine):
    cfg = make_cfg(DB, *engine, {"users": [
        {"username": "app_user", "role": "app"},
        {"username": "legacy", "secret_arn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:legacy-AbCdEf"}]})
    files = db_users_files(cfg)
    script = files[DB_USERS_SCRIPT_FILE]
    for placeholder in ("<password of app_user>", "<password of legacy>"):
        assert placeholder in files[DB_USERS_SQL_FILE] and f"values+=('{placeholder}' \"$value\")" in script
    # The stack's secret by logical id (the stack has no outputs yet while it waits for this
    # script), or in a stack of the product / a stack set instance (RDS_PROXY_PRODUCT=1) the
    # product's slot id; a brought secret by its ARN.
    assert 'value=$(password "$(secret_id AppUserSecret User1Secret)" app_user)' in script
    assert "value=$(password arn:aws:secretsmanager:eu-west-1:111122223333:secret:legacy-AbCdEf legacy)" in script


@pytest.mark.parametrize("product, retained, expected", [
    ("", True, "AppUserSecret"), ("1", True, "User1Secret"), ("1", False, "User1SecretDeletable")])
def test_the_script_names_a_secret_by_the_stack_it_reads(product, retained, expected):
    """A Service Catalog launch or a stack set instance names user i's secret User<i>Secret (or
    its Deletable twin): RDS_PROXY_PRODUCT=1 picks that id, the env's stack keeps its own."""
    import subprocess

    change = {"secrets": {"retain_on_delete": False}, "waivers": {"retain_on_delete": "test stacks, thrown away"}}
    cfg = make_cfg(DB, *(() if retained else (change,)), {"users": [{"username": "app_user", "role": "app"}]})
    script = db_users_files(cfg)[DB_USERS_SCRIPT_FILE]
    function = script[script.index("secret_id() {"):script.index("}\n", script.index("secret_id() {")) + 2]
    line = next(line for line in script.splitlines() if line.startswith("value=$(password"))
    argument = line[len("value=$(password "):line.index(")\"") + 2]  # "$(secret_id ENV_ID PRODUCT_ID)"
    out = subprocess.run(["bash", "-c", f"{function}\nprintf '%s' {argument}"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "RDS_PROXY_PRODUCT": product}, check=True).stdout
    assert out == expected


def test_postgres_default_privileges_follow_tables_the_migration_user_creates():
    sql = _sql(POSTGRES, {"users": [{"username": "app", "role": "app"}, {"username": "mig", "role": "migration"},
                                    {"username": "ro", "role": "readonly"}]})
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "mig" IN SCHEMA "public" GRANT SELECT ON TABLES TO "ro";' in sql
    assert ('ALTER DEFAULT PRIVILEGES FOR ROLE "mig" IN SCHEMA "public" GRANT SELECT, INSERT, UPDATE, DELETE '
            'ON TABLES TO "app";') in sql
    # Every role exists before any grant names it.
    assert sql.rindex("CREATE ROLE") < sql.index("GRANT ")


@pytest.mark.parametrize("engine, created", [
    ((), "CREATE USER IF NOT EXISTS 'app_user'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;"),
    ((POSTGRES,), 'GRANT rds_iam TO "app_user";'),
])
def test_end_to_end_iam_users_have_no_password(engine, created):
    cfg = make_cfg(DB, *engine, END_TO_END_IAM, {"users": [{"username": "app_user", "role": "app"}]})
    files = db_users_files(cfg)
    assert created in files[DB_USERS_SQL_FILE]
    assert "<password of " not in files[DB_USERS_SQL_FILE]
    assert "secretsmanager" not in files[DB_USERS_SCRIPT_FILE]


@pytest.mark.parametrize("engine, verified", [
    ((), "--ssl-mode=VERIFY_IDENTITY"), ((), "--ssl-verify-server-cert"),  # MySQL's and MariaDB's client
    ((POSTGRES,), "sslmode=verify-full"), ((SQLSERVER,), " -N -x -b"),
])
def test_script_verifies_the_server_certificate(engine, verified):
    script = db_users_files(make_cfg(DB, *engine))[DB_USERS_SCRIPT_FILE]
    assert verified in script
    assert "sslmode=require" not in script and "--ssl-mode=REQUIRED" not in script
