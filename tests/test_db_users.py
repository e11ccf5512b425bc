"""db-users.sql per engine: the right statements, grants from roles or lists, no passwords."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from templates_src.render.files import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files

from builders.envs import END_TO_END_IAM, POSTGRES, SQLSERVER, make_cfg

DB = {"target": {"database_name": "shop"}}


def _sql(*overrides) -> str:
    return db_users_files(make_cfg(DB, *overrides))[DB_USERS_SQL_FILE]


@pytest.mark.unit
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


@pytest.mark.unit
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


@pytest.mark.unit
def test_sqlserver_logins_users_and_schema_grants():
    sql = _sql(SQLSERVER, {"target": {"schema_name": "sales"}},
               {"users": [{"username": "migrator", "role": "migration"}]})
    assert "CREATE LOGIN [migrator] WITH PASSWORD = N'<password of migrator>';" in sql
    assert "USE [shop];" in sql and "CREATE USER [migrator] FOR LOGIN [migrator];" in sql
    assert "GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, REFERENCES ON SCHEMA::[sales] TO [migrator];" in sql
    assert "GRANT CREATE TABLE, CREATE VIEW, CREATE PROCEDURE TO [migrator];" in sql


@pytest.mark.unit
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
    # script); a brought secret by its ARN. No product mode: a launch makes its users itself.
    assert "value=$(password AppUserSecret app_user)" in script and "RDS_PROXY_PRODUCT" not in script
    assert "value=$(password arn:aws:secretsmanager:eu-west-1:111122223333:secret:legacy-AbCdEf legacy)" in script


@pytest.mark.unit
def test_postgres_default_privileges_follow_tables_the_migration_user_creates():
    sql = _sql(POSTGRES, {"users": [{"username": "app", "role": "app"}, {"username": "mig", "role": "migration"},
                                    {"username": "ro", "role": "readonly"}]})
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "mig" IN SCHEMA "public" GRANT SELECT ON TABLES TO "ro";' in sql
    assert ('ALTER DEFAULT PRIVILEGES FOR ROLE "mig" IN SCHEMA "public" GRANT SELECT, INSERT, UPDATE, DELETE '
            'ON TABLES TO "app";') in sql
    # Every role exists before any grant names it.
    assert sql.rindex("CREATE ROLE") < sql.index("GRANT ")


@pytest.mark.unit
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


@pytest.mark.unit
@pytest.mark.parametrize("engine, verified", [
    ((), "--ssl-mode=VERIFY_IDENTITY"), ((), "--ssl-verify-server-cert"),  # MySQL's and MariaDB's client
    ((POSTGRES,), "sslmode=verify-full"), ((SQLSERVER,), " -N -x -b"),
])
def test_script_verifies_the_server_certificate(engine, verified):
    script = db_users_files(make_cfg(DB, *engine))[DB_USERS_SCRIPT_FILE]
    assert verified in script
    assert "sslmode=require" not in script and "--ssl-mode=REQUIRED" not in script


# --- MySQL string literals: the same password whatever the server's sql_mode -----------------------

_MYSQL_ESCAPES = {"0": "\0", "'": "'", '"': '"', "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
                  "\\": "\\", "%": "\\%", "_": "\\_"}  # \% and \_ keep their backslash


def _mysql_literal(text: str, backslash_escapes: bool) -> str:
    """The value MySQL reads from '<text>' (https://dev.mysql.com/doc/refman/8.0/en/string-literals.html,
    Table 11.1): '' is a quote; with backslash escapes (sql_mode without NO_BACKSLASH_ESCAPES)
    \\x is the table's character, or x for any other."""
    value, i = [], 0
    while i < len(text):
        if text[i] == "'":
            assert text[i + 1] == "'", f"an unescaped quote ends the literal at {i}: {text!r}"
            value.append("'")
            i += 2
        elif text[i] == "\\" and backslash_escapes:
            value.append(_MYSQL_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            value.append(text[i])
            i += 1
    return "".join(value)


@pytest.mark.properties
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_a_mysql_password_literal_reads_back_as_the_password(password: str) -> None:
    """Every character Secrets Manager's generator can put in a password (printable ASCII; with
    ``exclude_characters: ""`` that includes \\ and ')."""
    import contextlib
    import io
    import json
    import sys

    from templates_src.facts.aws import EngineFamily
    from templates_src.dbusers.grants import PASSWORD_FILTERS

    # The filter as the script runs it (python3 -c FILTER USER, the secret's JSON on stdin), in
    # this process: a subprocess per example would take most of a minute.
    stdout, argv, stdin = io.StringIO(), sys.argv, sys.stdin
    sys.argv, sys.stdin = ["-c", "app_user"], io.StringIO(json.dumps({"password": password}))
    try:
        with contextlib.redirect_stdout(stdout):
            exec(PASSWORD_FILTERS[EngineFamily.MYSQL], {"__name__": "__main__"})
    finally:
        sys.argv, sys.stdin = argv, stdin
    assert _mysql_literal(stdout.getvalue(), backslash_escapes=True) == password


@pytest.mark.unit
def test_mysql_sql_turns_backslash_escapes_on_before_any_password() -> None:
    """The filter escapes for backslash escapes; under NO_BACKSLASH_ESCAPES a \\\\ would be two
    characters, so the session drops that mode first, in a statement that reads the same in both."""
    sql = _sql()
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert statements[0] == ("SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), "
                             "',NO_BACKSLASH_ESCAPES,', ','));")
    assert "\\" not in statements[0]
    assert any("IDENTIFIED WITH" in line and "BY '<password of" in line for line in statements[1:])
    # what the statement computes, for the modes a server may have
    for mode, left in [("NO_BACKSLASH_ESCAPES", ""), ("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES"),
                       ("NO_BACKSLASH_ESCAPES,ANSI_QUOTES,ONLY_FULL_GROUP_BY", "ANSI_QUOTES,ONLY_FULL_GROUP_BY"),
                       ("ANSI_QUOTES", "ANSI_QUOTES"), ("", "")]:
        assert f",{mode},".replace(",NO_BACKSLASH_ESCAPES,", ",").strip(",") == left


MARIADB = {"target": {"engine": "mariadb"}}


@pytest.mark.unit
def test_mariadb_users_are_mysql_native_password_in_mariadb_syntax():
    sql = _sql(MARIADB, {"users": [{"username": "app_user", "role": "app"}]})
    # MariaDB has no caching_sha2_password and no IDENTIFIED WITH plugin BY (a syntax error there).
    assert ("CREATE USER IF NOT EXISTS 'app_user'@'%' IDENTIFIED VIA mysql_native_password "
            "USING PASSWORD('<password of app_user>');") in sql
    # ACCOUNT UNLOCK: a user whose login the provisioner disabled (removed, then listed again) logs in again.
    assert ("ALTER USER 'app_user'@'%' IDENTIFIED VIA mysql_native_password "
            "USING PASSWORD('<password of app_user>') ACCOUNT UNLOCK;") in sql
    assert "caching_sha2_password" not in sql and " BY '" not in sql
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON `shop`.* TO 'app_user'@'%';" in sql
    assert "-- For RDS for MariaDB (target.engine mariadb)" in sql


@pytest.mark.unit
def test_mysql_is_the_default_server_of_the_mysql_family():
    assert make_cfg(DB).target.engine.value == "mysql"
    assert make_cfg(POSTGRES).target.engine.value == "postgres"
    assert make_cfg(SQLSERVER).target.engine.value == "sqlserver"
    assert "-- For RDS for MySQL 8.0/8.4 and Aurora MySQL 3 (target.engine mysql)" in _sql()


@pytest.mark.unit
def test_mariadb_iam_users_use_rds_authentication_plugin():
    sql = _sql(MARIADB, END_TO_END_IAM, {"users": [{"username": "iam_app", "role": "app"}]})
    assert "CREATE USER IF NOT EXISTS 'iam_app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;" in sql


@pytest.mark.unit
def test_sqlserver_statements_a_master_login_without_sysadmin_may_run():
    sql = _sql(SQLSERVER, {"users": [{"username": "app_user", "role": "app"},
                                     {"username": "migrator", "role": "migration"}]})
    expected = [
        "IF NOT EXISTS (SELECT 1 FROM sys.sql_logins WHERE name = N'app_user')",
        "    CREATE LOGIN [app_user] WITH PASSWORD = N'<password of app_user>';",
        "ALTER LOGIN [app_user] WITH PASSWORD = N'<password of app_user>';",
        "USE [shop];",
        "IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'app_user')",
        "    CREATE USER [app_user] FOR LOGIN [app_user];",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA::[dbo] TO [app_user];",
        "GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, REFERENCES ON SCHEMA::[dbo] TO [migrator];",
        "GRANT CREATE TABLE, CREATE VIEW, CREATE PROCEDURE TO [migrator];",
    ]
    lines = sql.splitlines()
    assert all(line in lines for line in expected), [line for line in expected if line not in lines]
    # Nothing a sysadmin alone may do: server roles, server-wide permissions, other databases.
    statements = "\n".join(line for line in lines if not line.startswith("--"))
    for word in ("sp_addsrvrolemember", "ALTER SERVER ROLE", "CONTROL SERVER", "sysadmin", "USE [master]"):
        assert word not in statements


@pytest.mark.unit
def test_postgres_borrows_the_migration_users_privileges_for_this_run_only():
    users = {"users": [{"username": "app_user", "role": "app"}, {"username": "migrator", "role": "migration"}]}
    sql = _sql(POSTGRES, users)
    lines = sql.splitlines()
    assert lines.index("BEGIN;") < lines.index("COMMIT;") == len(lines) - 1
    borrow = sql.index("CREATE TEMPORARY TABLE rds_proxy_cfn_borrowed (role_name name) ON COMMIT DROP;")
    grants = sql.index('ALTER DEFAULT PRIVILEGES FOR ROLE "migrator"')
    give_back = sql.index("EXECUTE format('REVOKE %I FROM CURRENT_USER', owner);")
    assert borrow < grants < give_back
    assert "WHERE (r.rolname = ANY (ARRAY['migrator']::name[])" in sql  # and every other table owner
    assert "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')))" in sql
    # PostgreSQL 16+: membership WITH INHERIT (what ALTER DEFAULT PRIVILEGES FOR ROLE checks there).
    assert "WHEN current_setting('server_version_num')::int >= 160000 THEN ' WITH INHERIT TRUE, SET FALSE'" in sql
    # Without a migration user, tables of other owners may still be in the schema.
    plain = _sql(POSTGRES, {"users": [{"username": "app_user", "role": "app"}]})
    assert "ARRAY[]::name[]" in plain and "BEGIN;" in plain
    # Without grants on tables there is nothing to borrow.
    bare = _sql(POSTGRES, {"users": [{"username": "app_user"}]})
    assert "rds_proxy_cfn_borrowed" not in bare
