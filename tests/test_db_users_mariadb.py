"""The users' SQL on a real MariaDB server, run as RDS for MariaDB's master runs it (no SUPER).

Debian's MariaDB server with TLS stands in for RDS for MariaDB (tests/db_servers.py); Debian's
MariaDB client is the `mysql` the script finds. Proves: the MariaDB example's users are created
by create-db-users.sh, each logs in over verified TLS with its secret's password and can do what
its role says; running it twice is harmless; a statement the server refuses puts no password (nor
the start of one) on stdout or stderr; the IAM users' SQL is MariaDB syntax.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from templates_src.facts.aws import DatabaseEngine
from templates_src.builders import names
from templates_src.render.files import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files
from templates_src.facts.sql import UserRole

from builders.envs import END_TO_END_IAM, make_cfg
from conftest import example_configs
from db_servers import ADMIN, ADMIN_PASSWORD, MariaDB, fake_aws, rds_like_mariadb

pytestmark = pytest.mark.servers

MARIADB_EXAMPLES = sorted(env for env, cfg in example_configs().items() if cfg.target.engine is DatabaseEngine.MARIADB)


@pytest.fixture(scope="module")
def server():
    with rds_like_mariadb() as db:
        yield db


def _password(username: str) -> str:
    # Quotes, a backslash and shell syntax: each must reach the server as data.
    return f"{username}'s \\ $(pw)`x`!"


def _files(cfg, server: MariaDB, folder: Path) -> Path:
    cfg = dataclasses.replace(cfg, target=dataclasses.replace(cfg.target, port=server.port))
    out, bin_dir = folder / "out", folder / "bin"
    out.mkdir(parents=True)
    bin_dir.mkdir()
    for name, text in db_users_files(cfg).items():
        (out / name).write_text(text)
    fake_aws(bin_dir, {names.secret(u.username): _password(u.username) for u in cfg.users})
    return out


def _run(out: Path, server: MariaDB) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{out.parent / 'bin'}:{os.environ['PATH']}", "DB_HOST": "127.0.0.1",
           "DB_ADMIN_USER": ADMIN, "MYSQL_PWD": ADMIN_PASSWORD, "RDS_CA_BUNDLE": str(server.ca_bundle)}
    return subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_examples_include_a_mariadb_env():
    assert MARIADB_EXAMPLES


@pytest.mark.parametrize("env", MARIADB_EXAMPLES)
def test_mariadb_example_users_log_in_over_verified_tls_and_do_what_their_roles_say(env, server, tmp_path):
    # Through the script mode (the provisioner runs the same SQL: tests/test_provisioner_handler.py).
    cfg = dataclasses.replace(example_configs()[env], provisioner=None)
    database = cfg.target.database_name
    server.admin(f"CREATE DATABASE IF NOT EXISTS `{database}`; CREATE TABLE IF NOT EXISTS `{database}`.orders (id int);"
                 f"INSERT INTO `{database}`.orders VALUES (1);")
    out = _files(cfg, server, tmp_path)
    for attempt in range(2):  # the second run must be harmless
        result = _run(out, server)
        assert result.returncode == 0, (attempt, result.stderr)
        assert "are in place" in result.stdout
    roles = {u.username: u.role for u in cfg.users}
    for user, role in roles.items():
        login = server.client(user, _password(user), "SHOW SESSION STATUS LIKE 'Ssl_cipher'", database)
        assert login.returncode == 0, (user, login.stderr)
        assert login.stdout.split()[1:], "the session is not encrypted"
        plugin = server.admin(f"SELECT plugin FROM mysql.user WHERE user = '{user}'")
        assert plugin == "mysql_native_password", (user, plugin)
        wrong = server.client(user, _password(user) + "x", "SELECT 1", database)
        assert wrong.returncode != 0 and "Access denied" in wrong.stderr
        read = server.client(user, _password(user), "SELECT count(*) FROM orders", database)
        assert read.returncode == 0, read.stderr
        write = server.client(user, _password(user), "INSERT INTO orders VALUES (2)", database)
        assert (write.returncode == 0) == (role is not UserRole.READONLY), (user, write.stderr)
        ddl = server.client(user, _password(user), f"CREATE TABLE t_{user} (id int)", database)
        assert (ddl.returncode == 0) == (role is UserRole.MIGRATION), (user, ddl.stderr)
    # What the migration user creates later is the others' to use as their roles say (db.*).
    reader = next(u for u, r in roles.items() if r is UserRole.READONLY)
    migrator = next(u for u, r in roles.items() if r is UserRole.MIGRATION)
    later = server.client(reader, _password(reader), f"SELECT count(*) FROM t_{migrator}", database)
    assert later.returncode == 0, later.stderr


def test_a_statement_the_server_refuses_shows_no_password(server, tmp_path):
    """MySQL 8's syntax (target.engine mysql) on MariaDB: the server's syntax error quotes the
    statement, and the MariaDB client would echo it; what reaches the terminal has placeholders."""
    users = [{"username": f"leak_{n}", "role": "app"} for n in ("a", "b")]
    cfg = make_cfg({"target": {"database_name": "leak"}, "users": users})
    assert cfg.target.engine is DatabaseEngine.MYSQL
    out = _files(cfg, server, tmp_path)
    assert "IDENTIFIED WITH caching_sha2_password BY" in (out / DB_USERS_SQL_FILE).read_text()
    result = _run(out, server)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "You have an error in your SQL syntax" in said  # the server's own words get through
    assert "<password of leak_a>" in said, said  # where the server quoted the password
    for user in ("leak_a", "leak_b"):
        password = _password(user).replace("\\", "\\\\").replace("'", "''")  # as sent
        assert not any(password[:end] in said for end in range(8, len(password) + 1)), said
    assert "failed" in result.stderr and "in place" not in result.stdout


def test_end_to_end_iam_users_sql_is_mariadb_syntax(server):
    """RDS's AWSAuthenticationPlugin is no plugin of Debian's server: the statements must fail for
    that reason alone (ER_PLUGIN_IS_NOT_LOADED, then no such user), never as a syntax error."""
    cfg = make_cfg(END_TO_END_IAM, {"target": {"engine": "mariadb", "database_name": "iam"},
                                    "users": [{"username": "iam_app", "role": "app"}]})
    sql = db_users_files(cfg)[DB_USERS_SQL_FILE]
    statements = [line for line in sql.splitlines() if line.startswith(("CREATE USER", "ALTER USER"))]
    assert statements
    for statement in statements:
        done = server.client(ADMIN, ADMIN_PASSWORD, statement)
        assert done.returncode != 0 and "ERROR 1064" not in done.stderr, done.stderr
        if statement.startswith("CREATE USER"):
            assert "ERROR 1524" in done.stderr and "AWSAuthenticationPlugin" in done.stderr, done.stderr
        else:  # the user the CREATE could not make
            assert "ERROR 1524" in done.stderr or "ERROR 1396" in done.stderr, done.stderr
