"""create-db-users.sh + db-users.sql against a real PostgreSQL server, run as RDS's master runs it.

The admin is no superuser (tests/db_servers.py: CREATEROLE, CREATEDB, member of rds_superuser),
as on RDS. Proves what a user relies on: the script reads each password from its secret, the
users can then log in with exactly those passwords over TCP (SCRAM), each role gets what it
should and no more, running it twice is harmless, and passwords with shell-special characters
survive. The server logs every statement (log_statement=all) and never sees a password: the
script sends SCRAM verifiers. It connects with sslmode=verify-full against the CA bundle it is
given. For end-to-end IAM it creates password-less users in rds_iam with exactly their grants,
and tables the migration user creates later reach the app and readonly users.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from templates_src.facts.aws import EngineFamily
from templates_src.builders import names
from templates_src.config import load_environments
from templates_src.dbusers.grants import PASSWORD_FILTERS, UserGrants, user_grants
from templates_src.render.files import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files
from templates_src.facts.sql import UserRole

from conftest import example_configs
from db_servers import (ADMIN, ADMIN_PASSWORD, Postgres, debian_postgres_bin, fake_aws, postgres16_bin,
                        rds_like_postgres)

pytestmark = pytest.mark.servers

PASSWORDS = {"app_user": "Ap&p$HOME`x`%*1", "reader": "r3ad;er&&!|~^", "migrator": "m1gr@tor#\\n"}


@pytest.fixture(scope="module")
def server():
    with rds_like_postgres(debian_postgres_bin(), tls=True) as pg:
        pg.database("shop")
        yield pg


def _fake_aws(bin_dir: Path) -> None:
    """An `aws` that answers the three calls the script makes, from PASSWORDS."""
    script = bin_dir / "aws"
    script.write_text(textwrap.dedent(f"""\
        #!/usr/bin/env python3
        import json, sys
        args = sys.argv[1:]
        passwords = {json.dumps(PASSWORDS)}
        if args[:2] == ["cloudformation", "describe-stack-resource"]:
            logical_id = args[args.index("--logical-resource-id") + 1]
            print("arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + logical_id)
        elif args[:2] == ["secretsmanager", "get-secret-value"]:
            arn = args[args.index("--secret-id") + 1]
            users = {{"AppUserSecret": "app_user", "ReaderSecret": "reader", "MigratorSecret": "migrator"}}
            # a prefixed user (atomic_app_user: AtomicAppUserSecret) has the same password
            user = next(u for key, u in users.items() if arn.rsplit(":", 1)[1].endswith(key))
            print(json.dumps({{"username": user, "password": passwords[user]}}))
        else:
            sys.exit("unexpected aws call: " + " ".join(args))
        """))
    script.chmod(0o755)


def _env_files(tmp_path: Path, port: int, iam: bool = False, prefix: str = "", schema: str = "",
               database: str = "shop") -> Path:
    params = tmp_path / "params"
    params.mkdir()
    scheme = "{name: e2e, default_auth_scheme: IAM_AUTH}" if iam else "{name: e2e}"
    resource_id = "database_resource_id: db-ABCDEFGHIJKLMNOPQRSTUVW012, " if iam else ""
    waivers = "" if iam else 'waivers: {rotation: "the test database lives one run (E2E-1)"}\n'  # secrets not rotated
    (params / "e2e.yaml").write_text(textwrap.dedent(f"""\
        engine_family: POSTGRESQL
        region: eu-west-1
        proxy: {scheme}
        network:
          vpc_id: vpc-0a1b2c3d4e5f60718
          subnet_ids: [subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60722]
          client_security_group_ids: [sg-0a1b2c3d4e5f60733]
          database_security_group_id: sg-0a1b2c3d4e5f60744
        target: {{db_instance_identifier: shop-db, port: {port}, {resource_id}database_name: {database}{schema and ", schema_name: " + schema}}}
        {waivers}
        users:
          - {{username: {prefix}app_user, role: app}}
          - {{username: {prefix}reader, role: readonly}}
          - {{username: {prefix}migrator, role: migration}}
        """))
    [cfg] = load_environments(params, "params")
    out = tmp_path / "out"
    out.mkdir()
    for name, text in db_users_files(cfg).items():
        (out / name).write_text(text)
    return out


def _run_script(out: Path, bin_dir: Path, ca_bundle: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DB_HOST": "127.0.0.1",
           "DB_ADMIN_USER": ADMIN, "PGPASSWORD": ADMIN_PASSWORD, "RDS_CA_BUNDLE": str(ca_bundle)}
    return subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], capture_output=True, text=True, env=env,
                          timeout=60)


def test_script_creates_users_with_their_secrets_passwords_and_role_grants(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_aws(bin_dir)
    out = _env_files(tmp_path, server.port)
    assert not any(pw in (out / DB_USERS_SQL_FILE).read_text() for pw in PASSWORDS.values())

    for attempt in range(2):  # the second run must be harmless (users exist, grants repeat)
        result = _run_script(out, bin_dir, server.ca_bundle)
        assert result.returncode == 0, (attempt, result.stderr)
        assert "database users of e2e are in place: app_user, reader, migrator" in result.stdout

    for user, password in PASSWORDS.items():
        login = server.psql("shop", user, password, "SELECT count(*) FROM orders")
        assert (login.returncode, login.stdout.strip()) == (0, "1"), (user, login.stderr)
        wrong = server.psql("shop", user, password + "x", "SELECT 1")
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr

    assert server.psql("shop", "app_user", PASSWORDS["app_user"], "INSERT INTO orders VALUES (2)").returncode == 0
    denied = server.psql("shop", "reader", PASSWORDS["reader"], "INSERT INTO orders VALUES (3)")
    assert denied.returncode != 0 and "permission denied" in denied.stderr
    assert server.psql("shop", "app_user", PASSWORDS["app_user"], "CREATE TABLE t (id int)").returncode != 0
    assert server.psql("shop", "migrator", PASSWORDS["migrator"], "CREATE TABLE t (id int)").returncode == 0
    # Tables the migration user creates later reach the others (ALTER DEFAULT PRIVILEGES FOR ROLE).
    assert server.psql("shop", "app_user", PASSWORDS["app_user"], "INSERT INTO t VALUES (1)").returncode == 0
    later = server.psql("shop", "reader", PASSWORDS["reader"], "SELECT count(*) FROM t")
    assert (later.returncode, later.stdout.strip()) == (0, "1"), later.stderr

    # Run again once the migration user owns a table: the master borrows its privileges for the
    # grants and gives them back (it is no member of the migration user afterwards).
    result = _run_script(out, bin_dir, server.ca_bundle)
    assert result.returncode == 0, result.stderr
    assert server.superuser("shop", "SELECT pg_has_role('admin', 'migrator', 'USAGE')") == "f"

    # The server logged every statement, and not one holds a password: it got SCRAM verifiers.
    log = server.log.read_text(errors="replace")
    assert "ALTER ROLE" in log and "SCRAM-SHA-256$4096:" in log
    assert not [pw for pw in PASSWORDS.values() if pw in log]
    # pg_authid is a superuser's to read: the observer, not the SQL under test, looks.
    stored = server.superuser("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'")
    assert stored.startswith("SCRAM-SHA-256$4096:")


def test_script_refuses_a_server_whose_certificate_it_cannot_verify(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_aws(bin_dir)
    out = _env_files(tmp_path, server.port)
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
                    "-keyout", str(tmp_path / "other.key"), "-out", str(other)], check=True, capture_output=True)
    result = _run_script(out, bin_dir, other)
    assert result.returncode != 0 and "certificate verify failed" in result.stderr
    assert "in place" not in result.stdout


def test_end_to_end_iam_users_have_no_password_and_exactly_their_grants(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text("#!/bin/sh\necho 'the IAM script must not call AWS' >&2\nexit 99\n")
    (bin_dir / "aws").chmod(0o755)
    # A table another team's role owns (no user of this env, created by the master as on RDS):
    # the grants on all tables reach it too, the master borrowing that role's privileges.
    server.database("shop_iam")
    server.admin("shop_iam", "CREATE ROLE other_team; GRANT CREATE ON SCHEMA public TO other_team;")
    server.superuser("shop_iam", "SET ROLE other_team; CREATE TABLE theirs (id int);")
    out = _env_files(tmp_path, server.port, iam=True, prefix="iam_", database="shop_iam")
    assert "<password of " not in (out / DB_USERS_SQL_FILE).read_text()
    for attempt in range(2):
        result = _run_script(out, bin_dir, server.ca_bundle)
        assert result.returncode == 0, (attempt, result.stderr)

    admin = server.superuser  # pg_authid is a superuser's to read: the observer looks, not the SQL

    for user in ("iam_app_user", "iam_reader", "iam_migrator"):
        assert admin("shop_iam", f"SELECT rolpassword IS NULL AND rolcanlogin FROM pg_authid WHERE rolname = '{user}'") == "t"
        assert admin("shop_iam", f"SELECT pg_has_role('{user}', 'rds_iam', 'MEMBER')") == "t"
    grants = {user: admin("shop_iam", f"SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM "
                          f"information_schema.role_table_grants WHERE grantee = '{user}' AND table_name = 'orders'")
              for user in ("iam_app_user", "iam_reader")}
    assert grants == {"iam_app_user": "DELETE,INSERT,SELECT,UPDATE", "iam_reader": "SELECT"}
    assert admin("shop_iam", "SELECT has_table_privilege('iam_reader', 'theirs', 'SELECT'), "
                             "has_table_privilege('iam_reader', 'theirs', 'INSERT'), "
                             "pg_has_role('admin', 'other_team', 'USAGE')") == "t|f|f"


def test_script_stops_when_a_secret_cannot_be_read(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text("#!/bin/sh\necho 'AccessDenied' >&2\nexit 255\n")
    (bin_dir / "aws").chmod(0o755)
    out = _env_files(tmp_path, server.port)
    result = _run_script(out, bin_dir, server.ca_bundle)
    assert result.returncode != 0 and "AccessDenied" in result.stderr
    assert "in place" not in result.stdout
    assert json.dumps(PASSWORDS) not in result.stdout + result.stderr


def test_a_failing_run_changes_nothing_and_says_so(server, tmp_path):
    """db-users.sql is one transaction: a statement that fails late leaves no user behind."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_aws(bin_dir)
    out = _env_files(tmp_path, server.port, prefix="atomic_", schema="no_such_schema")
    result = _run_script(out, bin_dir, server.ca_bundle)
    assert result.returncode != 0
    assert 'schema "no_such_schema" does not exist' in result.stderr
    assert "nothing was changed" in result.stderr and "in place" not in result.stdout
    assert server.superuser("shop", "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'atomic%'") == "0"
    assert not [pw for pw in PASSWORDS.values() if pw in result.stdout + result.stderr]


# --- every PostgreSQL example, on PostgreSQL 15 (Debian's, through the script) and 16 -------------

POSTGRES_EXAMPLES = sorted(env for env, cfg in example_configs().items() if cfg.engine_family is EngineFamily.POSTGRESQL)


@pytest.fixture(scope="module")
def server16():
    with rds_like_postgres(postgres16_bin(), tls=False) as pg:
        assert pg.version == 16
        yield pg


def _example_password(username: str) -> str:
    return f"{username}'s $(pw)`x`\\"


def _generic_aws(bin_dir: Path) -> None:
    fake_aws(bin_dir, {names.secret(u.username): _example_password(u.username)
                       for cfg in example_configs().values() for u in cfg.users})


def _sql_with_verifiers(sql: str, grants: list[UserGrants]) -> str:
    """db-users.sql with each placeholder replaced as create-db-users.sh replaces it (same program)."""
    for user in grants:
        if user.placeholder:
            verifier = subprocess.run(
                [sys.executable, "-c", PASSWORD_FILTERS[EngineFamily.POSTGRESQL], user.username,
                 *(["md5"] if user.md5 else [])],
                input=json.dumps({"password": _example_password(user.username)}), capture_output=True, text=True,
                check=True).stdout
            sql = sql.replace(user.placeholder, verifier)
    return sql


def _apply(server: Postgres, cfg, tmp_path: Path) -> subprocess.CompletedProcess:
    """The env's users step: the script over verified TLS where the server has it, else psql -f."""
    files = db_users_files(cfg)
    if server.ca_bundle is None:
        return server.run_file_as_admin(cfg.target.database_name,
                                        _sql_with_verifiers(files[DB_USERS_SQL_FILE], user_grants(cfg)))
    out, bin_dir = tmp_path / "out", tmp_path / "bin"
    out.mkdir(exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    _generic_aws(bin_dir)
    for name, text in files.items():
        (out / name).write_text(text)
    return _run_script(out, bin_dir, server.ca_bundle)


@pytest.mark.parametrize("version", [15, 16])
@pytest.mark.parametrize("env", POSTGRES_EXAMPLES)
def test_every_postgresql_example_runs_as_the_rds_master(env, version, request, tmp_path):
    server = request.getfixturevalue("server" if version == 15 else "server16")
    assert server.version == version
    example = example_configs()[env]
    # Through the script mode (the provisioner runs the same SQL: tests/test_provisioner_handler.py).
    cfg = dataclasses.replace(example, target=dataclasses.replace(example.target, port=server.port), provisioner=None)
    database = cfg.target.database_name
    if server.superuser("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{database}'") == "0":
        server.database(database)
    grants = user_grants(cfg)

    first = _apply(server, cfg, tmp_path)
    assert first.returncode == 0, first.stderr
    # The migration users create tables; the users step runs again over them (a redeploy).
    for user in (g for g in grants if g.role == UserRole.MIGRATION.value):
        if user.placeholder and server.ca_bundle is not None:
            made = server.psql(database, user.username, _example_password(user.username),
                               f"CREATE TABLE later_{user.username} (id int)")
            assert made.returncode == 0, made.stderr
        else:  # an IAM user (no password to log in with) or the run without the script
            server.superuser(database, f'SET ROLE "{user.username}"; CREATE TABLE later_{user.username} (id int)')
    again = _apply(server, cfg, tmp_path)
    assert again.returncode == 0, again.stderr

    tables = ["orders", *(f"later_{g.username}" for g in grants if g.role == UserRole.MIGRATION.value)]
    for user in grants:
        for table in tables:
            for privilege in user.on_tables:
                held = server.superuser(database, f"SELECT has_table_privilege('{user.username}', '{table}', "
                                                  f"'{privilege}')")
                assert held == "t", (user.username, table, privilege)
            if user.role == UserRole.READONLY.value:
                assert server.superuser(database, f"SELECT has_table_privilege('{user.username}', '{table}', "
                                                  "'INSERT')") == "f"
        if user.iam:
            assert server.superuser(database, f"SELECT rolpassword IS NULL AND pg_has_role('{user.username}', "
                                              "'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname = "
                                              f"'{user.username}'") == "t"
        elif server.ca_bundle is not None:
            login = server.psql(database, user.username, _example_password(user.username), "SELECT 1")
            assert login.returncode == 0, login.stderr
    # The master holds no migration user's privileges once the script is done.
    for owner in (g.username for g in grants if g.role == UserRole.MIGRATION.value):
        assert server.superuser(database, f"SELECT pg_has_role('{ADMIN}', '{owner}', 'USAGE')") == "f"
