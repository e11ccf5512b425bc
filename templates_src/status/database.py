"""The database's effective max_connections, read with describe calls, against the connection
budget the build computed (``budget.budget``).

DescribeDBInstances names the instance's DB parameter group and class (for an Aurora cluster,
DescribeDBClusters names the writer first: the proxy's writer pool is sized on it);
DescribeDBParameters gives max_connections: a number where the group sets one, else the
engine's formula (``{DBInstanceClassMemory/12582880}`` for MySQL, ``LEAST({DBInstanceClassMemory/
9531392},5000)`` for PostgreSQL: "Maximum number of database connections", RDS User Guide). A
formula is evaluated with the class memory ``connection_facts`` knows, the same table and the
same upper estimate the budget uses; any other formula (Aurora MySQL's GREATEST(log ...)) or no
value at all: the class default of ``connection_facts`` (for db.serverless, Aurora Serverless v2's
default for the cluster's maximum ACU, which DescribeDBClusters gives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..facts import connections as connection_facts
from ..config.budget import Budget
from ..config.schema.model import EnvConfig

_DIVISION = r"\{DBInstanceClassMemory/(\d+)\}"
_FORMULAS = (re.compile(rf"^{_DIVISION}$"), re.compile(rf"^LEAST\({_DIVISION},(\d+)\)$"))


@dataclass(frozen=True)
class LiveMaxConnections:
    value: int | None
    source: str  # in words: where the value comes from
    instance: str
    instance_class: str


def evaluate(value: str | None, instance_class: str) -> int | None:
    """A parameter value as a number: itself, or a known formula fed the class memory (None:
    no value, an unknown formula or an unknown class)."""
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    for pattern in _FORMULAS:
        if match := pattern.match(value.replace(" ", "")):
            gib = connection_facts.INSTANCE_CLASS_MEMORY_GIB.get(instance_class)
            if gib is None:
                return None
            result = int(gib * connection_facts.GIB) // int(match.group(1))
            return min(result, int(match.group(2))) if match.lastindex == 2 else result
    return None


def writer_instance(rds: Any, cfg: EnvConfig) -> str:
    """The instance whose max_connections sizes the pool: the target, or its cluster's writer."""
    target = cfg.target
    if target.db_cluster_identifier is None:
        return str(target.db_instance_identifier)
    cluster = rds.describe_db_clusters(DBClusterIdentifier=target.db_cluster_identifier)["DBClusters"][0]
    members = cluster.get("DBClusterMembers", [])
    writers = [m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")]
    return (writers or [m["DBInstanceIdentifier"] for m in members] or [""])[0]


def parameter_value(rds: Any, group: str, name: str = "max_connections") -> dict[str, Any] | None:
    """One parameter of a DB parameter group (DescribeDBParameters pages with Marker; its Filters
    are not supported, says the API reference)."""
    marker = None
    while True:
        page = rds.describe_db_parameters(DBParameterGroupName=group, **({"Marker": marker} if marker else {}))
        for parameter in page.get("Parameters", []):
            if parameter.get("ParameterName") == name:
                return parameter
        marker = page.get("Marker")
        if not marker:
            return None


def live_max_connections(rds: Any, cfg: EnvConfig) -> LiveMaxConnections:
    instance_id = writer_instance(rds, cfg)
    if not instance_id:
        return LiveMaxConnections(None, "the cluster has no instance", "", "")
    instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    klass = instance.get("DBInstanceClass", "")
    groups = [g["DBParameterGroupName"] for g in instance.get("DBParameterGroups", [])]
    parameter = parameter_value(rds, groups[0]) if groups else None
    raw = (parameter or {}).get("ParameterValue")
    if raw is not None and (value := evaluate(raw, klass)) is not None:
        how = "" if raw.strip().isdigit() else f" {raw} with {klass}'s memory"
        return LiveMaxConnections(value, f"parameter group {groups[0]}{how}", instance_id, klass)
    cluster = cfg.target.db_cluster_identifier is not None
    if cluster and klass == connection_facts.SERVERLESS_INSTANCE_CLASS:
        return _serverless_default(rds, cfg, instance_id)
    try:
        value = connection_facts.default_max_connections(cfg.engine_family, cluster, klass)
    except KeyError:
        return LiveMaxConnections(None, f"unknown: {klass} is not in connection_facts", instance_id, klass)
    return LiveMaxConnections(value, f"{klass} default", instance_id, klass)


def _serverless_default(rds: Any, cfg: EnvConfig, instance_id: str) -> LiveMaxConnections:
    """Aurora Serverless v2's default, from the cluster's maximum ACU as DescribeDBClusters gives it
    (ServerlessV2ScalingConfiguration.MaxCapacity): Aurora sizes max_connections on it."""
    klass = connection_facts.SERVERLESS_INSTANCE_CLASS
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cfg.target.db_cluster_identifier)["DBClusters"][0]
    max_acu = cluster.get("ServerlessV2ScalingConfiguration", {}).get("MaxCapacity")
    try:
        value, _ = connection_facts.serverless_max_connections(cfg.engine_family, float(max_acu))
    except (KeyError, TypeError):
        return LiveMaxConnections(None, f"unknown: {klass} with a maximum of {max_acu} ACU", instance_id, klass)
    return LiveMaxConnections(value, f"{klass} default for a maximum of {float(max_acu):g} ACU", instance_id, klass)


def budget_line(live: LiveMaxConnections, planned: Budget, params_file: str) -> tuple[str, bool]:
    """One line comparing the live value with the budget, and whether they disagree."""
    where = f"max_connections {live.value if live.value is not None else 'unknown'} on {live.instance} ({live.source})"
    if live.value is None:
        return f"{where}: not compared with the budget", False
    pool = live.value * planned.percent // 100
    if planned.max_connections is None:
        return (f"{where}; the budget does not know the size ({planned.source}): the pool may open "
                f"{planned.percent}% = {pool}; set target.max_connections: {live.value} in {params_file}"), False
    if planned.max_connections == live.value:
        return (f"{where} = the budget's {planned.max_connections} ({planned.source}): the pool may open "
                f"{planned.percent}% = {pool}"), False
    return (f"{where} but the budget assumes {planned.max_connections} ({planned.source}): the pool opens "
            f"{planned.percent}% = {pool}, not {planned.pool}; set target.max_connections: {live.value} in "
            f"{params_file}"), True
