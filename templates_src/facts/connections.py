"""AWS facts for the connection budget: each engine's default ``max_connections`` and the
memory of DB instance classes, as data.

Sources (RDS User Guide and Aurora User Guide):
- "Maximum number of database connections",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections :
  MySQL and MariaDB ``{DBInstanceClassMemory/12582880}``, PostgreSQL
  ``LEAST({DBInstanceClassMemory/9531392},5000)``, SQL Server 0 (unlimited; the engine's own
  ceiling is 32,767 user connections).
- "Maximum connections to an Aurora MySQL DB instance",
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html :
  a table per instance class (below, the classes it lists that we know).
- "Maximum connections to an Aurora PostgreSQL DB instance",
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Managing.html :
  ``LEAST({DBInstanceClassMemory/9531392},5000)``, as RDS for PostgreSQL.
- Memory per class: "DB instance classes" hardware specifications,
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html .

``DBInstanceClassMemory`` is the memory left to the database after what RDS reserves for the
operating system and its own processes, a little less than the class's memory: a formula fed the
class memory gives an upper estimate (a few per cent high). Where the exact figure matters, give
``target.max_connections`` (the parameter group's value, or ``SHOW max_connections``).
"""

from __future__ import annotations

from .aws import EngineFamily

GIB = 1024 ** 3
MYSQL_BYTES_PER_CONNECTION = 12_582_880
POSTGRESQL_BYTES_PER_CONNECTION = 9_531_392
POSTGRESQL_MAX_CONNECTIONS_CAP = 5_000
SQLSERVER_MAX_USER_CONNECTIONS = 32_767
MAX_CONNECTIONS_OVERRIDE_RANGE = (1, 262_142)  # RDS for MySQL's parameter range is 1-100000; PostgreSQL's 6-262143

# Memory in GiB of the DB instance classes (hardware specifications table).
_SIZES_GIB = {"large": 16, "xlarge": 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384,
              "16xlarge": 512, "24xlarge": 768}
INSTANCE_CLASS_MEMORY_GIB: dict[str, float] = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16,
    "db.t3.2xlarge": 32, "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.t4g.xlarge": 16, "db.t4g.2xlarge": 32,
    **{f"db.{family}.{size}": gib for family in ("r5", "r6g", "r6i", "r7g") for size, gib in _SIZES_GIB.items()},
    **{f"db.{family}.{size}": gib / 2 for family in ("m5", "m6g", "m6i", "m7g") for size, gib in _SIZES_GIB.items()},
}

# Aurora MySQL's documented defaults per class (the table, not a formula).
_AURORA_MYSQL_R = {"large": 1000, "xlarge": 2000, "2xlarge": 3000, "4xlarge": 4000, "8xlarge": 5000,
                   "12xlarge": 6000, "16xlarge": 6000, "24xlarge": 7000}
AURORA_MYSQL_MAX_CONNECTIONS: dict[str, int] = {
    "db.t3.small": 45, "db.t3.medium": 90, "db.t4g.medium": 90, "db.t3.large": 135, "db.t4g.large": 135,
    **{f"db.{family}.{size}": n for family in ("r5", "r6g", "r6i", "r7g") for size, n in _AURORA_MYSQL_R.items()},
}


def known_instance_classes(engine: EngineFamily, cluster: bool) -> tuple[str, ...]:
    """The classes whose default max_connections this module knows for an engine and target kind."""
    if engine is EngineFamily.MYSQL and cluster:
        return tuple(sorted(AURORA_MYSQL_MAX_CONNECTIONS))
    return tuple(sorted(INSTANCE_CLASS_MEMORY_GIB))


def default_max_connections(engine: EngineFamily, cluster: bool, instance_class: str) -> int:
    """The engine's default max_connections on one DB instance of this class (KeyError if unknown)."""
    if engine is EngineFamily.SQLSERVER:
        INSTANCE_CLASS_MEMORY_GIB[instance_class]  # only known classes, as for the other engines
        return SQLSERVER_MAX_USER_CONNECTIONS
    if engine is EngineFamily.MYSQL and cluster:
        return AURORA_MYSQL_MAX_CONNECTIONS[instance_class]
    memory = int(INSTANCE_CLASS_MEMORY_GIB[instance_class] * GIB)
    if engine is EngineFamily.MYSQL:
        return memory // MYSQL_BYTES_PER_CONNECTION
    return min(memory // POSTGRESQL_BYTES_PER_CONNECTION, POSTGRESQL_MAX_CONNECTIONS_CAP)
