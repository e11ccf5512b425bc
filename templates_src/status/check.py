"""One status check: read the stack and the proxy (read-only clients), compare and judge; the
result is a ``Report`` that ``command`` prints as text or JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import budget
from ..facts.aws import DefaultAuthScheme
from ..config.schema.model import EnvConfig
from . import database, drift, health
from .facts import AuthMode

PROXY, TARGET_GROUP, ENDPOINT = "AWS::RDS::DBProxy", "AWS::RDS::DBProxyTargetGroup", "AWS::RDS::DBProxyEndpoint"
NOT_FOUND_CODES = ("DBProxyNotFoundFault", "DBProxyTargetGroupNotFoundFault")


class CannotRead(Exception):
    """Status cannot read what it needs (no such stack, a permission error): exit 4."""


@dataclass
class Report:
    env: str
    stack: str
    region: str
    proxy: str = ""  # the proxy's name (from the params)
    stack_status: str = ""
    proxy_status: str = ""
    template_differences: list[drift.Difference] = field(default_factory=list)
    live_differences: list[drift.Difference] = field(default_factory=list)
    not_compared: list[drift.NotCompared] = field(default_factory=list)
    targets: list[health.TargetStatus] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unhealthy: stack, proxy, no targets
    notes: list[str] = field(default_factory=list)
    max_connections: dict[str, Any] = field(default_factory=dict)
    budget_drift: bool = False

    @property
    def unhealthy(self) -> bool:
        return bool(self.problems) or any(not t.healthy for t in self.targets)

    @property
    def drifted(self) -> bool:
        return bool(self.template_differences or self.live_differences or self.budget_drift)


def auth_mode(cfg: EnvConfig) -> AuthMode:
    if cfg.proxy.default_auth_scheme is DefaultAuthScheme.IAM_AUTH:
        return AuthMode.IAM
    return AuthMode.PROVISIONER if cfg.provisioner is not None else AuthMode.SCRIPT


def _code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _context(cfn: Any, stack_name: str, report: Report) -> tuple[dict[str, Any], drift.StackContext]:
    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except Exception as exc:
        if _code(exc) == "ValidationError" and "does not exist" in str(exc):
            raise CannotRead(f"no stack {stack_name} in {report.region} (deployed yet? another region or "
                             "account?)") from exc
        raise
    report.stack_status = stack["StackStatus"]
    if problem := health.stack_problem(stack["StackStatus"], stack.get("StackStatusReason")):
        report.problems.append(problem)
    body = cfn.get_template(StackName=stack_name, TemplateStage="Original")["TemplateBody"]
    deployed = drift.parse(body)
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    ctx = drift.StackContext(
        stack["StackId"], stack_name,
        {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r.get("PhysicalResourceId")},
        {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        deployed.get("Resources") or {})
    return deployed, ctx


def _one(call: Any, key: str, **kwargs: Any) -> dict[str, Any] | None:
    """The first item of a describe call, None when RDS says it does not exist."""
    try:
        items = call(**kwargs)[key]
    except Exception as exc:
        if _code(exc) in NOT_FOUND_CODES:
            return None
        raise
    return items[0] if items else None


def _missing(report: Report, logical: str, what: str) -> None:
    report.live_differences.append(drift.Difference("deployed/live", logical, "(resource)", what, None))


def _compare_live(rds: Any, ec2: Any, cfg: EnvConfig, ctx: drift.StackContext, report: Report,
                  out_shown: str) -> None:
    resources = ctx.resources
    by_type: dict[str, list[str]] = {}
    for logical, resource in sorted(resources.items()):
        by_type.setdefault(resource.get("Type", ""), []).append(logical)
    live_proxy: dict[str, Any] | None = None
    for logical in by_type.get(PROXY, []):
        name = ctx.physical_ids.get(logical, "")
        live_proxy = _one(rds.describe_db_proxies, "DBProxies", DBProxyName=name) if name else None
        if live_proxy is None:
            _missing(report, logical, f"proxy {name or '?'}")
            continue
        report.proxy_status = live_proxy.get("Status", "")
        if problem := health.proxy_problem(report.proxy_status):
            report.problems.append(problem)
        _add(report, drift.compare_resource(logical, resources[logical], live_proxy, ctx))
    if live_proxy is None:
        return
    proxy_name = live_proxy["DBProxyName"]
    for logical in by_type.get(TARGET_GROUP, []):
        group = str((resources[logical].get("Properties") or {}).get("TargetGroupName", "default"))
        live_group = _one(rds.describe_db_proxy_target_groups, "TargetGroups", DBProxyName=proxy_name,
                          TargetGroupName=group)
        if live_group is None:
            _missing(report, logical, f"target group {group}")
            continue
        _add(report, drift.compare_resource(logical, resources[logical], live_group, ctx))
        # A handful of targets (a cluster has at most 15 instances): one page of the default 100.
        targets = rds.describe_db_proxy_targets(DBProxyName=proxy_name, TargetGroupName=group)["Targets"]
        _add(report, drift.targets_differences(logical, resources[logical], targets, ctx))
        script = f"{out_shown}/{cfg.env}/create-db-users.sh"
        report.targets += health.target_statuses(targets, auth_mode(cfg), script)
        if not any(t.get("Type") != "TRACKED_CLUSTER" for t in targets):
            report.problems.append(f"target group {group} has no database target: check target: in the params "
                                   "and the database's status")
    if any(t.reason == "PENDING_PROXY_CAPACITY" for t in report.targets) and live_proxy.get("VpcSubnetIds"):
        subnets = ec2.describe_subnets(SubnetIds=live_proxy["VpcSubnetIds"])["Subnets"]
        report.notes.append(health.free_ip_line(subnets).strip())
    if endpoints := by_type.get(ENDPOINT, []):
        live = {e["DBProxyEndpointName"]: e for e in
                rds.describe_db_proxy_endpoints(DBProxyName=proxy_name)["DBProxyEndpoints"]}
        for logical in endpoints:
            name = ctx.physical_ids.get(logical) or str((resources[logical].get("Properties") or {})
                                                        .get("DBProxyEndpointName", ""))
            if name not in live:
                _missing(report, logical, f"endpoint {name}")
                continue
            _add(report, drift.compare_resource(logical, resources[logical], live[name], ctx))


def _add(report: Report, found: tuple[list[drift.Difference], list[drift.NotCompared]]) -> None:
    report.live_differences += found[0]
    report.not_compared += found[1]


def _database(rds: Any, cfg: EnvConfig, report: Report, params_file: str) -> None:
    live = database.live_max_connections(rds, cfg)
    planned = budget.budget(cfg)
    line, disagree = database.budget_line(live, planned, params_file)
    report.budget_drift = disagree
    report.max_connections = {"instance": live.instance, "instance_class": live.instance_class, "live": live.value,
                              "source": live.source, "budget": planned.max_connections,
                              "budget_source": planned.source, "pool_percent": planned.percent,
                              "matches": not disagree, "line": line}


def run_check(cfg: EnvConfig, clients: Mapping[str, Any], committed_text: str, region: str, out_shown: str,
              params_file: str) -> Report:
    """Read, compare and judge one environment (raises CannotRead, or the client's errors)."""
    report = Report(cfg.env, str(cfg.stack_name), region, cfg.proxy.name)
    deployed, ctx = _context(clients["cloudformation"], report.stack, report)
    committed = drift.parse(committed_text)
    report.template_differences = list(drift.template_differences(committed, deployed))
    _compare_live(clients["rds"], clients["ec2"], cfg, ctx, report, out_shown)
    _database(clients["rds"], cfg, report, params_file)
    return report
