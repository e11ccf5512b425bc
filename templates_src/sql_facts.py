"""Database-side facts: the user roles params may name and what each grants, per engine.

Read by validation (which roles and privileges exist) and by the SQL renderer (what to grant).
"""

from __future__ import annotations

import enum

from .aws_facts import EngineFamily


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
    EngineFamily.POSTGRESQL: frozenset(_DML + ("TRUNCATE", "REFERENCES", "TRIGGER", "CREATE", "USAGE", "EXECUTE",
                                               "TEMPORARY", "CONNECT")),
    EngineFamily.SQLSERVER: frozenset(_DML + ("ALTER", "REFERENCES", "EXECUTE", "CREATE TABLE", "CREATE VIEW",
                                              "CREATE PROCEDURE", "CREATE FUNCTION", "VIEW DEFINITION")),
}
