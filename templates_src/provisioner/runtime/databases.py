"""One admin session per engine, over verified TLS, that runs a block of SQL as written.

PostgreSQL: pg8000's native run() with no parameters uses the simple query protocol, which takes
several statements at once (DO blocks included) and leaves the file's own BEGIN ... COMMIT in
charge. MySQL and MariaDB: PyMySQL with CLIENT.MULTI_STATEMENTS; the server parses each
statement, so a ; inside a password literal is just data. Every result set is drained, as the
protocol requires before the next command, and an error in a later statement surfaces there.
"""

from __future__ import annotations

import ssl
from typing import Protocol

from failures import QUOTES_STATEMENT, ProvisionError, connection_problem, with_hint

APPLICATION_NAME = "rds-proxy-cfn-provisioner"
ENGINES = ("postgres", "mysql", "mariadb")


class Session(Protocol):
    def run(self, sql: str) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


def tls_context(ca_file: str | None = None, ca_pem: str | None = None) -> ssl.SSLContext:
    """Verifies the server's chain against the bundle and its name against the endpoint; there is
    no way to turn either off."""
    context = ssl.create_default_context(cafile=ca_file, cadata=ca_pem)
    assert context.check_hostname and context.verify_mode is ssl.CERT_REQUIRED
    # Python 3.13 (Lambda's runtime) verifies strictly (RFC 5280) by default; so do older Pythons
    # here, so the tests on 3.11 see what the function sees.
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def error_code(exc: BaseException) -> str | None:
    """A PostgreSQL SQLSTATE or a MySQL error number, from a driver's error."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict):  # pg8000: the server's ErrorResponse fields
        return args[0].get("C")
    if args and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return str(args[0])
    return None


def server_message(exc: BaseException) -> str | None:
    """The server's own words, for the log only (after redaction), unless they quote a statement."""
    args = getattr(exc, "args", ())
    code = error_code(exc)
    if code is None or code in QUOTES_STATEMENT:
        return None
    if isinstance(args[0], dict):
        return args[0].get("M")  # not W (where) nor D (detail): they can quote SQL and values
    return str(args[1]) if len(args) > 1 else None


def describe(exc: BaseException, engine: str) -> str:
    """A safe one-line description of a driver's failure: what the network said, or the code."""
    problem = connection_problem(exc)  # first: PyMySQL wraps a refused connection as error 2003
    if problem:
        return problem
    code = error_code(exc)
    if code is not None:
        return f"SQLSTATE {code}" if engine == "postgres" else f"MySQL error {code}"
    return type(exc).__name__


class _Session:
    """A driver connection; closing it never fails (it is the last thing done with it)."""

    def __init__(self, connection) -> None:
        self._connection = connection

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception:  # noqa: BLE001
            pass


class _Postgres(_Session):
    def run(self, sql: str) -> None:
        self._connection.run(sql)

    def rollback(self) -> None:
        try:
            self._connection.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the session is closed next anyway
            pass


class _MySQL(_Session):
    def run(self, sql: str) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)  # no args: PyMySQL does no %-formatting of the text
            while cursor.nextset():
                pass

    def rollback(self) -> None:  # autocommit: every statement stands (MySQL's DDL commits anyway)
        pass


def connect(engine: str, host: str, port: int, database: str | None, user: str, password: str,
            context: ssl.SSLContext, connect_timeout: float, timeout: float) -> Session:
    """The admin's session; a failure raises ProvisionError saying why (never the password).
    ``connect_timeout`` bounds the connection, ``timeout`` every later read and write."""
    try:
        if engine == "postgres":
            import pg8000.native

            connection = pg8000.native.Connection(
                user, host=host, port=port, database=database, password=password, ssl_context=context,
                timeout=connect_timeout, application_name=APPLICATION_NAME)
            # pg8000 has one socket timeout for everything: the statements get the time left.
            if getattr(connection, "_usock", None) is not None:
                connection._usock.settimeout(timeout)
            return _Postgres(connection)
        import pymysql
        from pymysql.constants import CLIENT

        return _MySQL(pymysql.connect(
            host=host, port=port, user=user, password=password, database=database or None, ssl=context,
            connect_timeout=connect_timeout, read_timeout=timeout, write_timeout=timeout, autocommit=True,
            charset="utf8mb4", client_flag=CLIENT.MULTI_STATEMENTS | CLIENT.MULTI_RESULTS))
    except ProvisionError:
        raise
    except Exception as exc:  # noqa: BLE001 - every driver failure becomes one safe line
        code = error_code(exc)
        problem = describe(exc, engine)
        raise ProvisionError(with_hint(f"connecting to {host}:{port} as the admin failed: {problem}", code)) from None
