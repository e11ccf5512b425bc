"""create-db-users.sh + db-users.sql against a real PostgreSQL server, with a stand-in AWS CLI.

Proves what a user relies on: the script reads each password from its secret, the users can
then log in with exactly those passwords over TCP (SCRAM), each role gets what it should and
no more, running it twice is harmless, and passwords with shell-special characters survive.
The server logs every statement (log_statement=all) and never sees a password: the script sends
SCRAM verifiers. It connects with sslmode=verify-full against the CA bundle it is given. For
end-to-end IAM it creates password-less users in rds_iam with exactly their grants, and tables
the migration user creates later reach the app and readonly users.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from templates_src.config import load_environments
from templates_src.render import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files

PASSWORDS = {"app_user": "Ap&p$HOME`x`%*1", "reader": "r3ad;er&&!|~^", "migrator": "m1gr@tor#\\n"}


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL server binaries are missing: .ci/run installs the postgresql package"
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


@dataclass(frozen=True)
class Server:
    port: int
    ca_bundle: Path  # its self-signed certificate, the script's RDS_CA_BUNDLE
    log: Path


@pytest.fixture(scope="module")
def server():
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="rds-proxy-cfn-pg-"))
    data, socket_dir = root / "data", root / "sock"
    data.mkdir()
    socket_dir.mkdir()
    (root / "admin-pw").write_text("admin-secret\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for path in (data, socket_dir, root / "admin-pw"):
            shutil.chown(path, "postgres")
    # The script insists on TLS (sslmode=require), so the server gets a throwaway certificate.
    # verify-full checks the host name against the certificate: give it 127.0.0.1 as a SAN.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(root / "server.key"), "-out", str(root / "server.crt")],
                   check=True, capture_output=True)
    (root / "server.key").chmod(0o600)
    if os.geteuid() == 0:
        shutil.chown(root / "server.key", "postgres")
        shutil.chown(root / "server.crt", "postgres")
    port = _free_port()
    pg = _pg_bin()
    _as_postgres(str(pg / "initdb"), "-D", str(data), "-U", "admin", f"--pwfile={root / 'admin-pw'}",
                 "--auth-local=trust", "--auth-host=scram-sha-256")
    _as_postgres(str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                 f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c ssl=on -c log_statement=all "
                 f"-c ssl_cert_file={root / 'server.crt'} -c ssl_key_file={root / 'server.key'}", "start")
    try:
        _psql_admin(port, "postgres", "CREATE DATABASE shop;")
        _psql_admin(port, "shop", "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1);")
        # RDS has this role; the IAM users' grant needs it to exist.
        _psql_admin(port, "postgres", "CREATE ROLE rds_iam;")
        yield Server(port, root / "server.crt", root / "log")
    finally:
        _as_postgres(str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _psql(port: int, database: str, user: str, password: str, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["psql", f"host=127.0.0.1 port={port} dbname={database} user={user}", "-v", "ON_ERROR_STOP=1",
         "-tAc", sql],
        capture_output=True, text=True, env={**os.environ, "PGPASSWORD": password}, timeout=30,
    )


def _psql_admin(port: int, database: str, sql: str) -> None:
    result = _psql(port, database, "admin", "admin-secret", sql)
    assert result.returncode == 0, result.stderr


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
            user = {{"AppUserSecret": "app_user", "ReaderSecret": "reader",
                     "MigratorSecret": "migrator"}}[arn.rsplit(":", 1)[1]]
            print(json.dumps({{"username": user, "password": passwords[user]}}))
        else:
            sys.exit("unexpected aws call: " + " ".join(args))
        """))
    script.chmod(0o755)


def _env_files(tmp_path: Path, port: int, iam: bool = False, prefix: str = "") -> Path:
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
        target: {{db_instance_identifier: shop-db, port: {port}, {resource_id}database_name: shop}}
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


def _run_script(out: Path, bin_dir: Path, server: Server) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DB_HOST": "127.0.0.1",
           "DB_ADMIN_USER": "admin", "PGPASSWORD": "admin-secret", "RDS_CA_BUNDLE": str(server.ca_bundle)}
    return subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], capture_output=True, text=True, env=env,
                          timeout=60)


