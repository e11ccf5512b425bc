"""Rules across environments: what two stacks in one account and region must not share.

Names AWS keeps per account rather than per region (facts.cloudformation.RESOURCE_NAMES, NameScope.ACCOUNT)
would have to be compared across regions too. The templates have none left: the dashboard's name
carries the region (facts.monitoring.DASHBOARD_NAME_FORMAT) and the IAM roles and policies take
generated names; tests/test_name_scopes.py keeps it so. The proxy-name checks below (per region,
and per account and region for stack instances) therefore keep every dashboard name unique too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence

from .. import budget
from ...facts.aws import MAX_CONNECTIONS_PERCENT_RANGE
from .endpoints import endpoint_names
from ..errors import KeyPath, ParamsError
from ..schema.model import EnvConfig
from ..stack_set_instances import instance_configs

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

    first: dict[tuple[str, str], EnvConfig] = {}
    for cfg in configs:
        slot = (cfg.region, cfg.stack_name)
        if slot in first:
            report(cfg, ("stack_name",), f"stack name {slot[1]!r} is also used by {first[slot].source} in {cfg.region}")
        first.setdefault(slot, cfg)

    # Proxy and endpoint names are taken as one namespace per account and region. An endpoint's
    # name "must be unique for all DB proxy endpoints owned by your account in the specified
    # Region" (RDS API, DBProxyEndpointAlreadyExistsFault), and every proxy has a default endpoint
    # beside its name; that a proxy's name clashes with an endpoint's is our reading, stated by no
    # AWS page, and the safe side. An env's own names are endpoint_rules' to compare.
    taken: dict[tuple[str, str], tuple[EnvConfig, str]] = {}
    for cfg in configs:
        for path, name, kind in ((("proxy", "name"), cfg.proxy.name, "proxy"),
                                 *((p, n, "endpoint") for p, n in endpoint_names(cfg))):
            slot = (cfg.region, name)
            if slot in taken and taken[slot][0] is not cfg:
                other, other_kind = taken[slot]
                whose = "used by" if other_kind == kind else f"the {other_kind} name of"
                report(cfg, path, f"{kind} name {name!r} is also {whose} {other.source} in {cfg.region}")
            taken.setdefault(slot, (cfg, kind))

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
    errors += _stack_sets(configs, locate, report_on)
    return errors


def _stack_sets(configs: Sequence[EnvConfig], locate: Locate, report_on: Collection[str] | None) -> list[ParamsError]:
    """The same rules per account (or OU) and region for stack instances: two stack sets must not
    put two proxies of one name, or more than the database's connections, in one account and
    region; and stack set names are unique in the region of the stack set itself. (An env's own
    stack has no account in its params: it is not compared with instances. Deploy an env either
    as its stack or through its stack set, in one account, not both.)"""
    errors: list[ParamsError] = []
    names: dict[tuple[str, str], EnvConfig] = {}
    proxies: dict[tuple[str, str, str], tuple[EnvConfig, int]] = {}
    budgets: dict[tuple[str, str, bool, str], list[tuple[EnvConfig, int, int]]] = defaultdict(list)
    for cfg in configs:
        if cfg.stack_set is None:
            continue
        wanted = report_on is None or cfg.env in report_on
        slot = (cfg.region, cfg.stack_set.name or "")
        if slot in names and wanted:
            errors.append(ParamsError(*locate(cfg, ("stack_set",)), ("stack_set", "name"),
                                      f"stack set name {slot[1]!r} is also used by {names[slot].source} in {cfg.region}"))
        names.setdefault(slot, cfg)
        for instance in instance_configs(cfg):
            target = instance.cfg.target
            database = (target.db_cluster_identifier or target.db_instance_identifier or "").lower()
            for account in instance.targets:
                where = (account, instance.region, instance.cfg.proxy.name)
                if where in proxies and proxies[where][0].env != cfg.env and wanted:
                    other = proxies[where][0]
                    errors.append(ParamsError(*locate(cfg, ("stack_set", "instances", instance.group)),
                                              ("stack_set", "instances", instance.group),
                                              f"proxy name {where[2]!r} in {account} {instance.region} is also a stack "
                                              f"instance of {other.source}"))
                proxies.setdefault(where, (cfg, instance.group))
                budgets[(account, instance.region, bool(target.db_cluster_identifier), database)].append(
                    (cfg, instance.group, instance.cfg.pool.max_connections_percent))
    limit = MAX_CONNECTIONS_PERCENT_RANGE[1]
    for (account, region, _, database), sharing in budgets.items():
        total = sum(percent for _, _, percent in sharing)
        if len({c.env for c, _, _ in sharing}) > 1 and total > limit:
            parts = " + ".join(f"{c.env} {percent}" for c, _, percent in sharing)
            for cfg, group, _ in sharing:
                if report_on is None or cfg.env in report_on:
                    errors.append(ParamsError(*locate(cfg, ("pool", "max_connections_percent")),
                                              ("pool", "max_connections_percent"),
                                              f"stack instances on database {database!r} in {account} {region} share its "
                                              f"max_connections and ask for {total}% together ({parts}); at most {limit}%"))
    return errors
