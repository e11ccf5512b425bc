"""The Service Catalog product's launch parameters that carry an env's own values (network,
database, proxy timeouts, pool, log retention): names, types, constraints, and each env's value
for its provisioning-parameters.json.

Env templates have no Parameters (stack.py): these exist only in the product, where the
placeholder configs pass ``Ref`` of them to the builders (placeholders.base_config).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..facts import aws as facts
from ..config.model import EnvConfig, MonitoringParams


@dataclass(frozen=True)
class DeployParameter:
    name: str
    type: str
    description: str
    value: Callable[[EnvConfig], Any]
    group: str
    label: str
    applies: Callable[[EnvConfig], bool] = lambda cfg: True
    constraints: tuple[tuple[str, Any], ...] = ()
    constraint_description: str | None = None


def _model_field(name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(MonitoringParams) if f.name == name)


def _model_doc(name: str) -> str:
    return _model_field(name).metadata["doc"]


def _model_range(name: str) -> tuple[int, int]:
    meta = _model_field(name).metadata
    return meta["minimum"], meta["maximum"]


def _number(low: int, high: int) -> tuple[tuple[str, Any], ...]:
    return (("MinValue", low), ("MaxValue", high))


VPC_ID = "VpcId"
SUBNET_IDS = "SubnetIds"
DB_INSTANCE = "DBInstanceIdentifier"
DB_CLUSTER = "DBClusterIdentifier"
DATABASE_PORT = "DatabasePort"
IDLE_CLIENT_TIMEOUT = "IdleClientTimeout"
MAX_CONNECTIONS = "MaxConnectionsPercent"
MAX_IDLE_CONNECTIONS = "MaxIdleConnectionsPercent"
BORROW_TIMEOUT = "ConnectionBorrowTimeout"
LOG_RETENTION = "LogRetentionInDays"
MIN_AVAILABILITY = "AlarmMinAvailabilityPercent"
POOL_SATURATION = "AlarmPoolSaturationPercent"
BORROW_LATENCY = "AlarmBorrowLatencyMs"
PINNED = "AlarmPinnedPercent"
FAILED_LOGINS = "AlarmFailedLoginsPer5Minutes"
DATABASE_FAILURES = "AlarmDatabaseConnectionFailuresPer5Minutes"

# Console groups, in the order the console shows them.
NETWORK, DATABASE, PROXY, POOL, MONITORING = "Network", "Database", "Proxy", "Connection pool", "Monitoring"
GROUP_ORDER = (NETWORK, DATABASE, PROXY, POOL, MONITORING)

DEPLOY_PARAMETERS: tuple[DeployParameter, ...] = (
    DeployParameter(VPC_ID, "AWS::EC2::VPC::Id", "The VPC of the database and the proxy.",
                    lambda c: c.network.vpc_id, group=NETWORK, label="VPC"),
    DeployParameter(SUBNET_IDS, "List<AWS::EC2::Subnet::Id>",
                    "Subnets for the proxy, in at least two Availability Zones.",
                    lambda c: ",".join(c.network.subnet_ids), group=NETWORK, label="Proxy subnets"),
    DeployParameter(DB_INSTANCE, "String", "The RDS DB instance behind the proxy.",
                    lambda c: c.target.db_instance_identifier, group=DATABASE, label="DB instance",
                    applies=lambda c: c.target.db_instance_identifier is not None,
                    constraints=(("AllowedPattern", facts.DB_IDENTIFIER_PATTERN),),
                    constraint_description="a DB instance identifier: a letter first, then letters, "
                                           "digits and single hyphens, at most 63 characters"),
    DeployParameter(DB_CLUSTER, "String", "The Aurora DB cluster behind the proxy.",
                    lambda c: c.target.db_cluster_identifier, group=DATABASE, label="DB cluster",
                    applies=lambda c: c.target.db_cluster_identifier is not None,
                    constraints=(("AllowedPattern", facts.DB_IDENTIFIER_PATTERN),),
                    constraint_description="a DB cluster identifier: a letter first, then letters, "
                                           "digits and single hyphens, at most 63 characters"),
    DeployParameter(DATABASE_PORT, "Number", "The port the database listens on.",
                    lambda c: c.target.port, group=DATABASE, label="Database port",
                    constraints=_number(*facts.PORT_RANGE),
                    constraint_description=f"a port from {facts.PORT_RANGE[0]} to {facts.PORT_RANGE[1]}"),
    DeployParameter(IDLE_CLIENT_TIMEOUT, "Number",
                    "Seconds a client connection may stay idle before the proxy closes it.",
                    lambda c: c.proxy.idle_client_timeout, group=PROXY, label="Idle client timeout (s)",
                    constraints=_number(*facts.IDLE_CLIENT_TIMEOUT_RANGE),
                    constraint_description="seconds, from 1 to 28800"),
    DeployParameter(MAX_CONNECTIONS, "Number",
                    "Share (%) of the database's max_connections the proxy may open.",
                    lambda c: c.pool.max_connections_percent, group=POOL, label="Max connections (%)",
                    constraints=_number(*facts.MAX_CONNECTIONS_PERCENT_RANGE),
                    constraint_description="a percentage from 1 to 100"),
    DeployParameter(MAX_IDLE_CONNECTIONS, "Number",
                    "Share (%) of max_connections kept open while idle; at most MaxConnectionsPercent.",
                    lambda c: c.pool.max_idle_connections_percent, group=POOL, label="Max idle connections (%)",
                    constraints=_number(0, facts.MAX_CONNECTIONS_PERCENT_RANGE[1]),
                    constraint_description="a percentage from 0 to 100, at most MaxConnectionsPercent"),
    DeployParameter(BORROW_TIMEOUT, "Number",
                    "Seconds a request waits for a free connection (also the wait during failover).",
                    lambda c: c.pool.connection_borrow_timeout, group=POOL, label="Connection borrow timeout (s)",
                    constraints=_number(*facts.CONNECTION_BORROW_TIMEOUT_RANGE),
                    constraint_description="seconds, from 0 to 300"),
    DeployParameter(LOG_RETENTION, "Number", "Days the proxy's logs are kept.",
                    lambda c: c.proxy.log_retention_days, group=PROXY, label="Log retention (days)",
                    constraints=(("AllowedValues", facts.LOG_RETENTION_DAYS),),
                    constraint_description="one of CloudWatch Logs' retention periods"),
    *(DeployParameter(name, "Number", _model_doc(field), (lambda f: lambda c: getattr(c.monitoring, f))(field),
                      group=MONITORING, label=label, constraints=_number(*_model_range(field)),
                      constraint_description=f"a number from {_model_range(field)[0]} to {_model_range(field)[1]}")
      for name, field, label in (
          (MIN_AVAILABILITY, "min_availability_percent", "Alarm: availability below (%)"),
          (POOL_SATURATION, "pool_saturation_percent", "Alarm: pool use from (%)"),
          (BORROW_LATENCY, "borrow_latency_ms", "Alarm: borrow latency above (ms)"),
          (PINNED, "pinned_percent", "Alarm: pinned connections from (%)"),
          (FAILED_LOGINS, "failed_auth_per_5_minutes", "Alarm: failed logins per 5 min above"),
          (DATABASE_FAILURES, "database_setup_failures_per_5_minutes", "Alarm: database connection failures above"),
      )),
)


def applicable(cfg: EnvConfig) -> list[DeployParameter]:
    return [p for p in DEPLOY_PARAMETERS if p.applies(cfg)]


def parameter_values(cfg: EnvConfig) -> dict[str, str]:
    """Each parameter's value for this environment, as CloudFormation takes them (text)."""
    return {p.name: str(p.value(cfg)) for p in applicable(cfg)}
