"""Rules across environments: what two stacks in one account and region must not share."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from .. import budget
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

    # Proxies on one database share its max_connections: together they may not ask for more, and
    # they must agree on what it is (an instance class or a parameter group value each).
    limit = MAX_CONNECTIONS_PERCENT_RANGE[1]
    for (region, _, database), sharing in budget.by_database(configs).items():
        if len(sharing) < 2:
            continue
        budgets = [budget.budget(c) for c in sharing]
        sizes = {b.max_connections for b in budgets if b.max_connections is not None}
        if len(sizes) > 1:
            parts = ", ".join(f"{b.env} {b.max_connections} ({b.source})" for b in budgets
                              if b.max_connections is not None)
            for cfg, b in zip(sharing, budgets):
                if b.max_connections is not None:
                    path = ("target", "max_connections" if cfg.target.max_connections else "instance_class")
                    report(cfg, path, f"proxies on database {database!r} in {region} disagree about its "
                                      f"max_connections: {parts}")
        total = sum(b.percent for b in budgets)
        if total > limit:
            parts = " + ".join(f"{b.env} {b.percent}" for b in budgets)
            absolute = ""
            if len(sizes) == 1:
                size = next(iter(sizes))
                absolute = f", {sum(size * b.percent // 100 for b in budgets)} of its {size} connections"
            for cfg in sharing:
                report(cfg, ("pool", "max_connections_percent"),
                       f"proxies on database {database!r} in {region} share its max_connections and ask "
                       f"for {total}% together ({parts}{absolute}); at most {limit}%")
    return errors
