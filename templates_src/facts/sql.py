"""Database-side facts: the user roles params may name and what each grants, per engine.

Read by validation (which roles and privileges exist) and by the SQL renderer (what to grant).
"""

from __future__ import annotations

import enum

from .aws import DatabaseEngine, EngineFamily


class UserRole(str, enum.Enum):
    APP = "app"  # read and write rows
    MIGRATION = "migration"  # change the schema (DDL) as well
    READONLY = "readonly"  # read rows


SQL_IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
DEFAULT_SCHEMA: dict[EngineFamily, str | None] = {
    EngineFamily.MYSQL: None,  # in MySQL a schema is the database
    EngineFamily.POSTGRESQL: "public",
    EngineFamily.SQLSERVER: "dbo",
}

_DML = ("SELECT", "INSERT", "UPDATE", "DELETE")

ROLE_PRIVILEGES: dict[EngineFamily, dict[UserRole, tuple[str, ...]]] = {
    EngineFamily.MYSQL: {
        UserRole.APP: _DML,
        UserRole.MIGRATION: _DML + ("CREATE", "ALTER", "DROP", "INDEX", "REFERENCES", "CREATE VIEW", "TRIGGER"),
        UserRole.READONLY: ("SELECT",),
    },
    EngineFamily.POSTGRESQL: {
        UserRole.APP: _DML,
        UserRole.MIGRATION: _DML + ("TRUNCATE", "REFERENCES", "TRIGGER", "CREATE"),
        UserRole.READONLY: ("SELECT",),
    },
    EngineFamily.SQLSERVER: {
        UserRole.APP: _DML,
        UserRole.MIGRATION: _DML + ("ALTER", "REFERENCES", "CREATE TABLE", "CREATE VIEW", "CREATE PROCEDURE"),
        UserRole.READONLY: ("SELECT",),
    },
}

# Every privilege an explicit list may name, per engine (also keeps SQL text out of params).
KNOWN_PRIVILEGES: dict[EngineFamily, frozenset[str]] = {
    EngineFamily.MYSQL: frozenset(_DML + (
        "CREATE", "ALTER", "DROP", "INDEX", "REFERENCES", "CREATE VIEW", "SHOW VIEW", "TRIGGER", "EXECUTE",
        "CREATE TEMPORARY TABLES", "LOCK TABLES", "EVENT", "CREATE ROUTINE", "ALTER ROUTINE")),
    EngineFamily.POSTGRESQL: frozenset(_DML + ("TRUNCATE", "REFERENCES", "TRIGGER", "CREATE", "USAGE",
                                               "TEMPORARY", "CONNECT")),
    EngineFamily.SQLSERVER: frozenset(_DML + ("ALTER", "REFERENCES", "EXECUTE", "CREATE TABLE", "CREATE VIEW",
                                              "CREATE PROCEDURE", "CREATE FUNCTION", "VIEW DEFINITION")),
}


class GrantScope(str, enum.Enum):
    """Where a privilege is granted: on the tables of the schema, on the schema, on the database."""

    TABLES = "tables"
    SCHEMA = "schema"
    DATABASE = "database"


# Privileges that are not granted on tables; everything else is (MySQL grants all on db.*).
NON_TABLE_PRIVILEGES: dict[EngineFamily, dict[str, GrantScope]] = {
    EngineFamily.MYSQL: {},
    EngineFamily.POSTGRESQL: {"CREATE": GrantScope.SCHEMA, "USAGE": GrantScope.SCHEMA,
                              "CONNECT": GrantScope.DATABASE, "TEMPORARY": GrantScope.DATABASE},
    EngineFamily.SQLSERVER: {"CREATE TABLE": GrantScope.DATABASE, "CREATE VIEW": GrantScope.DATABASE,
                             "CREATE PROCEDURE": GrantScope.DATABASE, "CREATE FUNCTION": GrantScope.DATABASE},
}