def test_script_creates_users_with_their_secrets_passwords_and_role_grants(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_aws(bin_dir)
    out = _env_files(tmp_path, server.port)
    assert not any(pw in (out / DB_USERS_SQL_FILE).read_text() for pw in PASSWORDS.values())

    for attempt in range(2):  # the second run must be harmless (users exist, grants repeat)
        result = _run_script(out, bin_dir, server)
        assert result.returncode == 0, (attempt, result.stderr)
        assert "database users of e2e are in place: app_user, reader, migrator" in result.stdout

    for user, password in PASSWORDS.items():
        login = _psql(server.port, "shop", user, password, "SELECT count(*) FROM orders")
        assert (login.returncode, login.stdout.strip()) == (0, "1"), (user, login.stderr)
        wrong = _psql(server.port, "shop", user, password + "x", "SELECT 1")
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr

    assert _psql(server.port, "shop", "app_user", PASSWORDS["app_user"], "INSERT INTO orders VALUES (2)").returncode == 0
    denied = _psql(server.port, "shop", "reader", PASSWORDS["reader"], "INSERT INTO orders VALUES (3)")
    assert denied.returncode != 0 and "permission denied" in denied.stderr
    assert _psql(server.port, "shop", "app_user", PASSWORDS["app_user"], "CREATE TABLE t (id int)").returncode != 0
    assert _psql(server.port, "shop", "migrator", PASSWORDS["migrator"], "CREATE TABLE t (id int)").returncode == 0
    # Tables the migration user creates later reach the others (ALTER DEFAULT PRIVILEGES FOR ROLE).
    assert _psql(server.port, "shop", "app_user", PASSWORDS["app_user"], "INSERT INTO t VALUES (1)").returncode == 0
    later = _psql(server.port, "shop", "reader", PASSWORDS["reader"], "SELECT count(*) FROM t")
    assert (later.returncode, later.stdout.strip()) == (0, "1"), later.stderr

    # The server logged every statement, and not one holds a password: it got SCRAM verifiers.
    log = server.log.read_text(errors="replace")
    assert "ALTER ROLE" in log and "SCRAM-SHA-256$4096:" in log
    assert not [pw for pw in PASSWORDS.values() if pw in log]
    stored = subprocess.run(["psql", f"host=127.0.0.1 port={server.port} dbname=postgres user=admin", "-tAc",
                             "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'"],
                            capture_output=True, text=True, env={**os.environ, "PGPASSWORD": "admin-secret"})
    assert stored.stdout.startswith("SCRAM-SHA-256$4096:"), stored.stderr


def test_script_refuses_a_server_whose_certificate_it_cannot_verify(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_aws(bin_dir)
    out = _env_files(tmp_path, server.port)
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
                    "-keyout", str(tmp_path / "other.key"), "-out", str(other)], check=True, capture_output=True)
    result = _run_script(out, bin_dir, Server(server.port, other, server.log))
    assert result.returncode != 0 and "certificate verify failed" in result.stderr
    assert "in place" not in result.stdout


def test_end_to_end_iam_users_have_no_password_and_exactly_their_grants(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text("#!/bin/sh\necho 'the IAM script must not call AWS' >&2\nexit 99\n")
    (bin_dir / "aws").chmod(0o755)
    out = _env_files(tmp_path, server.port, iam=True, prefix="iam_")
    assert "<password of " not in (out / DB_USERS_SQL_FILE).read_text()
    for attempt in range(2):
        result = _run_script(out, bin_dir, server)
        assert result.returncode == 0, (attempt, result.stderr)

    def admin(sql: str) -> str:
        done = subprocess.run(["psql", f"host=127.0.0.1 port={server.port} dbname=shop user=admin", "-tAc", sql],
                              capture_output=True, text=True, env={**os.environ, "PGPASSWORD": "admin-secret"})
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    for user in ("iam_app_user", "iam_reader", "iam_migrator"):
        assert admin(f"SELECT rolpassword IS NULL AND rolcanlogin FROM pg_authid WHERE rolname = '{user}'") == "t"
        assert admin(f"SELECT pg_has_role('{user}', 'rds_iam', 'MEMBER')") == "t"
    grants = {user: admin(f"SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM "
                          f"information_schema.role_table_grants WHERE grantee = '{user}' AND table_name = 'orders'")
              for user in ("iam_app_user", "iam_reader")}
    assert grants == {"iam_app_user": "DELETE,INSERT,SELECT,UPDATE", "iam_reader": "SELECT"}


def test_script_stops_when_a_secret_cannot_be_read(server, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text("#!/bin/sh\necho 'AccessDenied' >&2\nexit 255\n")
    (bin_dir / "aws").chmod(0o755)
    out = _env_files(tmp_path, server.port)
    result = _run_script(out, bin_dir, server)
    assert result.returncode != 0 and "AccessDenied" in result.stderr
    assert "in place" not in result.stdout
    assert json.dumps(PASSWORDS) not in result.stdout + result.stderr
