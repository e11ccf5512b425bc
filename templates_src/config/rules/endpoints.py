"""Rules of the extra endpoints (``endpoints:``).

Each endpoint is an AWS::RDS::DBProxyEndpoint with a security group of its own in its VPC. What
RDS refuses at create time is refused here first: READ_ONLY without an Aurora cluster and any
READ_ONLY on SQL Server (RDS API CreateDBProxyEndpoint, TargetRole), more than 20 endpoints per
proxy (RDS User Guide, "Limitations for proxy endpoints"), and a name another endpoint or proxy
of the region already has (names are unique per account and region). Same shape as ``env``:
``(config, report)``, run after the single-key checks, on the unresolved config.
"""

from __future__ import annotations

from collections.abc import Callable

from ...facts import aws as facts
from ...facts.aws import EndpointTargetRole, EngineFamily
from .cidrs import cidr_problem
from ..errors import KeyPath, format_path
from ..schema.model import EnvConfig
from ..schema.network import read_only_endpoint_name
from .network import client_range_problem

Report = Callable[[KeyPath, str], None]


def endpoint_names(cfg: EnvConfig) -> list[tuple[KeyPath, str]]:
    """Every endpoint name the stack creates besides the proxy's default one, with its key."""
    names = [(("target", "read_only_endpoint"), read_only_endpoint_name(cfg.proxy.name))] \
        if cfg.target.read_only_endpoint else []
    return names + [(("endpoints", i, "name"), e.name) for i, e in enumerate(cfg.endpoints)]


def _names_unique(cfg: EnvConfig, report: Report) -> None:
    seen: dict[str, KeyPath] = {}
    for path, name in endpoint_names(cfg):
        if name == cfg.proxy.name:
            report(path, f"{name!r} is the proxy's name; an endpoint needs a name of its own")
        elif name in seen:
            report(path, f"{name!r} is also the name of {format_path(seen[name])}" + (
                " (the read-only endpoint <proxy>-ro)" if seen[name][0] == "target" else ""))
        seen.setdefault(name, path)
    if len(seen) > facts.MAX_EXTRA_ENDPOINTS:
        report(("endpoints",), f"the proxy would have {len(seen)} endpoints besides its default one (the read-only "
                               f"endpoint counts); RDS allows {facts.MAX_EXTRA_ENDPOINTS}")


def _roles_fit_the_target(cfg: EnvConfig, report: Report) -> None:
    for index, endpoint in enumerate(cfg.endpoints):
        if endpoint.target_role is not EndpointTargetRole.READ_ONLY:
            continue
        path = ("endpoints", index, "target_role")
        if cfg.engine_family is EngineFamily.SQLSERVER:
            report(path, "READ_ONLY is not for SQL Server proxies (RDS takes READ_WRITE only)")
        elif not cfg.target.db_cluster_identifier:
            report(path, "READ_ONLY needs an Aurora cluster target (target.db_cluster_identifier): "
                         "a DB instance has no readers")


def _clients_allowed(cfg: EnvConfig, report: Report) -> None:
    for index, endpoint in enumerate(cfg.endpoints):
        if not endpoint.client_security_group_ids and not endpoint.allowed_cidrs:
            report(("endpoints", index), "give client_security_group_ids or allowed_cidrs: who may connect "
                                         "to this endpoint")
        network_type = endpoint.endpoint_network_type or cfg.network.endpoint_network_type
        key = f"endpoints[{index}].endpoint_network_type"
        seen: set[str] = set()
        for item, cidr in enumerate(endpoint.allowed_cidrs):
            path = ("endpoints", index, "allowed_cidrs", item)
            parsed, problem = cidr_problem(cidr, "opens the endpoint to the whole internet; refused (name the "
                                                 "client ranges)")
            if parsed is not None and str(parsed) in seen:
                report(path, f"{cidr!r} is listed twice")
            if parsed is not None:
                seen.add(str(parsed))
            problem = problem or (client_range_problem(cidr, network_type, key) if parsed is not None else "")
            if problem:
                report(path, problem)


def _outputs_fit(cfg: EnvConfig, report: Report) -> None:
    # Each endpoint adds two outputs to the users' two each and the proxy's own (facts/aws.py).
    outputs = facts.MAX_PROXY_OUTPUTS + facts.ENDPOINT_OUTPUTS * len(cfg.endpoints) + 2 * len(cfg.users)
    if cfg.endpoints and outputs > facts.MAX_OUTPUTS_PER_TEMPLATE:
        room = (facts.MAX_OUTPUTS_PER_TEMPLATE - facts.MAX_PROXY_OUTPUTS - 2 * len(cfg.users)) // facts.ENDPOINT_OUTPUTS
        report(("endpoints",), f"{len(cfg.endpoints)} endpoints and {len(cfg.users)} users need up to {outputs} "
                               f"outputs; a template holds {facts.MAX_OUTPUTS_PER_TEMPLATE} (room for {room} endpoints)")


def _not_with_a_stack_set(cfg: EnvConfig, report: Report) -> None:
    # Stack instances move the proxy's network per account (stack_set overrides); the endpoints'
    # VPCs and subnets have no overrides, and the member template (the product) has no endpoints.
    if cfg.endpoints and cfg.stack_set is not None:
        report(("endpoints",), "extra endpoints cannot be deployed through stack_set (their VPCs and subnets "
                               "differ per account); deploy this env's own template, or drop them")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _names_unique,
    _roles_fit_the_target,
    _clients_allowed,
    _outputs_fit,
    _not_with_a_stack_set,
)
