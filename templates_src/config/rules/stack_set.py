"""The stack set's own rules, and every per-environment rule again on each of its instances.

Each instance is the environment moved to its region with its group's overrides
(``stack_set_instances``), so an instance is held to exactly what an environment is; a problem is
reported at the override that caused it, or at the environment's key with the instance named.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from ...facts import stack_sets as stack_set_facts
from ...facts.cloudformation import USERS_READY_TIMEOUT_SECONDS
from ...facts.provisioner import SERVICE_TIMEOUT_SECONDS
from ...facts.stack_sets import AccountFilterType, CallAs, PermissionModel
from ..errors import KeyPath
from ..schema.model import EnvConfig
from ..stack_set_instances import Instance, instance_configs, operation_minutes, targets
from ..schema.stack_set import OVERRIDDEN_KEYS, StackInstancesParams

Report = Callable[[KeyPath, str], None]


def _relocated(instance: Instance, report: Report) -> Report:
    """A report for a rule run on an instance: at the override or region that made the value, else
    at the environment's key, saying which instance."""
    overridden = {keys: field for field, keys in OVERRIDDEN_KEYS.items()}

    def relocate(path: KeyPath, message: str) -> None:
        field = overridden.get(tuple(path[:2]))  # type: ignore[arg-type]
        where = f"in stack instance {instance.region} of stack_set.instances[{instance.group}]"
        if path[:1] == ("region",):
            report((*instance.path, "regions", instance.region_index), message)
        elif field is not None and field in instance.overridden:
            report((*instance.path, "overrides", field, *path[2:]), message)
        else:
            report(path, f"{where}: {message}")

    return relocate


def check(cfg: EnvConfig, report: Report, env_rules: Callable[[EnvConfig, Report], None] | None) -> None:
    """The stack set's rules, and ``env_rules`` (env.check; None: not) on every instance."""
    stack_set = cfg.stack_set
    if stack_set is None:
        return
    service = stack_set.permission_model is PermissionModel.SERVICE_MANAGED
    if not service:
        if stack_set.call_as is CallAs.DELEGATED_ADMIN:
            report(("stack_set", "call_as"), "DELEGATED_ADMIN is for SERVICE_MANAGED stack sets only")
        if stack_set.auto_deployment:
            report(("stack_set", "auto_deployment"), "needs permission_model SERVICE_MANAGED (accounts joining an OU)")
    if not stack_set.retain_stacks_on_account_removal and not stack_set.auto_deployment:
        report(("stack_set", "retain_stacks_on_account_removal"), "only has an effect with auto_deployment: true")
    if stack_set.max_concurrent > stack_set.failure_tolerance + stack_set_facts.MAX_CONCURRENT_ABOVE_TOLERANCE:
        report(("stack_set", "max_concurrent"),
               f"{stack_set.max_concurrent} is more than failure_tolerance + 1 ({stack_set.failure_tolerance + 1}): "
               "StackSets' strict failure tolerance never runs more accounts at once")
    seen: dict[tuple[str, str], int] = {}
    for g, group in enumerate(stack_set.instances):
        path = ("stack_set", "instances", g)
        _targets_ok(group, service, path, report)
        for r, region in enumerate(group.regions):
            for target in targets(group):
                slot = (target, region)
                if slot in seen:
                    report((*path, "regions", r), f"{target} in {region} is also in stack_set.instances[{seen[slot]}]: "
                                                  "one stack instance per account and region")
                seen.setdefault(slot, g)
    _operation_fits(cfg, report)
    _provisioner_per_instance(cfg, report)
    for name, value in (cfg.tags or {}).items():
        if not re.fullmatch(stack_set_facts.STACK_SET_TAG_KEY_PATTERN, name):
            report(("tags", name), f"{name!r} cannot tag a stack set (letters, digits, spaces and _.:/=+- only)")
        elif not value:
            report(("tags", name), "a stack set's tag needs a value (at least one character)")
    for instance in instance_configs(cfg) if env_rules is not None else ():
        if instance.region != cfg.region or instance.overridden:  # else the env itself: its rules ran
            env_rules(instance.cfg, _relocated(instance, report))


