"""The connection budget: what each proxy may open on its database, and what all proxies on one
database ask for together.

RDS Proxy's pool may open ``MaxConnectionsPercent`` of the database's ``max_connections`` and keeps
``MaxIdleConnectionsPercent`` of it open while idle ("Connection pool settings",
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html). For an Aurora
cluster the proxy's writer pool is sized on the writer instance; ``target.instance_class`` names
the class of each instance. An Aurora Serverless v2 instance (db.serverless) holds max_connections
constant: Aurora sets it from the cluster's maximum ACU, not from the current capacity, so the
proxy's share does not move as the cluster scales ("Maximum connections for Aurora Serverless v2",
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections ).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..facts import connections as connection_facts
from .schema.model import EnvConfig


@dataclass(frozen=True)
class Budget:
    """One proxy's share of its database (``max_connections`` None: the database size is unknown)."""

    env: str
    database: str
    max_connections: int | None
    source: str  # where max_connections comes from, in words
    percent: int
    idle_percent: int
    scaling: str = ""  # how max_connections behaves as the database scales, when that needs saying

    @property
    def pool(self) -> int | None:
        return None if self.max_connections is None else self.max_connections * self.percent // 100

    @property
    def idle(self) -> int | None:
        return None if self.max_connections is None else self.max_connections * self.idle_percent // 100


def database_key(cfg: EnvConfig) -> tuple[str, bool, str]:
    """(region, is a cluster, identifier): RDS identifiers are case-insensitive (stored lowercase)."""
    target = cfg.target
    return (cfg.region, target.db_cluster_identifier is not None,
            (target.db_cluster_identifier or target.db_instance_identifier or "").lower())


def database_name(cfg: EnvConfig) -> str:
    region, cluster, name = database_key(cfg)
    return f"{'cluster' if cluster else 'instance'} {name} ({region})"


def max_connections(cfg: EnvConfig) -> tuple[int | None, str]:
    target = cfg.target
    if target.max_connections is not None:
        return target.max_connections, "target.max_connections"
    if target.instance_class is None:
        return None, "unknown: give target.instance_class or target.max_connections"
    cluster = target.db_cluster_identifier is not None
    if cluster and target.instance_class == connection_facts.SERVERLESS_INSTANCE_CLASS:
        return _serverless(cfg)
    try:
        value = connection_facts.default_max_connections(cfg.engine_family, cluster, target.instance_class)
    except KeyError:  # refused by the rules already; kept total for callers on unvalidated configs
        return None, f"unknown for {target.instance_class}"
    kind = "Aurora MySQL" if cluster and cfg.engine_family.value == "MYSQL" else cfg.engine_family.value
    return value, f"{kind} default for {target.instance_class}"


def _serverless(cfg: EnvConfig) -> tuple[int | None, str]:
    max_acu = cfg.target.serverless_max_acu
    if max_acu is None:
        return None, "unknown: give target.serverless_max_acu or target.max_connections"
    kind = f"Aurora {'MySQL' if cfg.engine_family.value == 'MYSQL' else 'PostgreSQL'} Serverless v2"
    try:
        value, row = connection_facts.serverless_max_connections(cfg.engine_family, max_acu)
    except KeyError:  # refused by the rules already
        return None, f"unknown for {kind} at {max_acu:g} ACU"
    of_row = "" if row == max_acu else f" (AWS's row for {row:g} ACU, a lower bound)"
    return value, f"{kind} default for a maximum of {max_acu:g} ACU{of_row}"


def scaling(cfg: EnvConfig) -> str:
    """How the database's max_connections behaves as it scales, when that needs saying."""
    target = cfg.target
    if target.db_cluster_identifier is None or target.instance_class != connection_facts.SERVERLESS_INSTANCE_CLASS:
        return ""
    return ("Aurora Serverless v2 sets max_connections from the maximum ACU, not the current capacity: "
            "it and the proxy's share stay the same as the cluster scales (a new maximum applies after a "
            "reboot)")


def budget(cfg: EnvConfig) -> Budget:
    value, source = max_connections(cfg)
    idle = cfg.pool.max_idle_connections_percent
    return Budget(cfg.env, database_name(cfg), value, source, cfg.pool.max_connections_percent,
                  cfg.pool.max_connections_percent // 2 if idle is None else idle, scaling(cfg))


def by_database(configs: Sequence[EnvConfig]) -> dict[tuple[str, bool, str], list[EnvConfig]]:
    grouped: dict[tuple[str, bool, str], list[EnvConfig]] = defaultdict(list)
    for cfg in configs:
        grouped[database_key(cfg)].append(cfg)
    return dict(grouped)


def summary_lines(configs: Sequence[EnvConfig]) -> list[str]:
    """One line per database: who shares it and what they may open together."""
    lines = []
    for sharing in by_database(configs).values():
        budgets = [budget(c) for c in sharing]
        known = {b.max_connections for b in budgets if b.max_connections is not None}
        percent = sum(b.percent for b in budgets)
        parts = ", ".join(f"{b.env} {b.percent}%" for b in budgets)
        notes = "".join(sorted({f"; {b.scaling}" for b in budgets if b.scaling}))
        if len(known) == 1:
            total = known.pop()
            opened = sum(b.pool for b in budgets if b.pool is not None)
            lines.append(f"budget {budgets[0].database}: {parts} = {opened} of {total} connections ({percent}%)"
                         f"{notes}")
        else:
            lines.append(f"budget {budgets[0].database}: {parts} = {percent}% of max_connections "
                         f"({'size unknown' if not known else 'sizes disagree'}){notes}")
    return lines
