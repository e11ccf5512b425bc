"""A Mermaid flowchart of what an env's stack builds and how traffic and credentials flow.

GitHub renders ```mermaid blocks in Markdown (DEPLOY.md). Node ids are ours (n0, n1, ...); every
label is params data, so each is written in double quotes with every character outside a small
safe set as a Mermaid entity code (``#34;`` for a quote, ``#60;`` for <): no label can close its
quotes, open a link, or carry HTML. ("Entity codes to escape characters",
https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters.)
tests/test_diagram.py parses every diagram with Mermaid's own parser.
"""

from __future__ import annotations

import re

from ..builders.alarms import creates_topic, specs
from ..builders.dashboard import dashboard_name
from ..builders.logs import log_group_name
from ..config.schema.model import EnvConfig
from ..config.schema.network import StackEndpoint

_SAFE = re.compile(r"[A-Za-z0-9 .,:/_+=@-]")


def label(text: str) -> str:
    """Text as a quoted Mermaid label: safe characters as they are, the others as entity codes."""
    return '"' + "".join(ch if _SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in text) + '"'


class _Chart:
    def __init__(self) -> None:
        self.lines = ["flowchart LR"]
        self.count = 0

    def node(self, text: str, shape: str = "[]") -> str:
        ident = f"n{self.count}"
        self.count += 1
        half = len(shape) // 2  # "[]" box, "([])" stadium, "[()]" cylinder, "[[]]" subroutine
        self.lines.append(f"  {ident}{shape[:half]}{label(text)}{shape[half:]}")
        return ident

    def edge(self, source: str, target: str, text: str | None = None, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        middle = f"|{label(text)}|" if text else ""
        self.lines.append(f"  {source} {arrow}{middle} {target}")


def _endpoint(chart: _Chart, endpoint: StackEndpoint, proxy_group: str, database: str) -> None:
    """An endpoint behind the proxy's group (the read-only one) or in its own VPC, behind its own
    group and clients."""
    text = f"endpoint {endpoint.name}"
    if endpoint.shares_proxy_network:
        guard, text = proxy_group, text + " (readers)"
    else:
        guard = chart.node(f"security group of endpoint {endpoint.name} in {endpoint.vpc_id}")
        for source in (*endpoint.client_security_group_ids, *endpoint.allowed_cidrs):
            chart.edge(chart.node(f"clients in {source}", "([])"), guard, "connect")
    node = chart.node(text)
    chart.edge(guard, node)
    chart.edge(node, database, endpoint.target_role.value)


def _monitoring(chart: _Chart, cfg: EnvConfig, proxy: str, key: str) -> None:
    """Where the proxy's logs and metrics go: its log group, dashboard, alarms and their topic."""
    logs = chart.node(f"log group {log_group_name(cfg)}")
    chart.edge(proxy, logs, "logs")
    chart.edge(logs, key, "encrypted with", dotted=True)
    board = chart.node(f"dashboard {dashboard_name(cfg)}")
    chart.edge(proxy, board, "metrics")
    if cfg.monitoring.alarms:
        alarms = chart.node(f"{len(specs(cfg))} alarms: " + ", ".join(s.what for s in specs(cfg)))
        chart.edge(proxy, alarms, "metrics")
        if creates_topic(cfg):
            topic = chart.node("SNS topic (created)")
            chart.edge(topic, key, "encrypted with", dotted=True)
        else:
            topic = chart.node(f"SNS topic {cfg.monitoring.alarm_topic_arn}")
        chart.edge(alarms, topic, "notify")


def mermaid(cfg: EnvConfig) -> str:
    """The flowchart's source (without the fence)."""
    chart = _Chart()
    net = cfg.network
    clients = [chart.node(f"clients in {group}", "([])") for group in net.client_security_group_ids]
    clients += [chart.node(f"clients in {cidr}", "([])") for cidr in net.allowed_cidrs]
    given = ", ".join(net.proxy_security_group_ids)
    if not net.create_security_group:  # the given groups' own rules decide who connects
        clients.append(chart.node("clients the groups' rules let in", "([])"))
        group = chart.node(f"security groups of the proxy: {given} (port {cfg.target.port})")
    else:
        group = chart.node(f"security group of the proxy (port {cfg.target.port})" + (f" + {given}" if given else ""))
    tls = "TLS required" if cfg.proxy.require_tls else "TLS optional"
    proxy = chart.node(f"RDS Proxy {cfg.proxy.name} ({tls})")
    target = cfg.target
    database = chart.node(f"Aurora cluster {target.db_cluster_identifier}" if target.db_cluster_identifier
                          else f"DB instance {target.db_instance_identifier}", "[()]")
    for client in clients:
        chart.edge(client, group, "connect")
    chart.edge(group, proxy)
    for endpoint in cfg.stack_endpoints:
        _endpoint(chart, endpoint, group, database)
    chart.edge(proxy, database, "pool: up to " + f"{cfg.pool.max_connections_percent}% of max_connections")
    users = cfg.policy_users
    if users:
        policies = chart.node("client policies: rds-db:connect as " + ", ".join(u.username for u in users))
        chart.edge(policies, proxy, "IAM token", dotted=True)
    role = chart.node("IAM role of the proxy")
    chart.edge(proxy, role, "assumes", dotted=True)
    key = chart.node("KMS key " + ("(given)" if cfg.secrets.kms_key_arn else "(created, rotated)"))
    if cfg.end_to_end_iam:
        chart.edge(role, database, "IAM auth as each user", dotted=True)
    else:
        secrets = chart.node("secrets: " + ", ".join(u.username for u in cfg.users), "[[]]")
        chart.edge(role, secrets, "GetSecretValue", dotted=True)
        chart.edge(secrets, key, "encrypted with", dotted=True)
    if cfg.provisioner is not None:  # makes the users before the proxy's target is registered
        provisioner = chart.node("function DatabaseUsers (custom resource, runs db-users.sql)", "[[]]")
        chart.edge(provisioner, database, "as the admin, TLS verified")
        chart.edge(provisioner, chart.node("admin secret (given)", "[[]]"), "GetSecretValue", dotted=True)
        if not cfg.end_to_end_iam:
            chart.edge(provisioner, secrets, "GetSecretValue", dotted=True)
    _monitoring(chart, cfg, proxy, key)
    return "\n".join(chart.lines) + "\n"
