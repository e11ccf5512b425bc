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
- "Maximum connections for Aurora Serverless v2" (Aurora User Guide, "Performance and scaling for
  Aurora Serverless v2"),
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections :
  a db.serverless instance holds ``max_connections`` constant (so that connections are not dropped
  when it scales down): Aurora evaluates the engine's formula with the memory of the cluster's
  maximum ACU, not the current capacity; a new maximum takes effect after a reboot (a static
  parameter). Its table of defaults by maximum ACU is below. A PostgreSQL-compatible instance with
  a minimum capacity of 0 or 0.5 ACU caps max_connections at 2,000 (the page's note).
- The capacity range: "ServerlessV2ScalingConfiguration" (RDS API Reference),
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html :
  MaxCapacity in half-ACU steps, at most 256 ACU on recent Aurora versions (128 on older ones).
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

# Aurora Serverless v2: its instances have this class; the cluster's capacity range sizes them.
SERVERLESS_INSTANCE_CLASS = "db.serverless"
SERVERLESS_MAX_ACU_RANGE = (1, 256)  # the table's smallest maximum; the API's largest MaxCapacity
SERVERLESS_ACU_STEP = 0.5

# "Maximum connections for Aurora Serverless v2": the default max_connections by the cluster's
# maximum ACU, (Aurora MySQL, Aurora PostgreSQL), the rows of AWS's table as published. A maximum
# between two rows gets the lower row's value: the default grows with memory, so that row is a
# documented lower bound (the largest row, 128 ACU, also serves a maximum above it).
AURORA_SERVERLESS_V2_MAX_CONNECTIONS: dict[float, tuple[int, int]] = {
    1: (90, 189), 4: (135, 823), 8: (1_000, 1_669), 16: (2_000, 3_360), 32: (3_000, 5_000),
    64: (4_000, 5_000), 128: (5_000, 5_000),
}


def serverless_max_connections(engine: EngineFamily, max_acu: float) -> tuple[int, float]:
    """Aurora Serverless v2's default max_connections for a cluster's maximum ACU, and the table's
    row it comes from (KeyError: an engine Aurora does not run, or a maximum below the table)."""
    rows = [acu for acu in AURORA_SERVERLESS_V2_MAX_CONNECTIONS if acu <= max_acu]
    if not rows or engine is EngineFamily.SQLSERVER:
        raise KeyError(max_acu)
    row = max(rows)
    mysql, postgresql = AURORA_SERVERLESS_V2_MAX_CONNECTIONS[row]
    return (mysql if engine is EngineFamily.MYSQL else postgresql), row


def known_instance_classes(engine: EngineFamily, cluster: bool) -> tuple[str, ...]:
    """The classes whose default max_connections this module knows for an engine and target kind."""
    serverless = (SERVERLESS_INSTANCE_CLASS,) if cluster and engine is not EngineFamily.SQLSERVER else ()
    if engine is EngineFamily.MYSQL and cluster:
        return tuple(sorted((*AURORA_MYSQL_MAX_CONNECTIONS, *serverless)))
    return tuple(sorted((*INSTANCE_CLASS_MEMORY_GIB, *serverless)))


def default_max_connections(engine: EngineFamily, cluster: bool, instance_class: str) -> int:
    """The engine's default max_connections on one DB instance of this class (KeyError if unknown;
    db.serverless: ``serverless_max_connections``, from the cluster's maximum ACU)."""
    if engine is EngineFamily.SQLSERVER:
        INSTANCE_CLASS_MEMORY_GIB[instance_class]  # only known classes, as for the other engines
        return SQLSERVER_MAX_USER_CONNECTIONS
    if engine is EngineFamily.MYSQL and cluster:
        return AURORA_MYSQL_MAX_CONNECTIONS[instance_class]
    memory = int(INSTANCE_CLASS_MEMORY_GIB[instance_class] * GIB)
    if engine is EngineFamily.MYSQL:
        return memory // MYSQL_BYTES_PER_CONNECTION
    return min(memory // POSTGRESQL_BYTES_PER_CONNECTION, POSTGRESQL_MAX_CONNECTIONS_CAP)
