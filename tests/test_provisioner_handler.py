"""The users provisioner's Lambda code, run from its real artifact against real database servers.

The artifact is built once (templates_src/provisioner/artifact.py, with a test CA as its bundle),
unpacked and imported from there: the handler runs with the pinned drivers it ships with. The
servers are the RDS-like ones of tests/db_servers.py (admins that are no superusers), serving TLS
with certificates the test CA issued for localhost, where the stubbed DescribeDBInstances points.
PostgreSQL 16 (built without OpenSSL) sits behind a TLS front. Stand-ins only for AWS: Stubber on
real boto3 clients for Secrets Manager and RDS, and a local HTTP server as the ResponseURL.

Every invocation checks that no password (admin's or user's), no stored verifier and not the
ResponseURL reaches the response, the log or stdout/stderr.
"""

from __future__ import annotations

import copy
import dataclasses
import http.server
import importlib
import json
import logging
import secrets
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from templates_src.provisioner.artifact import build_artifact

from builders.envs import END_TO_END_IAM, POSTGRES, make_cfg
from conftest import ROOT, example_configs, example_files
from db_servers import (ADMIN, ADMIN_PASSWORD, MARIADB_MASTER_PRIVILEGES, CertificateAuthority, debian_postgres_bin,
                        free_port, postgres16_bin, postgres_tls_front, rds_like_mariadb, rds_like_postgres)

pytestmark = pytest.mark.servers

ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:{}-AbCdEf"
ADMIN_ARN = ARN.format("rds!db-admin")
INSTANCE = "shop-db"


# --- the artifact, the CA, the response catcher ---------------------------------------------------

@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> CertificateAuthority:
    return CertificateAuthority.create(tmp_path_factory.mktemp("provisioner-ca"))


@pytest.fixture(scope="session")
def runtime(test_ca, tmp_path_factory):
    """The handler module, imported from the unpacked artifact (its modules and drivers first on sys.path)."""
    import hashlib

    sha = hashlib.sha256(test_ca.cert.read_bytes()).hexdigest()
    zip_path = build_artifact(test_ca.cert, sha, tmp_path_factory.mktemp("artifact"),
                              ROOT / ".cache" / "provisioner" / "wheels")
    unpacked = tmp_path_factory.mktemp("lambda-task")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(unpacked)
    sys.path.insert(0, str(unpacked))
    try:
        handler = importlib.import_module("handler")
        modules = SimpleNamespace(handler=handler, passwords=importlib.import_module("passwords"),
                                  sql_blocks=importlib.import_module("sql_blocks"),
                                  aws_calls=importlib.import_module("aws_calls"), root=unpacked)
        import pg8000
        import pymysql

        for module in (handler, modules.passwords, pg8000, pymysql):
            assert Path(module.__file__).is_relative_to(unpacked), module
        yield modules
    finally:
        sys.path.remove(str(unpacked))


class _Catcher(http.server.BaseHTTPRequestHandler):
    def do_PUT(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.puts.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def cfn():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Catcher)
    server.puts = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