# How the database checks a password user's password, per MySQL-family server. MySQL:
# caching_sha2_password, whatever the client-to-proxy auth type (mysql_native_password is
# deprecated in MySQL 8.0, off by default in 8.4 and removed in 9.0; MySQL 8.0 Reference Manual,
# "Native Pluggable Authentication"). MariaDB has no caching_sha2_password (MariaDB Knowledge
# Base, "Authentication Plugin - SHA-256"); mysql_native_password is its default and the one
# plugin of its own a MySQL-protocol proxy can speak (ed25519 and gssapi are MariaDB's alone).
MYSQL_PASSWORD_PLUGINS: dict[DatabaseEngine, str] = {
    DatabaseEngine.MYSQL: "caching_sha2_password",
    DatabaseEngine.MARIADB: "mysql_native_password",
}
# IAM database users (end-to-end IAM): RDS User Guide, "Creating a database account using IAM
# authentication": MySQL's AWSAuthenticationPlugin, PostgreSQL's rds_iam role.
MYSQL_IAM_PLUGIN = "AWSAuthenticationPlugin"
POSTGRES_IAM_ROLE = "rds_iam"
# Where db-users.sql holds a user's password until create-db-users.sh replaces it. Its < and >
# can be in no identifier (SQL_IDENTIFIER_PATTERN, USERNAME_PATTERN) and are escaped in every
# header (templates_src/render/escaping.py), so the one place the text occurs is the password's own
# literal; the closing > keeps the placeholder of user a from being a prefix of that of a__b.
PASSWORD_PLACEHOLDER = "<password of {username}>"
# What the provisioner runs for a user removed from params, and for every user when the stack is
# deleted: the login is disabled, the user and what it owns stay (dropping a user that owns
# tables fails on PostgreSQL, and would take its objects on MySQL). db-users.sql enables the
# login again (PostgreSQL: ALTER ROLE ... LOGIN; MySQL and MariaDB: ACCOUNT UNLOCK) if the user
# comes back. A no-op when the user does not exist.
DISABLE_LOGIN: dict[EngineFamily, str] = {
    EngineFamily.POSTGRESQL: ("DO $$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{username}') "
                              'THEN ALTER ROLE "{username}" NOLOGIN; END IF; END$$;'),
    # ALTER USER IF EXISTS ... ACCOUNT LOCK: MySQL 8.0 Reference Manual and MariaDB (10.4.2 and later).
    EngineFamily.MYSQL: "ALTER USER IF EXISTS '{username}'@'%' ACCOUNT LOCK;",
}

# Database users params may not name, per engine, compared case-insensitively: the master user
# (RDS's defaults: admin for MySQL, MariaDB and SQL Server, postgres for PostgreSQL), the users
# RDS makes and manages itself and the engines' built-in accounts and roles. db-users.sql resets
# the password of each user it names and grants to it, so naming one of these would reset the
# master's (or RDS's own) password to a secret a client can read, and hand IAM callers the
# account. Sources: RDS User Guide, "Master user account privileges" and "Understanding
# predefined users" (MySQL: rdsadmin, rdsrepladmin; PostgreSQL: rdsadmin, rds_superuser,
# rds_replication, rds_iam, rds_password, rdstopmgr...); MySQL Reference Manual, "Reserved
# Accounts" (root, mysql.sys, mysql.session, mysql.infoschema); PostgreSQL, CREATE ROLE ("pg_"
# names are reserved; PUBLIC is no role); SQL Server, "Server-level roles" and "Principals" (sa,
# public, guest, dbo, sys, INFORMATION_SCHEMA) and RDS for SQL Server's rdsa.
_COMMON_RESERVED = ("admin", "rdsadmin", "rdsrepladmin", "root")
RESERVED_USERNAMES: dict[EngineFamily, frozenset[str]] = {
    EngineFamily.MYSQL: frozenset(_COMMON_RESERVED + (
        "mysql.sys", "mysql.session", "mysql.infoschema", "rds_superuser_role", "rdsproxyadmin")),
    EngineFamily.POSTGRESQL: frozenset(_COMMON_RESERVED + (
        "postgres", "rds_superuser", "rds_replication", "rds_iam", "rds_password", "rds_ad", "rdstopmgr",
        "rds_extension", "public", "none", "current_user", "session_user", "current_role")),
    EngineFamily.SQLSERVER: frozenset(_COMMON_RESERVED + (
        "sa", "rdsa", "public", "guest", "dbo", "sys", "information_schema")),
}
# The reserved names a master user usually has: RDS's defaults ("admin" for MySQL, MariaDB and SQL
# Server, "postgres" for PostgreSQL; RDS User Guide, "Master user account privileges") and "admin"
# on PostgreSQL too. Allowed for a user marked master (users[].master), whom db-users.sql leaves
# alone; RDS's own accounts and the engines' built-in ones stay refused.
DEFAULT_MASTER_USERNAME: dict[EngineFamily, str] = {
    EngineFamily.MYSQL: "admin", EngineFamily.POSTGRESQL: "postgres", EngineFamily.SQLSERVER: "admin",
}
MASTER_USERNAMES: dict[EngineFamily, frozenset[str]] = {
    family: frozenset({name, "admin"}) for family, name in DEFAULT_MASTER_USERNAME.items()
}
# The name RDS gives the secret it manages for a master user (ManageMasterUserPassword): rds!db-<uuid>
# for an instance, rds!cluster-<uuid> for a cluster (RDS User Guide, "Password management with
# Amazon RDS and AWS Secrets Manager").
MANAGED_MASTER_SECRET_PATTERN = r":secret:rds!(?:db|cluster)-"
RESERVED_USERNAME_PREFIXES: dict[EngineFamily, tuple[str, ...]] = {
    EngineFamily.MYSQL: ("mysql.",),
    EngineFamily.POSTGRESQL: ("pg_",),
    EngineFamily.SQLSERVER: ("##",),
}