def _targets_ok(group: StackInstancesParams, service: bool, path: KeyPath, report: Report) -> None:
    if service:
        if not group.organizational_units:
            report((*path, "organizational_units"), "missing: SERVICE_MANAGED stack sets deploy to OUs (or the "
                                                    "root); name accounts beside them with account_filter")
        elif group.accounts and group.account_filter is None:
            report((*path, "account_filter"), "missing: accounts beside OUs need INTERSECTION, DIFFERENCE or UNION")
        if group.account_filter is not None and not group.accounts:
            report((*path, "account_filter"), "has no accounts to filter by; remove it or list accounts")
        return
    if group.organizational_units:
        report((*path, "organizational_units"), "OUs need permission_model SERVICE_MANAGED (AWS Organizations)")
    if not group.accounts:
        report((*path, "accounts"), "missing: SELF_MANAGED stack sets deploy to accounts (12-digit ids, quoted)")
    if group.account_filter is not None:
        report((*path, "account_filter"), "is for SERVICE_MANAGED stack sets only")


def _provisioner_per_instance(cfg: EnvConfig, report: Report) -> None:
    """A stack instance has nobody to run create-db-users.sh, so the provisioner makes its users;
    its admin secret belongs to one account (each database has its own admin), and its code must
    be in a bucket of its region (Lambda API CreateFunction, Code.S3Bucket: "An Amazon S3 bucket
    in the same AWS Region as your function. The bucket can be in a different AWS account.")."""
    assert cfg.stack_set is not None
    provisioner_keys = {f for f, (section, _) in OVERRIDDEN_KEYS.items() if section == "provisioner"}
    if cfg.provisioner is None:
        report(("stack_set",), "a stack instance has nobody to run create-db-users.sh: add provisioner: "
                               "(docs/provisioner.md), with per-account values in each group's overrides")
        for g, group in enumerate(cfg.stack_set.instances):
            for field in sorted(f for f in provisioner_keys if getattr(group.overrides, f) is not None):
                report(("stack_set", "instances", g, "overrides", field), "needs provisioner:")
        return
    for g, group in enumerate(cfg.stack_set.instances):
        path = ("stack_set", "instances", g)
        secret_arn = group.overrides.admin_secret_arn or cfg.provisioner.admin_secret_arn
        where = (*path, "overrides", "admin_secret_arn") if group.overrides.admin_secret_arn else \
            ("provisioner", "admin_secret_arn")
        one_account = len(group.accounts) == 1 and (
            not group.organizational_units or group.account_filter is AccountFilterType.INTERSECTION)
        if group.organizational_units and not one_account:
            report((*path, "organizational_units"), "each account's database has its own admin secret: name one "
                                                    "account per group (with OUs: account_filter INTERSECTION) and "
                                                    "its overrides.admin_secret_arn")
        elif len(group.accounts) > 1:
            report((*path, "accounts"), "each account's database has its own admin secret: give each account a "
                                        "group of its own with overrides.admin_secret_arn")
        elif group.accounts and secret_arn.split(":")[4] != group.accounts[0]:
            report(where, f"is in account {secret_arn.split(':')[4]}, not {group.accounts[0]}: set "
                          f"stack_set.instances[{g}].overrides.admin_secret_arn")
        for r, region in enumerate(group.regions):
            if region != cfg.region and group.overrides.artifact_bucket is None:
                report((*path, "regions", r), f"the provisioner's code must be in a bucket in {region} (Lambda reads "
                                              "code from the function's region): set overrides.artifact_bucket")


def _operation_fits(cfg: EnvConfig, report: Report) -> None:
    wait = USERS_READY_TIMEOUT_SECONDS if cfg.provisioner is None else SERVICE_TIMEOUT_SECONDS
    minutes = operation_minutes(cfg, math.ceil(wait / 60))
    if minutes is not None and minutes > stack_set_facts.STACK_SET_HANDLER_TIMEOUT_MINUTES:
        report(("stack_set", "max_concurrent"),
               f"in the worst case the first deploy takes {minutes} minutes (each instance may wait "
               f"{math.ceil(wait / 60)} for its database users), more than the "
               f"{stack_set_facts.STACK_SET_HANDLER_TIMEOUT_MINUTES} the stack set's handler waits; raise max_concurrent "
               "(with failure_tolerance) or split the instances over several environments")
