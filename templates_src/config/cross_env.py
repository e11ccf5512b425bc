"""Rules across environments: what two stacks in one account and region must not share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence

from ..aws_facts import MAX_CONNECTIONS_PERCENT_RANGE
from .errors import KeyPath, ParamsError
from .model import EnvConfig

Locate = Callable[[EnvConfig, KeyPath], tuple[str, int, int]]


def check(configs: Sequence[EnvConfig], locate: Locate,
          report_on: Collection[str] | None = None) -> list[ParamsError]:
    """Errors for resolved configs that clash; each names the other environment's file.

    ``report_on``: the environments whose errors are wanted (None: all of them).
    """
    errors: list[ParamsError] = []

    def report(cfg: EnvConfig, path: KeyPath, message: str) -> None:
        if report_on is None or cfg.env in report_on:
            errors.append(ParamsError(*locate(cfg, path), path, message))

    for what, path, value_of in (
        ("proxy name", ("proxy", "name"), lambda c: c.proxy.name),
        ("stack name", ("stack_name",), lambda c: c.stack_name),
    ):
        first: dict[tuple[str, str], EnvConfig] = {}
        for cfg in configs:
            slot = (cfg.region, value_of(cfg))
            if slot in first:
                report(cfg, path, f"{what} {slot[1]!r} is also used by {first[slot].source} in {cfg.region}")
            first.setdefault(slot, cfg)

    # Proxies on one database share its max_connections: together they may not ask for more.
    # RDS identifiers are case-insensitive (stored lowercase); instances and clusters are separate.
    by_database: dict[tuple[str, bool, str], list[EnvConfig]] = defaultdict(list)
    for cfg in configs:
        target = cfg.target
        database = (target.db_cluster_identifier or target.db_instance_identifier or "").lower()
        by_database[(cfg.region, bool(target.db_cluster_identifier), database)].append(cfg)
    limit = MAX_CONNECTIONS_PERCENT_RANGE[1]
    for (region, _, database), sharing in by_database.items():
        total = sum(c.pool.max_connections_percent for c in sharing)
        if len(sharing) > 1 and total > limit:
            parts = " + ".join(f"{c.env} {c.pool.max_connections_percent}" for c in sharing)
            for cfg in sharing:
                report(cfg, ("pool", "max_connections_percent"),
                       f"proxies on database {database!r} in {region} share its max_connections and ask "
                       f"for {total}% together ({parts}); at most {limit}%")
    return errors
