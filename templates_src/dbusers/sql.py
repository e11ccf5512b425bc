"""db-users.sql, rendered once: the file reviewers read, and the text the provisioner runs.

One renderer for both: the provisioner's custom resource carries the same SQL as
``generated/<env>/db-users.sql`` (without its header comments), so a diff of the file is a diff
of what the stack will run.
"""

from __future__ import annotations

from typing import Any

from ..render import jinja_env
from ..facts.aws import DatabaseEngine, EngineFamily
from ..config.schema.model import EnvConfig
from .grants import PASSWORD_FILTERS, REDACT, SUBSTITUTE, migration_users, user_grants
from .deploy_order import deploy_plan
from ..facts.sql import MYSQL_IAM_PLUGIN, MYSQL_PASSWORD_PLUGINS, POSTGRES_IAM_ROLE

# The command-line client each engine's SQL is fed to by create-db-users.sh (admin password from
# the client's own environment variable, never an argument), TLS required.
DB_CLIENTS: dict[EngineFamily, dict[str, str]] = {
    EngineFamily.MYSQL: {
        "name": "the mysql client", "password_env": "MYSQL_PWD", "template": "db-users.mysql.sql.j2",
        "parts": "db-users.mysql.parts.j2",
        "tools": "the mysql client (MySQL 8's, or MariaDB's as Debian and Amazon Linux ship it)",
        "command": 'mysql --host "$DB_HOST" --port {port} --user "$DB_ADMIN_USER" "${{options[@]}}"',
    },
    EngineFamily.POSTGRESQL: {
        "name": "psql", "password_env": "PGPASSWORD", "template": "db-users.postgresql.sql.j2",
        "parts": "db-users.postgresql.parts.j2",
        "tools": "psql",
        "command": 'psql "host=$DB_HOST port={port} dbname={database} user=$DB_ADMIN_USER sslmode=verify-full '
                   'sslrootcert=\'$RDS_CA_BUNDLE\'" --quiet',
    },
    EngineFamily.SQLSERVER: {
        "name": "sqlcmd", "password_env": "SQLCMDPASSWORD", "template": "db-users.sqlserver.sql.j2",
        "tools": "sqlcmd (with the RDS CA bundle in the system trust store)",
        # -N: encrypted, the certificate verified against the system trust store (install the RDS
        # CA bundle there); -x: no $(...) scripting variables in the SQL.
        "command": 'sqlcmd -S "$DB_HOST,{port}" -U "$DB_ADMIN_USER" -N -x -b',
    },
}


def sql_context(cfg: EnvConfig) -> dict[str, Any]:
    """What db-users.sql and create-db-users.sh are rendered with."""
    client = DB_CLIENTS[cfg.engine_family]
    grants = user_grants(cfg)
    return {
        "cfg": cfg,
        "iam": cfg.end_to_end_iam,
        "provisioned": cfg.provisioner is not None,
        "plan": deploy_plan(cfg),
        "password_filter": PASSWORD_FILTERS[cfg.engine_family],
        "substitute": SUBSTITUTE,
        "redact": REDACT,
        "atomic": cfg.engine_family is EngineFamily.POSTGRESQL,
        "password_form": "a SCRAM-SHA-256 verifier of the password" if cfg.engine_family is EngineFamily.POSTGRESQL
                         else "the password",
        "password_plugin": MYSQL_PASSWORD_PLUGINS.get(cfg.target.engine) if cfg.target.engine else None,
        "mariadb": cfg.target.engine is DatabaseEngine.MARIADB,
        "iam_plugin": MYSQL_IAM_PLUGIN,
        "iam_role": POSTGRES_IAM_ROLE,
        "users": grants,
        # PostgreSQL: the master borrows table owners' privileges for grants on tables.
        "borrow": any(g.on_tables for g in grants),
        "migration_users": migration_users(cfg),
        "database": cfg.target.database_name,
        "schema": cfg.target.schema_name,
        "client": {**client, "command": client["command"].format(
            port=cfg.target.port, database=cfg.target.database_name or "postgres")},
    }


def db_users_sql(cfg: EnvConfig, context: dict[str, Any] | None = None) -> str:
    """db-users.sql, as written to the out folder."""
    template = DB_CLIENTS[cfg.engine_family]["template"]
    return jinja_env.environment().get_template(template).render(context or sql_context(cfg)).rstrip("\n") + "\n"


def provisioner_sql(cfg: EnvConfig) -> str:
    """db-users.sql without its header (the comment lines before the first blank line, which name
    the params file and the build command): what the provisioner runs, so a change that leaves
    the SQL as it is never re-runs it."""
    text = db_users_sql(cfg)
    header, _, body = text.partition("\n\n")
    assert all(line.startswith("--") for line in header.splitlines()), "db-users.sql starts with its header"
    return body
