"""The connection snippets of each env's DEPLOY.md, as data: the usual driver per engine."""

from __future__ import annotations

from .aws import EngineFamily

# Connection snippets for the deploy guide: the usual driver per engine, TLS verified against the
# system trust store (RDS Proxy serves an ACM certificate, so the RDS CA bundle is not needed).
DRIVERS: dict[EngineFamily, dict[str, str]] = {
    EngineFamily.MYSQL: {
        "python": "PyMySQL",
        "python_stdlib": "import ssl",
        "python_import": "import pymysql",
        "python_connect": "conn = pymysql.connect(host=host, port=port, user=user, password=token, database=database,\n"
                          "                       ssl=ssl.create_default_context())",
        "node": "mysql2",
        "node_import": 'import mysql from "mysql2/promise";',
        "node_connect": "const conn = await mysql.createConnection({\n"
                        "  host: hostname, port, user: username, password: token, database, ssl: { rejectUnauthorized: true },\n"
                        "  authPlugins: { mysql_clear_password: () => () => token },\n});",
    },
    EngineFamily.POSTGRESQL: {
        "python": "psycopg 3",
        "python_stdlib": "",
        "python_import": "import psycopg",
        "python_connect": "conn = psycopg.connect(host=host, port=port, user=user, password=token, dbname=database,\n"
                          "                       sslmode=\"verify-full\", sslrootcert=\"system\")",
        "node": "pg",
        "node_import": 'import pg from "pg";',
        "node_connect": "const client = new pg.Client({\n"
                        "  host: hostname, port, user: username, password: token, database,\n"
                        "  ssl: { rejectUnauthorized: true },\n});\nawait client.connect();",
    },
    EngineFamily.SQLSERVER: {
        "python": "pyodbc",
        "python_stdlib": "",
        "python_import": "import pyodbc",
        "python_connect": "conn = pyodbc.connect(f\"DRIVER={{ODBC Driver 18 for SQL Server}};SERVER={host},{port};\"\n"
                          "                      f\"DATABASE={database};UID={user};PWD={token};Encrypt=yes\")",
        "node": "mssql",
        "node_import": 'import sql from "mssql";',
        "node_connect": "const pool = await sql.connect({\n"
                        "  server: hostname, port, user: username, password: token, database, options: { encrypt: true },\n});",
    },
}

# Where a snippet connects when params name no database (target.database_name).
DEFAULT_DATABASE = {EngineFamily.MYSQL: "mysql", EngineFamily.POSTGRESQL: "postgres", EngineFamily.SQLSERVER: "master"}

# What a client's pool must stay under. RDS Proxy ends a client connection after 24 hours, busy or
# not, and closes one idle for longer than the proxy's IdleClientTimeout ("RDS Proxy connection
# considerations" and "Quotas and limitations for RDS Proxy", Amazon RDS User Guide:
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html,
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html#rds-proxy.limitations). A pool
# that retires its connections first never hands the function one the proxy has already closed.
CLIENT_CONNECTION_MAX_SECONDS = 24 * 60 * 60
# How much earlier than each limit the pool retires a connection: an hour before the 24 hours, a
# tenth (at least a second) before the idle timeout, so a connection checked out just before
# the pool's limit still finishes its work under the proxy's.
LIFETIME_MARGIN_SECONDS = 60 * 60
IDLE_MARGIN_DIVISOR = 10

# Each runtime's pool, with the limits above: {lifetime} and {idle} in seconds, {idle_ms} in
# milliseconds, read from the function's environment (DB_POOL_MAX_LIFETIME_SECONDS,
# DB_POOL_IDLE_TIMEOUT_SECONDS). SQLAlchemy's pool_recycle counts a connection's age, so it takes
# the smaller of the two, and pool_pre_ping replaces one closed meanwhile; mysql2's and mssql's
# pools have no maximum lifetime: they retire idle connections only.
POOL_SETTINGS: dict[EngineFamily, dict[str, str]] = {
    family: {"python": "sqlalchemy.create_engine(url, pool_recycle={recycle}, pool_pre_ping=True)",
             "node": node}
    for family, node in (
        (EngineFamily.MYSQL, "mysql.createPool({{ ...options, idleTimeout: {idle_ms} }})"),
        (EngineFamily.POSTGRESQL, "new pg.Pool({{ ...options, maxLifetimeSeconds: {lifetime}, idleTimeoutMillis: {idle_ms} }})"),
        (EngineFamily.SQLSERVER, "sql.connect({{ ...options, pool: {{ idleTimeoutMillis: {idle_ms} }} }})"),
    )
}
