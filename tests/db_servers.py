"""Real database servers for the users' SQL, with the privileges RDS gives its master user.

RDS never hands out a superuser, so neither do these servers: the SQL runs as an ``admin`` that
holds what RDS's master holds (RDS User Guide, "Master user account privileges"):
- PostgreSQL: ``CREATEROLE CREATEDB``, member of ``rds_superuser``, which may grant ``rds_iam``;
  not a superuser. The bootstrap superuser (``rdsadmin``, as on RDS) only sets the stage.
- MariaDB: RDS for MariaDB's master privileges ``WITH GRANT OPTION``, no ``SUPER``.

Each server listens on 127.0.0.1 only, lives in a temporary folder and is stopped at the end.
"""

from __future__ import annotations

import glob
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import require_tool

ADMIN, ADMIN_PASSWORD = "admin", "admin-secret"
ROOT = Path(__file__).resolve().parents[1]
# PostgreSQL 16 changed what CREATEROLE gives (ADMIN only, createrole_self_grant empty), so the SQL
# runs on 16 too: its server binaries come from the pgserver wheel (scripts/postgres16.sh).
PG16_BIN = Path(os.environ.get("RDS_PROXY_CFN_POSTGRES16", ROOT / ".cache" / "postgres16" / "pgserver" / "pginstall" / "bin"))
# RDS for MariaDB's master user ("Master user account privileges"), granted WITH GRANT OPTION.
MARIADB_MASTER_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, SHOW DATABASES, "
    "CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, "
    "ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, REPLICATION SLAVE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as(user: str, *command: str, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


def _own(user: str, *paths: Path) -> None:
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, user)


def fake_aws(bin_dir: Path, passwords: dict[str, str]) -> None:
    """An `aws` for create-db-users.sh: each secret is found by its logical id (the key of
    ``passwords``) and answers that password; any other call fails."""
    script = bin_dir / "aws"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys
        args = sys.argv[1:]
        passwords = {passwords!r}
        if args[:2] == ["cloudformation", "describe-stack-resource"]:
            print("arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + args[args.index("--logical-resource-id") + 1])
        elif args[:2] == ["secretsmanager", "get-secret-value"]:
            print(json.dumps({{"password": passwords[args[args.index("--secret-id") + 1].rsplit(":", 1)[1]]}}))
        else:
            sys.exit("unexpected aws call: " + " ".join(args))
        """))
    script.chmod(0o755)


def _need_openssl() -> None:
    require_tool(shutil.which("openssl"), "openssl", "apt-get install openssl; .ci/run does")


def certificate(folder: Path, name: str = "server") -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (as a SAN, so verify-full accepts it)."""
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    _need_openssl()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    key.chmod(0o600)
    return key, cert


@dataclass(frozen=True)
class CertificateAuthority:
    """A throwaway CA (its certificate is the bundle clients trust) that issues server certificates
    for DNS:localhost and IP:127.0.0.1, with what strict verification (RFC 5280, Python 3.13's
    default) asks of them: key identifiers, key usage, serverAuth."""

    cert: Path
    key: Path

    @classmethod
    def create(cls, folder: Path, name: str = "ca") -> "CertificateAuthority":
        folder.mkdir(parents=True, exist_ok=True)
        key, cert = folder / f"{name}.key", folder / f"{name}.pem"
        _need_openssl()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        f"/CN=rds-proxy-cfn test {name}", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        return cls(cert, key)

    def issue(self, folder: Path, name: str = "server") -> tuple[Path, Path]:
        """A server key and certificate signed by this CA, in folder."""
        key, request, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.crt"
        extensions = folder / f"{name}.ext"
        extensions.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                              "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-keyout", str(key), "-out", str(request)], check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", str(request), "-CA", str(self.cert), "-CAkey", str(self.key),
                        "-CAcreateserial", "-CAserial", str(folder / f"{name}.srl"), "-days", "1", "-sha256",
                        "-extfile", str(extensions), "-out", str(cert)], check=True, capture_output=True)
        key.chmod(0o600)
        return key, cert


def _server_certificate(root: Path, ca: CertificateAuthority | None) -> tuple[Path, Path, Path]:
    """key, certificate and the bundle a client verifies it with: ca's, or a self-signed one."""
    if ca is None:
        key, cert = certificate(root)
        return key, cert, cert
    key, cert = ca.issue(root)
    return key, cert, ca.cert


