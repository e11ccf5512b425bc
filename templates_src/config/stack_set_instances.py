"""A stack set's instances as environments.

``instance_configs`` moves the environment to each instance's region with that group's overrides:
what a single-account environment deployed there would be. The rules (``rules.stack_set``) hold
each one to every per-environment rule; the stack set's template and guide are made from them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..facts.stack_sets import RegionConcurrency
from .errors import KeyPath
from .schema.model import EnvConfig
from .schema.stack_set import OVERRIDDEN_KEYS, StackInstancesParams

# The longest an instance can wait for its database users (builders/users_ready.py), in minutes.
UsersReadyMinutes = int


@dataclass(frozen=True)
class Instance:
    """One (group, region) of a stack set: its targets (accounts or OUs) share its values."""

    group: int
    region_index: int
    targets: tuple[str, ...]
    cfg: EnvConfig
    overridden: frozenset[str]  # the override fields this instance's group sets

    @property
    def region(self) -> str:
        return self.cfg.region

    @property
    def path(self) -> KeyPath:
        return ("stack_set", "instances", self.group)


def _moved(cfg: EnvConfig, group: StackInstancesParams, region: str) -> EnvConfig:
    sections: dict[str, dict[str, object]] = {}
    for field, (section, name) in OVERRIDDEN_KEYS.items():
        value = getattr(group.overrides, field)
        if value is not None:
            sections.setdefault(section, {})[name] = value
    # An instance names one database: overriding one identifier drops the environment's other kind.
    target = sections.get("target", {})
    if "db_instance_identifier" in target:
        target.setdefault("db_cluster_identifier", None)
    elif "db_cluster_identifier" in target:
        target.setdefault("db_instance_identifier", None)
    changes = {section: dataclasses.replace(getattr(cfg, section), **values) for section, values in sections.items()
               if getattr(cfg, section) is not None}  # provisioner overrides without provisioner: check() says so
    return dataclasses.replace(cfg, region=region, stack_set=None, **changes)


def targets(group: StackInstancesParams) -> tuple[str, ...]:
    """What a group deploys to: its OUs when it has any (accounts then filter them), else its accounts."""
    return group.organizational_units or group.accounts


def instance_configs(cfg: EnvConfig) -> list[Instance]:
    """Every (group, region) of the env's stack set as an environment (none without a stack set)."""
    if cfg.stack_set is None:
        return []
    return [Instance(g, r, targets(group), _moved(cfg, group, region),
                     frozenset(f for f in OVERRIDDEN_KEYS if getattr(group.overrides, f) is not None))
            for g, group in enumerate(cfg.stack_set.instances) for r, region in enumerate(group.regions)]


def operation_minutes(cfg: EnvConfig, wait_minutes: UsersReadyMinutes) -> int | None:
    """The longest the first deploy can take when every instance waits its full time for its
    database users (None with OUs: how many accounts they hold is known only to Organizations)."""
    stack_set = cfg.stack_set
    if stack_set is None or any(g.organizational_units for g in stack_set.instances):
        return None
    per_region: dict[str, int] = {}
    for group in stack_set.instances:
        for region in group.regions:
            per_region[region] = per_region.get(region, 0) + len(group.accounts)
    rounds = [math.ceil(count / stack_set.max_concurrent) for count in per_region.values()]
    total = max(rounds) if stack_set.region_concurrency is RegionConcurrency.PARALLEL else sum(rounds)
    return total * wait_minutes
