"""The connection budget: what each proxy may open on its database, and what all proxies on one
database ask for together.

RDS Proxy's pool may open ``MaxConnectionsPercent`` of the database's ``max_connections`` and keeps
``MaxIdleConnectionsPercent`` of it open while idle ("Connection pool settings",
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html). For an Aurora
cluster the proxy's writer pool is sized on the writer instance; ``target.instance_class`` names
the class of each instance.
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
    try:
        value = connection_facts.default_max_connections(cfg.engine_family, cluster, target.instance_class)
    except KeyError:  # refused by the rules already; kept total for callers on unvalidated configs
        return None, f"unknown for {target.instance_class}"
    kind = "Aurora MySQL" if cluster and cfg.engine_family.value == "MYSQL" else cfg.engine_family.value
    return value, f"{kind} default for {target.instance_class}"


def budget(cfg: EnvConfig) -> Budget:
    value, source = max_connections(cfg)
    idle = cfg.pool.max_idle_connections_percent
    return Budget(cfg.env, database_name(cfg), value, source, cfg.pool.max_connections_percent,
                  cfg.pool.max_connections_percent // 2 if idle is None else idle)


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
        if len(known) == 1:
            total = known.pop()
            opened = sum(b.pool for b in budgets if b.pool is not None)
            lines.append(f"budget {budgets[0].database}: {parts} = {opened} of {total} connections ({percent}%)")
        else:
            lines.append(f"budget {budgets[0].database}: {parts} = {percent}% of max_connections "
                         f"({'size unknown' if not known else 'sizes disagree'})")
    return lines
