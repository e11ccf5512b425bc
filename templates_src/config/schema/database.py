"""The ``target`` and ``pool`` sections: the database behind the proxy and the connections the proxy
may open to it (part of the params schema, ``model``)."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts import connections as connection_facts
from ...facts.aws import DatabaseEngine, SessionPinningFilter
from ...facts.sql import SQL_IDENTIFIER_PATTERN
from .keys import INSTANCE_CLASS_PATTERN, key


@dataclass(frozen=True)
class TargetParams:
    db_instance_identifier: str | None = key(
        "The RDS DB instance behind the proxy (or db_cluster_identifier).", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    db_cluster_identifier: str | None = key(
        "The Aurora DB cluster behind the proxy (or db_instance_identifier).", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    engine: DatabaseEngine | None = key(
        "The server behind the proxy: mysql (RDS for MySQL 8.0/8.4, Aurora MySQL 3) or mariadb (RDS for "
        "MariaDB) on MYSQL; postgres on POSTGRESQL; sqlserver on SQLSERVER. The users' SQL, their password "
        "plugin and the client password auth types follow it.", default=None,
        derived="mysql, postgres or sqlserver, by engine_family",
    )
    port: int | None = key(
        "The database's port.", default=None, minimum=facts.PORT_RANGE[0], maximum=facts.PORT_RANGE[1],
        derived="the engine's default port",
    )
    read_only_endpoint: bool = key(
        "Add a READ_ONLY proxy endpoint (cluster targets only).", default=False,
    )
    database_resource_id: str | None = key(
        "The database's resource id (db-... of an instance, cluster-... of a cluster): what the proxy "
        "role's rds-db:connect ARNs name with default_auth_scheme IAM_AUTH.", default=None,
        pattern=facts.DB_RESOURCE_ID_PATTERN,
    )
    database_name: str | None = key(
        "The database the users' grants apply to (db-users.sql); required when a user has a role or privileges.",
        default=None, pattern=SQL_IDENTIFIER_PATTERN,
    )
    schema_name: str | None = key(
        "The schema the grants apply to (PostgreSQL and SQL Server).", default=None,
        pattern=SQL_IDENTIFIER_PATTERN, derived="public on POSTGRESQL, dbo on SQLSERVER",
    )
    instance_class: str | None = key(
        "The database's DB instance class (for a cluster: of each instance), e.g. db.r6g.large: with the "
        "engine's default max_connections it sizes the connection budget.", default=None,
        pattern=INSTANCE_CLASS_PATTERN,
    )
    serverless_max_acu: float | None = key(
        "The cluster's maximum capacity in ACUs with instance_class db.serverless (Aurora Serverless v2): "
        "Aurora sets max_connections from it, not from the current capacity. Required then, unless "
        "max_connections is given (as it must be when a PostgreSQL cluster's minimum capacity is 0 or "
        "0.5 ACU: AWS caps max_connections at 2000 there).", default=None,
        minimum=connection_facts.SERVERLESS_MAX_ACU_RANGE[0], maximum=connection_facts.SERVERLESS_MAX_ACU_RANGE[1],
        multiple_of=connection_facts.SERVERLESS_ACU_STEP,
    )
    max_connections: int | None = key(
        "The database's max_connections when its parameter group sets it (wins over instance_class).",
        default=None, minimum=connection_facts.MAX_CONNECTIONS_OVERRIDE_RANGE[0],
        maximum=connection_facts.MAX_CONNECTIONS_OVERRIDE_RANGE[1],
    )


@dataclass(frozen=True)
class PoolParams:
    max_connections_percent: int = key(
        "Share of the database's max_connections the proxy may open.", default=100,
        minimum=facts.MAX_CONNECTIONS_PERCENT_RANGE[0], maximum=facts.MAX_CONNECTIONS_PERCENT_RANGE[1],
    )
    max_idle_connections_percent: int | None = key(
        "Share of max_connections the proxy keeps open while idle.", default=None, minimum=0,
        maximum=facts.MAX_CONNECTIONS_PERCENT_RANGE[1], derived="half of max_connections_percent",
    )
    connection_borrow_timeout: int = key(
        "Seconds a request waits for a free connection (also bounds the wait during failover).",
        default=120, minimum=facts.CONNECTION_BORROW_TIMEOUT_RANGE[0],
        maximum=facts.CONNECTION_BORROW_TIMEOUT_RANGE[1],
    )
    init_query: str | None = key("SQL run on each new database connection.", default=None,
                                 max_length=facts.INIT_QUERY_MAX)
    session_pinning_filters: tuple[SessionPinningFilter, ...] = key(
        "Session state that does not pin a client to a connection (EXCLUDE_VARIABLE_SETS, MYSQL only).",
        default=(), unique=True,
    )