@dataclass(frozen=True)
class Postgres:
    port: int
    version: int
    socket_dir: Path
    log: Path
    ca_bundle: Path | None  # its certificate when it serves TLS

    def _connect(self, database: str, user: str) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={database} user={user}"

    def psql(self, database: str, user: str, password: str, sql: str) -> subprocess.CompletedProcess:
        """psql over TCP as a login user (the way create-db-users.sh and clients connect)."""
        return subprocess.run(["psql", self._connect(database, user), "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql],
                              capture_output=True, text=True, env={**os.environ, "PGPASSWORD": password}, timeout=60)

    def admin(self, database: str, sql: str) -> str:
        done = self.psql(database, ADMIN, ADMIN_PASSWORD, sql)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def run_file_as_admin(self, database: str, sql: str) -> subprocess.CompletedProcess:
        """A whole SQL file, as psql -f would run it, as the admin."""
        return subprocess.run(["psql", self._connect(database, ADMIN), "-q", "-f", "-"], input=sql,
                              capture_output=True, text=True, env={**os.environ, "PGPASSWORD": ADMIN_PASSWORD},
                              timeout=60)

    def superuser(self, database: str, sql: str) -> str:
        """Only to set the stage or to act as a role with no password (an IAM user): SET ROLE."""
        done = subprocess.run(["psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", "rdsadmin", "-d",
                               database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def database(self, name: str) -> None:
        """A database the admin owns (RDS: the DBName the master creates), with one table of its own."""
        self.admin("postgres", f'CREATE DATABASE "{name}"')
        self.admin(name, "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1);")


POSTGRES_SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"  # Int32(8), Int32(80877103)


@contextmanager
def postgres_tls_front(upstream_port: int, ca: CertificateAuthority) -> Iterator[int]:
    """A port that speaks PostgreSQL's TLS (SSLRequest, then a handshake with a certificate ca issues
    for localhost) and relays the plain protocol to upstream_port on 127.0.0.1. For a server built
    without OpenSSL (the pgserver wheel's PostgreSQL 16), so a client that always verifies TLS can
    still reach it; the server sees an ordinary TCP client."""
    folder = Path(tempfile.mkdtemp(prefix="rds-proxy-cfn-tls-front-"))
    key, cert = ca.issue(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def relay(client: socket.socket) -> None:
        with client:
            if client.recv(8, socket.MSG_WAITALL) != POSTGRES_SSL_REQUEST:
                return
            client.sendall(b"S")
            try:
                tls = context.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused the certificate: what the tests look for
            with tls, socket.create_connection(("127.0.0.1", upstream_port)) as upstream:
                while not stop.is_set():
                    ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 0.2)[0]
                    for source in ready:
                        try:
                            data = source.recv(65536)
                        except (ssl.SSLError, OSError):
                            return
                        if not data:
                            return
                        (upstream if source is tls else tls).sendall(data)

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            threading.Thread(target=relay, args=(client,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def debian_postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    require_tool(found and shutil.which("psql"), "PostgreSQL's server and psql",
                 "apt-get install postgresql; .ci/run does")
    return Path(found[-1]).parent


def postgres16_bin() -> Path:
    require_tool((PG16_BIN / "postgres").exists(), f"PostgreSQL 16's server in {PG16_BIN}",
                 "bash scripts/postgres16.sh, which scripts/test runs, or RDS_PROXY_CFN_POSTGRES16 naming such a bin folder")
    return PG16_BIN


@contextmanager
def rds_like_postgres(bin_dir: Path, tls: bool, ca: CertificateAuthority | None = None) -> Iterator[Postgres]:
    """tls: serve TLS with a self-signed certificate for 127.0.0.1, or one ca issues for localhost
    and 127.0.0.1 (the server's ca_bundle is then ca's certificate)."""
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="rds-proxy-cfn-pg-"))
    if not str(bin_dir).startswith("/usr/"):
        # The binaries must be readable by the postgres user, wherever the checkout lives; their
        # bundled libraries are at $ORIGIN/../../../pgserver.libs (scripts/postgres16.sh).
        wheel_root = bin_dir.parents[2]
        shutil.copytree(wheel_root, root / "pg", symlinks=True)
        subprocess.run(["chmod", "-R", "a+rX", str(root / "pg")], check=True)
        bin_dir = root / "pg" / bin_dir.relative_to(wheel_root)
    data, socket_dir = root / "data", root / "sock"
    data.mkdir()
    socket_dir.mkdir()
    (root / "boot-pw").write_text("bootstrap\n")
    options = [f"-p {(port := free_port())} -k {socket_dir} -c listen_addresses=127.0.0.1 -c log_statement=all"]
    bundle = None
    if tls:
        key, cert, bundle = _server_certificate(root, ca)
        options.append(f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}")
        _own("postgres", key, cert)
    _own("postgres", root, data, socket_dir, root / "boot-pw")
    _run_as("postgres", str(bin_dir / "initdb"), "-D", str(data), "-U", "rdsadmin", f"--pwfile={root / 'boot-pw'}",
            "--auth-local=trust", "--auth-host=scram-sha-256")
    _run_as("postgres", str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
            " ".join(options), "start")
    version = int(subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[-1].split(".")[0])
    server = Postgres(port, version, socket_dir, root / "log", bundle)
    try:
        server.superuser("postgres", f"""
            CREATE ROLE rds_superuser NOLOGIN;
            CREATE ROLE rds_iam NOLOGIN;
            GRANT rds_iam TO rds_superuser WITH ADMIN OPTION;
            CREATE ROLE {ADMIN} LOGIN CREATEROLE CREATEDB PASSWORD '{ADMIN_PASSWORD}';
            GRANT rds_superuser TO {ADMIN};""")
        assert server.admin("postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "f"
        yield server
    finally:
        _run_as("postgres", str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class MariaDB:
    port: int
    ca_bundle: Path
    socket_path: Path

    def client(self, user: str, password: str, sql: str, database: str = "") -> subprocess.CompletedProcess:
        """Debian's MariaDB client over TCP with verified TLS, as a user (never as root)."""
        return subprocess.run(
            ["mysql", "--no-defaults", "--host=127.0.0.1", f"--port={self.port}", f"--user={user}", "--ssl",
             "--ssl-verify-server-cert", f"--ssl-ca={self.ca_bundle}", "--batch", "--skip-column-names",
             *([database] if database else []), "-e", sql],
            capture_output=True, text=True, env={**os.environ, "MYSQL_PWD": password}, timeout=60)

    def admin(self, sql: str, database: str = "") -> str:
        done = self.client(ADMIN, ADMIN_PASSWORD, sql, database)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def root(self, sql: str) -> str:
        """Only to set the stage: the server's root over its socket."""
        done = subprocess.run(["mysql", "--no-defaults", f"--socket={self.socket_path}", "--user=root", "--batch",
                               "--skip-column-names", "-e", sql], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@contextmanager
def rds_like_mariadb(ca: CertificateAuthority | None = None) -> Iterator[MariaDB]:
    """Its certificate is self-signed for 127.0.0.1, or ca's for localhost and 127.0.0.1."""
    require_tool(os.path.exists("/usr/sbin/mariadbd") and shutil.which("mysql") and shutil.which("mysqladmin"),
                 "MariaDB's server and client", "apt-get install mariadb-server mariadb-client; .ci/run does")
    root = Path(tempfile.mkdtemp(prefix="rds-proxy-cfn-mariadb-"))
    data = root / "data"
    data.mkdir()
    key, cert, bundle = _server_certificate(root, ca)
    _own("mysql", root, data, key, cert)
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=mysql",
                    "--auth-root-authentication-method=socket", "--skip-test-db"],
                   check=True, capture_output=True, text=True)
    port, sock = free_port(), root / "mysqld.sock"
    server = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={data}", f"--socket={sock}",
         f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={root / 'mysqld.pid'}",
         f"--log-error={root / 'error.log'}", f"--ssl-cert={cert}", f"--ssl-key={key}", "--skip-name-resolve"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["mysqladmin", "--no-defaults", f"--socket={sock}", "--user=root", "ping"],
                             capture_output=True).returncode != 0:
            assert server.poll() is None and time.monotonic() < deadline, (root / "error.log").read_text()
            time.sleep(0.2)
        db = MariaDB(port, bundle, sock)
        db.root(f"CREATE USER '{ADMIN}'@'%' IDENTIFIED BY '{ADMIN_PASSWORD}';"
                f"GRANT {MARIADB_MASTER_PRIVILEGES} ON *.* TO '{ADMIN}'@'%' WITH GRANT OPTION;")
        grants = db.admin("SHOW GRANTS")
        assert "SUPER" not in grants and "ALL PRIVILEGES" not in grants, grants
        yield db
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
