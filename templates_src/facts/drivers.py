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