# --- the servers ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Target:
    engine: str  # the Engine property
    port: int  # where the handler connects (localhost)
    server: Any

    def login(self, user: str, password: str, sql: str, database: str):
        if self.engine == "postgres":
            return self.server.psql(database, user, password, sql)
        return self.server.client(user, password, sql, database)

    def stored(self) -> list[str]:
        """The password hashes the server holds (they must not be logged either)."""
        if self.engine == "postgres":
            return self.server.superuser("postgres", "SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT "
                                                     "NULL").split()
        return [h for h in self.server.root("SELECT authentication_string FROM mysql.user").split() if h]

    def database(self, name: str) -> None:
        if self.engine == "postgres":
            if self.server.superuser("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "0":
                self.server.database(name)
        else:
            self.server.admin(f"CREATE DATABASE IF NOT EXISTS `{name}`; CREATE TABLE IF NOT EXISTS `{name}`.orders "
                              "(id int); INSERT INTO `{name}`.orders VALUES (1);".replace("{name}", name))


@pytest.fixture(scope="module")
def pg15(test_ca):
    with rds_like_postgres(debian_postgres_bin(), tls=True, ca=test_ca) as server:
        yield Target("postgres", server.port, server)


@pytest.fixture(scope="module")
def pg16(test_ca):
    with rds_like_postgres(postgres16_bin(), tls=False) as server, postgres_tls_front(server.port, test_ca) as port:
        assert server.version == 16
        yield Target("postgres", port, server)


@pytest.fixture(params=[15, 16])
def pg(request) -> Target:
    return request.getfixturevalue(f"pg{request.param}")


@pytest.fixture(scope="module")
def mariadb(test_ca):
    with rds_like_mariadb(ca=test_ca) as server:
        yield Target("mariadb", server.port, server)


# --- invoking the handler -------------------------------------------------------------------------

def properties(cfg, engine: str) -> dict[str, Any]:
    """The custom resource's properties as the template side builds them for this env (its Sql
    rendered by the project's renderer), each secret's Ref resolved to an ARN as CloudFormation
    would, the target and admin secret those of the stand-ins."""
    from templates_src.builders import names
    from templates_src.config.schema.provisioner import ProvisionerParams
    from templates_src.facts.provisioner import AwsApiRoute
    from templates_src.builders.stack import build_template

    if cfg.provisioner is None:
        cfg = dataclasses.replace(cfg, provisioner=ProvisionerParams(
            admin_secret_arn=ADMIN_ARN, artifact_bucket="stand-in", ca_bundle_sha256="0" * 64,
            aws_apis_via=AwsApiRoute.NAT))
    assert cfg.target.engine.value == engine
    props = copy.deepcopy(build_template(cfg).to_dict()["Resources"][names.DATABASE_USERS]["Properties"])
    for user in props["Users"]:
        if isinstance(user.get("SecretArn"), dict):
            assert user["SecretArn"] == {"Ref": names.secret(user["Username"])}
        if "SecretArn" in user:
            user["SecretArn"] = ARN.format(user["Username"])
    props.pop("DBClusterIdentifier", None)
    return {**props, "ServiceToken": "arn:aws:lambda:eu-west-1:111122223333:function:users",
            "ServiceTimeout": str(props["ServiceTimeout"]), "DBInstanceIdentifier": INSTANCE,
            "AdminSecretArn": ADMIN_ARN}


def password(username: str) -> str:
    """Distinct each time, with what SQL and shells treat specially: ' \\ ; $ ` and a placeholder."""
    return f"{secrets.token_hex(4)}'s \\;pw$(x)`<password of {username}>`-{username}"


class Provisioner:
    def __init__(self, runtime, cfn, caplog, capsys) -> None:
        self.runtime, self.cfn, self.caplog, self.capsys = runtime, cfn, caplog, capsys
        self.forbidden = {ADMIN_PASSWORD}
        self.passwords: set[str] = set()
        caplog.set_level(logging.INFO, logger="provisioner")

    def __call__(self, request: str, props: dict[str, Any], target: Target | None, passwords: dict[str, str],
                 old: dict[str, Any] | None = None, physical_id: str | None = None, port: int | None = None,
                 admin: tuple[str, str] = (ADMIN, ADMIN_PASSWORD), reach: bool = True) -> dict[str, Any]:
        """Invokes the handler; ``reach``: it is expected to look up the database and the admin's secret."""
        self.forbidden |= set(passwords.values()) | {admin[1]}
        # and each as MySQL's SQL holds it (escaped), which a log of the statement would show
        escaped = {pw.replace("\\", "\\\\").replace("'", "''") for pw in passwords.values()}
        self.passwords |= set(passwords.values()) | escaped
        self.forbidden |= escaped
        sm = boto3.client("secretsmanager", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        rds = boto3.client("rds", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        with Stubber(sm) as sm_stub, Stubber(rds) as rds_stub:
            if request != "Delete":
                for user in props["Users"]:
                    if "SecretArn" in user:
                        value = json.dumps({"username": user["Username"], "password": passwords[user["Username"]]})
                        sm_stub.add_response("get_secret_value", {"SecretString": value},
                                             {"SecretId": user["SecretArn"]})
            if reach:
                rds_stub.add_response("describe_db_instances", {"DBInstances": [{"Endpoint": {
                    "Address": "localhost", "Port": port or target.port}}]}, {"DBInstanceIdentifier": INSTANCE})
                sm_stub.add_response("get_secret_value", {"SecretString": json.dumps(
                    {"username": admin[0], "password": admin[1]})}, {"SecretId": ADMIN_ARN})
            token = secrets.token_hex(16)
            url = f"http://127.0.0.1:{self.cfn.server_port}/cfn/{token}?X-Amz-Signature=sig{token}"
            self.forbidden |= {url, token}
            event = {"RequestType": request, "ResponseURL": url, "RequestId": f"req-{token[:8]}",
                     "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/shop/1a2b",
                     "LogicalResourceId": "DatabaseUsers", "ResourceType": "Custom::DatabaseUsers",
                     "ResourceProperties": props}
            if physical_id:
                event["PhysicalResourceId"] = physical_id
            if old is not None:
                event["OldResourceProperties"] = old
            context = SimpleNamespace(get_remaining_time_in_millis=lambda: 120_000)
            self.runtime.handler.handler(event, context, aws=self.runtime.aws_calls.AwsClients(sm, rds))
            if reach:
                sm_stub.assert_no_pending_responses()
                rds_stub.assert_no_pending_responses()
        [(path, content_type, raw)] = [put for put in self.cfn.puts if token in put[0]]
        assert content_type == ""  # the pre-signed URL is signed for an empty Content-Type
        body = json.loads(raw)
        assert set(body) == {"Status", "Reason", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId",
                             "Data"}
        assert (body["RequestId"], body["LogicalResourceId"]) == (event["RequestId"], "DatabaseUsers")
        self.check_no_leak(raw.decode(), target)
        return body

    def check_no_leak(self, response: str = "", target: Target | None = None) -> None:
        captured = self.capsys.readouterr()
        said = "\n".join([response, self.caplog.text, captured.out, captured.err])
        forbidden = self.forbidden | set(target.stored() if target else [])
        leaked = [item for item in forbidden if item and item in said]
        assert not leaked, leaked
        for item in self.passwords:  # no start of a password either (a server's quote may cut one)
            assert not any(item[:end] in said for end in range(12, len(item))), item


@pytest.fixture
def provision(runtime, cfn, caplog, capsys) -> Provisioner:
    return Provisioner(runtime, cfn, caplog, capsys)


def env(engine: str, database: str, users: list[dict[str, Any]], *extra: dict[str, Any]):
    base = POSTGRES if engine == "postgres" else {"target": {"engine": "mariadb"}}
    return make_cfg(base, {"target": {"database_name": database}, "users": users}, *extra)


def _can_login(target: Target, user: str, password_: str, database: str) -> bool:
    done = target.login(user, password_, "SELECT 1", database)
    return done.returncode == 0


# --- PostgreSQL 15 and 16 -------------------------------------------------------------------------

@pytest.mark.parametrize("example", ["analytics", "billing"])
def test_postgres_example_env_create_then_delete(example, pg, provision):
    """A password env (analytics) and an end-to-end IAM env (billing), as the project renders them."""
    cfg = example_configs()[example]
    database = cfg.target.database_name
    pg.database(database)
    props = properties(cfg, "postgres")
    passwords = {u["Username"]: password(u["Username"]) for u in props["Users"] if "SecretArn" in u}
    assert bool(passwords) == (example == "analytics")

    created = provision("Create", props, pg, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert created["PhysicalResourceId"].startswith("DatabaseUsers-")
    su = pg.server.superuser
    for user in cfg.users:
        name = user.username
        if name in passwords:
            login = pg.login(name, passwords[name], "SELECT count(*) FROM orders", database)
            assert (login.returncode, login.stdout.strip()) == (0, "1"), login.stderr
            assert not _can_login(pg, name, passwords[name] + "x", database)
            assert su("postgres", f"SELECT rolpassword FROM pg_authid WHERE rolname = '{name}'").startswith(
                "SCRAM-SHA-256$4096:")
        else:
            assert su(database, f"SELECT rolpassword IS NULL AND pg_has_role('{name}', 'rds_iam', 'MEMBER') "
                                f"FROM pg_authid WHERE rolname = '{name}'") == "t"
        readonly = user.role.value == "readonly"
        assert su(database, f"SELECT has_table_privilege('{name}', 'orders', 'SELECT'), "
                            f"has_table_privilege('{name}', 'orders', 'INSERT')") == ("t|f" if readonly else "t|t")
    assert "running block" in provision.caplog.text

    deleted = provision("Delete", props, pg, {}, physical_id=created["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    for user in cfg.users:
        assert su("postgres", f"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{user.username}'") == "f"
        if user.username in passwords:
            assert not _can_login(pg, user.username, passwords[user.username], database)


def test_postgres_update_adds_and_removes_users_and_changes_a_password(pg, provision):
    database = f"life{pg.server.version}"
    pg.database(database)
    users = [{"username": "app_user", "role": "app"}, {"username": "migrator", "role": "migration"},
             {"username": "legacy", "role": "readonly", "client_password_auth_type": "POSTGRES_MD5"}]
    first = properties(env("postgres", database, users[:2]), "postgres")
    passwords = {"app_user": password("app_user"), "migrator": password("migrator")}
    created = provision("Create", first, pg, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    physical_id = created["PhysicalResourceId"]
    made = pg.login("migrator", passwords["migrator"], "CREATE TABLE kept (id int)", database)
    assert made.returncode == 0, made.stderr

    # Update: a third user (md5), and a new password for app_user.
    second = properties(env("postgres", database, users), "postgres")
    old_app = passwords["app_user"]
    passwords = {**passwords, "app_user": password("app_user"), "legacy": password("legacy")}
    updated = provision("Update", second, pg, passwords, old=first, physical_id=physical_id)
    assert (updated["Status"], updated["PhysicalResourceId"]) == ("SUCCESS", physical_id), updated["Reason"]
    assert _can_login(pg, "app_user", passwords["app_user"], database)
    assert not _can_login(pg, "app_user", old_app, database)
    import hashlib

    expected_md5 = "md5" + hashlib.md5((passwords["legacy"] + "legacy").encode()).hexdigest()
    assert pg.server.superuser("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'legacy'") == expected_md5
    # The tables the migration user creates reach the others (the SQL's default privileges).
    assert pg.server.superuser(database, "SELECT has_table_privilege('app_user', 'kept', 'INSERT')") == "t"

    # Update: migrator leaves the params. Its login goes, its table stays.
    third = properties(env("postgres", database, [users[0], users[2]]), "postgres")
    removed = provision("Update", third, pg, {k: v for k, v in passwords.items() if k != "migrator"}, old=second,
                        physical_id=physical_id)
    assert removed["Status"] == "SUCCESS", removed["Reason"]
    assert "migrator" in removed["Reason"] and "disabled the login of removed user migrator" in provision.caplog.text
    assert not _can_login(pg, "migrator", passwords["migrator"], database)
    assert pg.server.superuser(database, "SELECT tableowner FROM pg_tables WHERE tablename = 'kept'") == "migrator"
    assert _can_login(pg, "app_user", passwords["app_user"], database)

    deleted = provision("Delete", third, pg, {}, physical_id=physical_id)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    for user in ("app_user", "legacy", "migrator"):
        assert pg.server.superuser("postgres", f"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{user}'") == "f"
    assert pg.server.superuser(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'") == "1"


def test_postgres_failure_names_the_block_and_sqlstate_and_changes_nothing(pg, provision):
    """A table a superuser owns in the schema: the grants on all its tables are refused (42501)."""
    database = f"owned{pg.server.version}"
    pg.database(database)
    pg.server.superuser(database, "CREATE TABLE rdsadmin_owned (id int)")
    users = [{"username": "f_app", "role": "app"}]
    props = properties(env("postgres", database, users), "postgres")
    failed = provision("Create", props, pg, {"f_app": password("f_app")})
    assert failed["Status"] == "FAILED"
    assert "block 'grants of f_app'" in failed["Reason"] and "SQLSTATE 42501" in failed["Reason"], failed["Reason"]
    assert "lacks a privilege" in failed["Reason"]
    assert "GRANT" not in failed["Reason"] and "\n" not in failed["Reason"]
    assert failed["PhysicalResourceId"].endswith("-create-failed")
    # One transaction: the role the earlier block made is gone.
    assert pg.server.superuser("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'f_app'") == "0"
    # The rollback's Delete does nothing (no AWS call, no database) and succeeds.
    rolled_back = provision("Delete", props, None, {}, physical_id=failed["PhysicalResourceId"], reach=False)
    assert (rolled_back["Status"], rolled_back["PhysicalResourceId"]) == ("SUCCESS", failed["PhysicalResourceId"])


def test_postgres_admin_lacking_createrole_fails_with_the_block_and_hint(pg15, provision):
    pg15.server.superuser("postgres", "CREATE ROLE weak LOGIN PASSWORD 'weak-admin-password'")
    pg15.database("weakdb")
    props = properties(env("postgres", "weakdb", [{"username": "w_app", "role": "app"}]), "postgres")
    failed = provision("Create", props, pg15, {"w_app": password("w_app")}, admin=("weak", "weak-admin-password"))
    assert failed["Status"] == "FAILED"
    assert "block 'w_app (role app)'" in failed["Reason"] and "SQLSTATE 42501" in failed["Reason"], failed["Reason"]


def test_postgres_server_certificate_from_another_ca_is_refused(pg15, provision, tmp_path):
    other = CertificateAuthority.create(tmp_path / "other", "other-ca")
    props = properties(env("postgres", "shop", [{"username": "c_app", "role": "app"}]), "postgres")
    with postgres_tls_front(pg15.server.port, other) as port:
        failed = provision("Create", props, pg15, {"c_app": password("c_app")}, port=port)
    assert failed["Status"] == "FAILED"
    assert "certificate verify failed" in failed["Reason"] and "CA bundle" in failed["Reason"], failed["Reason"]
    assert pg15.server.superuser("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'c_app'") == "0"


def test_delete_of_an_unreachable_database_succeeds(provision):
    props = properties(env("postgres", "gone", [{"username": "g_app", "role": "app"}]), "postgres")
    deleted = provision("Delete", props, None, {}, physical_id="DatabaseUsers-0123456789ab", port=free_port())
    assert deleted["Status"] == "SUCCESS"
    assert "connection refused" in deleted["Reason"]
    assert "could not disable the logins of g_app" in provision.caplog.text


def test_a_password_with_a_control_character_is_refused_naming_the_user(provision):
    props = properties(env("postgres", "shop", [{"username": "ctl_app", "role": "app"}]), "postgres")
    failed = provision("Create", props, None, {"ctl_app": "bad\npassword-value"}, reach=False)
    assert failed["Status"] == "FAILED"
    assert failed["Reason"] == "the password of ctl_app holds a control character; refused"


def test_an_unreachable_secret_fails_the_create_naming_it(provision):
    props = properties(env("postgres", "shop", [{"username": "s_app", "role": "app"}]), "postgres")
    sm = boto3.client("secretsmanager", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sm) as stub:
        stub.add_client_error("get_secret_value", "AccessDeniedException", "not allowed",
                              expected_params={"SecretId": ARN.format("s_app")})
        aws = provision.runtime.aws_calls.AwsClients(sm, None)
        with pytest.raises(provision.runtime.aws_calls.ProvisionError, match="^reading the secret of user s_app "
                                                                            "failed: AccessDeniedException"):
            provision.runtime.handler.apply({"RequestType": "Create", "ResourceProperties": props}, aws,
                                            provision.runtime.handler.Clock(None), {"step": ""})


# --- MariaDB --------------------------------------------------------------------------------------

def test_mariadb_example_env_create_then_delete(mariadb, provision):
    cfg = example_configs()["wiki"]
    database = cfg.target.database_name
    mariadb.database(database)
    props = properties(cfg, "mariadb")
    passwords = {u.username: password(u.username) for u in cfg.users}
    created = provision("Create", props, mariadb, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    for user in cfg.users:
        name, role = user.username, user.role.value
        read = mariadb.login(name, passwords[name], "SELECT count(*) > 0 FROM orders", database)
        assert (read.returncode, read.stdout.strip()) == (0, "1"), read.stderr
        write = mariadb.login(name, passwords[name], "INSERT INTO orders VALUES (2)", database)
        assert (write.returncode == 0) == (role != "readonly"), write.stderr
        assert not _can_login(mariadb, name, passwords[name] + "x", database)
    deleted = provision("Delete", props, mariadb, {}, physical_id=created["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    for user in cfg.users:
        locked = mariadb.login(user.username, passwords[user.username], "SELECT 1", database)
        assert locked.returncode != 0 and "locked" in locked.stderr, locked.stderr


def test_mariadb_update_adds_and_removes_users_and_changes_a_password(mariadb, provision):
    database = "life"
    mariadb.database(database)
    users = [{"username": "m_app", "role": "app"}, {"username": "m_migrator", "role": "migration"},
             {"username": "m_reader", "role": "readonly"}]
    first = properties(env("mariadb", database, users[:2]), "mariadb")
    passwords = {"m_app": password("m_app"), "m_migrator": password("m_migrator")}
    created = provision("Create", first, mariadb, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    physical_id = created["PhysicalResourceId"]
    made = mariadb.login("m_migrator", passwords["m_migrator"], "CREATE TABLE kept (id int)", database)
    assert made.returncode == 0, made.stderr

    second = properties(env("mariadb", database, users), "mariadb")
    old_app = passwords["m_app"]
    passwords = {**passwords, "m_app": password("m_app"), "m_reader": password("m_reader")}
    updated = provision("Update", second, mariadb, passwords, old=first, physical_id=physical_id)
    assert (updated["Status"], updated["PhysicalResourceId"]) == ("SUCCESS", physical_id), updated["Reason"]
    assert _can_login(mariadb, "m_app", passwords["m_app"], database)
    assert not _can_login(mariadb, "m_app", old_app, database)
    assert mariadb.login("m_reader", passwords["m_reader"], "SELECT count(*) FROM kept", database).returncode == 0

    third = properties(env("mariadb", database, [users[0], users[2]]), "mariadb")
    removed = provision("Update", third, mariadb, {k: v for k, v in passwords.items() if k != "m_migrator"},
                        old=second, physical_id=physical_id)
    assert removed["Status"] == "SUCCESS", removed["Reason"]
    locked = mariadb.login("m_migrator", passwords["m_migrator"], "SELECT 1", database)
    assert locked.returncode != 0 and "locked" in locked.stderr, locked.stderr
    assert mariadb.server.admin("SELECT count(*) FROM information_schema.tables WHERE table_name = 'kept'") == "1"
    assert _can_login(mariadb, "m_app", passwords["m_app"], database)

    deleted = provision("Delete", third, mariadb, {}, physical_id=physical_id)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    for user in ("m_app", "m_reader"):
        assert not _can_login(mariadb, user, passwords[user], database)


def test_mariadb_admin_lacking_a_privilege_fails_with_the_block_and_error_number(mariadb, provision):
    mariadb.server.root("CREATE USER IF NOT EXISTS 'weak'@'%' IDENTIFIED BY 'weak-admin-password';"
                        "GRANT SELECT ON *.* TO 'weak'@'%';")
    mariadb.database("weakdb")
    props = properties(env("mariadb", "weakdb", [{"username": "w_app", "role": "app"}]), "mariadb")
    failed = provision("Create", props, mariadb, {"w_app": password("w_app")}, admin=("weak", "weak-admin-password"))
    assert failed["Status"] == "FAILED"
    assert "block 'w_app (role app)'" in failed["Reason"] and "MySQL error 1227" in failed["Reason"], failed["Reason"]
    assert "lacks a privilege" in failed["Reason"]
    assert mariadb.server.root("SELECT count(*) FROM mysql.user WHERE user = 'w_app'") == "0"


def test_mariadb_syntax_error_quoting_a_password_shows_none(mariadb, provision):
    """MySQL 8's syntax (target.engine mysql) on MariaDB: the server's error quotes the statement,
    passwords included; neither the Reason nor the log carries it."""
    cfg = make_cfg({"target": {"database_name": "leak"}, "users": [{"username": "leak_a", "role": "app"}]})
    mariadb.database("leak")
    props = properties(cfg, "mysql")
    failed = provision("Create", props, mariadb, {"leak_a": password("leak_a")})
    assert failed["Status"] == "FAILED"
    assert "block 'leak_a (role app)'" in failed["Reason"] and "MySQL error 1064" in failed["Reason"], failed["Reason"]
    assert "IDENTIFIED" not in failed["Reason"] + provision.caplog.text


def test_mariadb_certificate_from_a_bundle_without_its_ca_is_refused(mariadb, provision, tmp_path):
    other = CertificateAuthority.create(tmp_path / "other", "other-ca")
    mariadb.database("wiki")
    props = properties(example_configs()["wiki"], "mariadb") | {"CaBundle": other.cert.read_text()}
    passwords = {u["Username"]: password(u["Username"]) for u in props["Users"]}
    failed = provision("Create", props, mariadb, passwords)
    assert failed["Status"] == "FAILED"
    assert "certificate verify failed" in failed["Reason"], failed["Reason"]


def test_mariadb_delete_of_an_unreachable_database_succeeds(provision):
    props = properties(example_configs()["wiki"], "mariadb")
    deleted = provision("Delete", props, None, {}, physical_id="DatabaseUsers-0123456789ab", port=free_port())
    assert deleted["Status"] == "SUCCESS" and "connection refused" in deleted["Reason"]


# --- the master: left alone ----------------------------------------------------------------------

def _as_listed_user(props: dict[str, Any], engine: str, name: str) -> dict[str, Any]:
    """``props`` as a stack made before users[].master would have them: the master a managed user."""
    from templates_src.facts.aws import EngineFamily
    from templates_src.facts.sql import DISABLE_LOGIN

    family = EngineFamily.POSTGRESQL if engine == "postgres" else EngineFamily.MYSQL
    listed = {"Username": name, "SecretArn": ARN.format(name), "PasswordForm": "literal" if engine != "postgres"
              else "scram-sha-256", "Disable": DISABLE_LOGIN[family].format(username=name)}
    return {**{k: v for k, v in props.items() if k != "LeaveAlone"}, "Users": [*props["Users"], listed]}


def _mastered(request, server: str) -> tuple[Target, str, str]:
    """The server fixture by name, its Engine property and the database these tests use."""
    target: Target = request.getfixturevalue(server)
    target.database("mastered")
    return target, target.engine, "mastered"


@pytest.mark.parametrize("server", ["pg15", "mariadb"])
@pytest.mark.parametrize("is_admin", [True, False], ids=["master-is-admin", "master-is-not-admin"])
def test_the_master_is_never_touched_by_create_update_or_delete(server, is_admin, provision, request):
    """The master marked master: true (the stand-in's admin, which is no superuser, or another login):
    its password stays, and an update from a stack that listed it as a managed user does not lock
    it out (LeaveAlone; for the admin, also the handler's own guard)."""
    target, engine, database = _mastered(request, server)
    app = f"{server}_m_app"
    master, master_password = (ADMIN, ADMIN_PASSWORD) if is_admin else (f"{server}_owner", "owner-secret")
    if not is_admin and engine == "postgres":
        target.server.superuser("postgres", f"DROP ROLE IF EXISTS {master}; CREATE ROLE {master} LOGIN "
                                            f"PASSWORD '{master_password}'; GRANT CONNECT ON DATABASE {database} "
                                            f"TO {master}")
    elif not is_admin:
        target.server.root(f"DROP USER IF EXISTS '{master}'@'%'; CREATE USER '{master}'@'%' IDENTIFIED BY "
                           f"'{master_password}'; GRANT SELECT ON `{database}`.* TO '{master}'@'%';")
    cfg = env(engine, database, [{"username": app, "role": "app"},
                                 {"username": master, "master": True, "secret_arn": ARN.format(master)}])
    props = properties(cfg, engine)
    assert [u["Username"] for u in props["Users"]] == [app] and props["LeaveAlone"] == [master]
    passwords = {app: password(app)}
    created = provision("Create", props, target, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert _can_login(target, master, master_password, database) and _can_login(target, app, passwords[app], database)

    updated = provision("Update", props, target, passwords, old=_as_listed_user(props, engine, master),
                        physical_id=created["PhysicalResourceId"])
    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert "disabled" not in updated["Reason"], updated["Reason"]
    assert _can_login(target, master, master_password, database)

    deleted = provision("Delete", props, target, {}, physical_id=created["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert not _can_login(target, app, passwords[app], database)
    assert _can_login(target, master, master_password, database)


@pytest.mark.parametrize("server", ["pg15", "mariadb"])
def test_users_naming_the_admin_fail_before_any_sql_and_a_delete_spares_it(server, provision, request):
    target, engine, database = _mastered(request, server)
    app = f"{server}_never_app"
    props = _as_listed_user(properties(env(engine, database, [{"username": app, "role": "app"}]), engine), engine,
                            ADMIN)
    passwords = {app: password(app), ADMIN: password(ADMIN)}
    failed = provision("Create", props, target, passwords)
    assert failed["Status"] == "FAILED"
    assert f"Users names {ADMIN}, the admin the provisioner signs in as (AdminSecretArn), with another secret" \
        in failed["Reason"], failed["Reason"]
    assert not _can_login(target, app, passwords[app], database)  # no block ran
    assert _can_login(target, ADMIN, ADMIN_PASSWORD, database)

    deleted = provision("Delete", props, target, {}, physical_id="DatabaseUsers-0123456789ab")
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert ADMIN not in deleted["Reason"], deleted["Reason"]
    assert _can_login(target, ADMIN, ADMIN_PASSWORD, database)


@pytest.mark.parametrize("server", ["pg15", "mariadb"])
def test_users_naming_the_admin_with_its_own_secret_still_run_and_spare_it(server, provision, request):
    """A stack from before users[].master could list the admin with the admin's own secret: the
    reset changes nothing, so its updates (and their rollbacks) still run, and nothing locks it out."""
    target, engine, database = _mastered(request, server)
    app = f"{server}_legacy_app"
    props = _as_listed_user(properties(env(engine, database, [{"username": app, "role": "app"}]), engine), engine,
                            ADMIN)
    props["Users"][-1]["SecretArn"] = ADMIN_ARN
    passwords = {app: password(app), ADMIN: ADMIN_PASSWORD}
    created = provision("Create", props, target, passwords)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert f"Users names {ADMIN}, the admin, with the admin's own secret" in provision.caplog.text
    assert _can_login(target, ADMIN, ADMIN_PASSWORD, database)
    deleted = provision("Delete", props, target, {}, physical_id=created["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert not _can_login(target, app, passwords[app], database)
    assert _can_login(target, ADMIN, ADMIN_PASSWORD, database)


# --- pure: blocks and password forms --------------------------------------------------------------

@pytest.mark.parametrize("generated, first, last", [
    ("billing", "Written for RDS's master user, which is no superuser (CREATEROLE, CREATEDB, member of",
     "The borrowed memberships go back."),
    ("wiki", "For RDS for MariaDB (target.engine mariadb), run by the master user (no SUPER).", "wiki_reader (role readonly)"),
    ("dev", "For RDS for MySQL 8.0/8.4 and Aurora MySQL 3 (target.engine mysql), run by the master user (no SUPER).",
     "migrator (role migration)"),
])
def test_split_blocks_of_the_generated_sql(runtime, generated, first, last):
    # The examples' files as the build writes them (generated/ may hold other envs: the fork).
    sql = example_files()[f"{generated}/db-users.sql"]
    blocks = runtime.sql_blocks.split_blocks(sql)
    assert (blocks[0].name, blocks[-1].name) == (first, last)
    assert not any(line.startswith("\\") for block in blocks for line in block.sql.splitlines())
    assert "".join(b.sql for b in blocks).count(";") >= sql.count(";") - sql.count("-- ")  # nothing lost
    for block in blocks:
        assert block.sql.splitlines()[0] == f"-- {block.name}" and block.sql.rstrip().endswith(";")
    if generated == "billing":
        assert blocks[0].sql.rstrip().endswith("BEGIN;") and blocks[-1].sql.rstrip().endswith("COMMIT;")
        assert "-- grants of billing_app" in [f"-- {b.name}" for b in blocks]


@pytest.mark.parametrize("sql, message", [
    ("-- a\nSELECT 1\n", "block 'a' of Sql does not end with a semicolon"),
    ("-- a\nSELECT 1;\n\nSELECT 2;\n", "a block of Sql opens with no -- comment naming it (after block 'a')"),
    ("-- only a comment\n\n\\set x\n", "Sql holds no statement"),
])
def test_split_blocks_refuses(runtime, sql, message):
    with pytest.raises(Exception, match="^" + __import__("re").escape(message) + "$"):
        runtime.sql_blocks.split_blocks(sql)


def test_substitution_is_one_pass(runtime):
    sql = "-- a\nALTER '<password of a>' '<password of a__b>' '<password of b>';\n"
    filled = runtime.sql_blocks.substitute(sql, {"a": "<password of b>", "a__b": "X", "b": "Y"})
    assert filled == "-- a\nALTER '<password of b>' 'X' 'Y';\n"
    assert runtime.sql_blocks.placeholders(sql) == {"a", "a__b", "b"}


@pytest.mark.parametrize("secret", ["plain-password", "it's a \\ back;slash $(x) `y`", "ünïcödé-päss"])
def test_password_forms_match_create_db_users_sh(runtime, secret):
    """The same SQL forms as PASSWORD_FILTERS (the script's programs), run side by side."""
    from templates_src.facts.aws import EngineFamily
    from templates_src.dbusers.grants import PASSWORD_FILTERS

    def script(family, *args):
        return subprocess.run([sys.executable, "-c", PASSWORD_FILTERS[family], "user1", *args],
                              input=json.dumps({"password": secret}), capture_output=True, text=True,
                              check=True).stdout

    forms = runtime.passwords
    assert forms.sql_form("md5", "user1", secret) == script(EngineFamily.POSTGRESQL, "md5")
    assert forms.sql_form("literal", "user1", secret) == script(EngineFamily.MYSQL)
    theirs = script(EngineFamily.POSTGRESQL)
    salt = __import__("base64").b64decode(theirs.split("$")[1].split(":")[1])
    assert forms.scram_sha_256(secret, salt) == theirs
    ours = forms.sql_form("scram-sha-256", "user1", secret)
    assert ours.startswith("SCRAM-SHA-256$4096:") and ours != forms.sql_form("scram-sha-256", "user1", secret)


@pytest.mark.parametrize("bad", ["tab\there", "nul\0", "del\x7f", "c1\x85"])
def test_control_characters_are_refused(runtime, bad):
    with pytest.raises(Exception, match="^the password of u1 holds a control character; refused$"):
        runtime.passwords.sql_form("literal", "u1", bad)


# --- the proxy's log group (Custom::AdoptedLogGroup) ---------------------------------------------
# The function's real boto3 logs client, pointed at tests/aws_standin.py, which keeps the groups
# and fails CreateLogGroup for a name that exists as CloudWatch Logs does. What CloudFormation
# sends follows the template's policies: with DeletionPolicy Retain it sends no Delete, on a
# stack's deletion or a create's rollback ("DeletionPolicy attribute", CloudFormation User Guide).

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/rds-proxy-wiki/{}"


def log_group_resource(cfg) -> dict[str, Any]:
    """The resource as the template has it, its functions resolved as CloudFormation would and
    every scalar a string (custom resources receive strings)."""
    from templates_src.builders import names
    from templates_src.builders.stack import build_template

    resource = copy.deepcopy(build_template(cfg).to_dict()["Resources"][names.ADOPTED_LOG_GROUP])
    props = resource["Properties"]
    assert props["KmsKeyId"] == {"Fn::GetAtt": ["ProxySecretsKey", "Arn"]}
    props["KmsKeyId"] = "arn:aws:kms:eu-west-1:111122223333:key/first"
    arn = props["LogGroupArn"]["Fn::Sub"]
    props["LogGroupArn"] = arn.replace("${AWS::Partition}", "aws").replace("${AWS::Region}", "eu-west-1") \
        .replace("${AWS::AccountId}", "111122223333")
    props["ServiceToken"] = "arn:aws:lambda:eu-west-1:111122223333:function:users"
    props["RetentionInDays"] = str(props["RetentionInDays"])
    props["ServiceTimeout"] = str(props["ServiceTimeout"])
    return resource


class LogGroupCalls:
    def __init__(self, runtime, cfn, standin) -> None:
        self.runtime, self.cfn, self.standin = runtime, cfn, standin
        self.logs = boto3.client("logs", region_name="eu-west-1", endpoint_url=standin.url,
                                 aws_access_key_id="x", aws_secret_access_key="x")

    def __call__(self, request: str, props: dict[str, Any], stack: str = "1a2b", old: dict[str, Any] | None = None,
                 physical_id: str | None = None) -> dict[str, Any]:
        token = secrets.token_hex(16)
        event = {"RequestType": request, "ResponseURL": f"http://127.0.0.1:{self.cfn.server_port}/cfn/{token}",
                 "RequestId": f"req-{token[:8]}", "StackId": STACK_ID.format(stack),
                 "LogicalResourceId": "AdoptedProxyLogGroup", "ResourceType": "Custom::AdoptedLogGroup",
                 "ResourceProperties": props, **({"OldResourceProperties": old} if old else {}),
                 **({"PhysicalResourceId": physical_id} if physical_id else {})}
        context = SimpleNamespace(get_remaining_time_in_millis=lambda: 120_000)
        self.runtime.handler.handler(event, context, aws=self.runtime.aws_calls.AwsClients(None, None, self.logs))
        [(_, _, raw)] = [put for put in self.cfn.puts if token in put[0]]
        return json.loads(raw)


@pytest.fixture
def log_group_calls(runtime, cfn):
    from aws_standin import StandIn

    with StandIn("eu-west-1") as standin:
        yield LogGroupCalls(runtime, cfn, standin)


def test_the_runtime_and_the_template_name_the_same_type(runtime):
    from templates_src.facts.provisioner import ADOPTED_LOG_GROUP_TYPE

    assert runtime.handler.log_groups.TYPE == ADOPTED_LOG_GROUP_TYPE


def test_delete_then_create_again_adopts_the_kept_group(log_group_calls):
    """Create, delete (kept: no Delete is sent), create again under a new stack and key: the
    second create adopts the group, gives it the new key, and the proxy's logs stay."""
    resource = log_group_resource(example_configs()["wiki"])
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = resource["Properties"]
    name, standin = props["LogGroupName"], log_group_calls.standin
    created = log_group_calls("Create", props)
    assert (created["Status"], created["PhysicalResourceId"]) == ("SUCCESS", name)
    assert created["Reason"] == f"created log group {name} (retention 365 days)"
    assert standin.log_group_settings[name] == {
        "kmsKeyId": props["KmsKeyId"], "retentionInDays": 365,
        "tags": {t["Key"]: t["Value"] for t in props["Tags"]}}
    # The stack is deleted: DeletionPolicy Retain, so CloudFormation sends nothing and the group stays.
    again = {**props, "KmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/second"}
    adopted = log_group_calls("Create", again, stack="3c4d")
    assert (adopted["Status"], adopted["PhysicalResourceId"]) == ("SUCCESS", name), adopted["Reason"]
    assert adopted["Reason"] == f"adopted log group {name} (retention 365 days)"
    assert standin.log_group_settings[name]["kmsKeyId"] == again["KmsKeyId"]
    assert standin.operations("logs")[-4:] == ["CreateLogGroup", "AssociateKmsKey", "PutRetentionPolicy", "TagResource"]


def test_an_update_sets_the_retention_and_removes_tags_no_longer_listed(log_group_calls):
    props = log_group_resource(example_configs()["wiki"])["Properties"]
    name = props["LogGroupName"]
    log_group_calls("Create", props)
    fewer = {**props, "RetentionInDays": "30", "Tags": [t for t in props["Tags"] if t["Key"] != "team"]}
    updated = log_group_calls("Update", fewer, old=props, physical_id=name)
    assert (updated["Status"], updated["PhysicalResourceId"]) == ("SUCCESS", name), updated["Reason"]
    settings = log_group_calls.standin.log_group_settings[name]
    assert settings["retentionInDays"] == 30 and "team" not in settings["tags"] and settings["tags"]


def test_a_delete_request_never_deletes_the_group(log_group_calls):
    """The template keeps it (Retain) so no Delete should come; one that does deletes nothing."""
    props = log_group_resource(example_configs()["wiki"])["Properties"]
    log_group_calls("Create", props)
    calls_before = len(log_group_calls.standin.calls)
    kept = log_group_calls("Delete", props, physical_id=props["LogGroupName"])
    assert kept["Status"] == "SUCCESS" and props["LogGroupName"] in log_group_calls.standin.log_groups
    assert len(log_group_calls.standin.calls) == calls_before


@pytest.mark.parametrize("denials", [2, 6])
def test_access_denied_is_tried_again_while_iam_settles_then_named(runtime, cfn, monkeypatch, denials):
    """A policy version made in the same stack operation may not be in force at once: the first
    call is tried DENIED_RETRIES times; after that the failure names the action and the fix."""
    module = runtime.handler.log_groups
    monkeypatch.setattr(module, "DENIED_WAIT_S", 0.0)
    assert module.DENIED_RETRIES == 6
    props = log_group_resource(example_configs()["wiki"])["Properties"]
    create = {"logGroupName": props["LogGroupName"], "kmsKeyId": props["KmsKeyId"]}
    logs = boto3.client("logs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(logs) as stub:
        for _ in range(denials):
            stub.add_client_error("create_log_group", "AccessDeniedException", "no", expected_params=create)
        if denials < module.DENIED_RETRIES:
            stub.add_response("create_log_group", {}, create)
            stub.add_response("put_retention_policy", {}, {"logGroupName": props["LogGroupName"], "retentionInDays": 365})
            stub.add_response("tag_resource", {}, {"resourceArn": props["LogGroupArn"],
                                                   "tags": {t["Key"]: t["Value"] for t in props["Tags"]}})
        calls = LogGroupCalls.__new__(LogGroupCalls)
        calls.runtime, calls.cfn, calls.logs = runtime, cfn, logs
        answer = calls("Create", props)
        stub.assert_no_pending_responses()
    if denials < module.DENIED_RETRIES:
        assert answer["Status"] == "SUCCESS" and answer["Reason"].startswith("created log group")
        return
    failed = answer
    assert failed["Status"] == "FAILED"
    assert failed["Reason"] == (f"logs:CreateLogGroup on {props['LogGroupName']} failed: AccessDeniedException "
                                "(the function's role needs this logs action on the group)")
    assert failed["PhysicalResourceId"].endswith("-create-failed")


def test_an_unreachable_logs_api_names_the_missing_endpoint(runtime, cfn):
    from botocore.config import Config

    props = log_group_resource(example_configs()["wiki"])["Properties"]
    calls = LogGroupCalls.__new__(LogGroupCalls)
    calls.runtime, calls.cfn = runtime, cfn
    calls.logs = boto3.client("logs", region_name="eu-west-1", endpoint_url=f"http://127.0.0.1:{free_port()}",
                              aws_access_key_id="x", aws_secret_access_key="x",
                              config=Config(retries={"max_attempts": 1}, connect_timeout=2))
    failed = calls("Create", props)
    assert failed["Status"] == "FAILED"
    assert "EndpointConnectionError" in failed["Reason"]
    assert "interface endpoint for logs" in failed["Reason"]


@pytest.mark.parametrize("bad, message", [
    ({"RetentionInDays": "a year"}, "property RetentionInDays must be a number of days"),
    ({"LogGroupName": ""}, "property LogGroupName must be a non-empty string"),
    ({"Tags": [{"Key": "a"}]}, "property Tags must be a list of {Key, Value} strings"),
])
def test_bad_log_group_properties_fail_the_create_naming_the_property(log_group_calls, bad, message):
    props = {**log_group_resource(example_configs()["wiki"])["Properties"], **bad}
    failed = log_group_calls("Create", props)
    assert (failed["Status"], failed["Reason"]) == ("FAILED", message)
    assert log_group_calls.standin.operations("logs") == []
