"""CloudWatch alarms on the proxy's metrics, and the SNS topic they notify.

Why each alarm exists is in docs/operations.md ("Alarms and dashboard"); why each threshold and window,
in ``specs`` (DEPLOY.md's alarms table renders it); metric names, their dimension sets and
statistics are in facts/monitoring.py. Missing data is not breaching: RDS Proxy publishes some
metrics only after its first successful connection (RDS Proxy monitoring doc), and a new, unused
proxy is not an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import Ref
from troposphere.cloudwatch import Alarm, Metric, MetricDataQuery, MetricDimension, MetricStat
from troposphere.sns import Topic

from ..facts import aws as facts
from ..facts import monitoring as m
from ..facts.aws import EndpointTargetRole
from ..config.schema.model import EnvConfig
from . import names
from .common import tags
from .kms import key_arn
from .suppressions import NAMED_ALARM, suppressed

FIVE_MINUTES = 5


def creates_topic(cfg: EnvConfig) -> bool:
    return cfg.monitoring.alarms and not cfg.monitoring.alarm_topic_arn


def topic_name(cfg: EnvConfig) -> str:
    return f"rds-proxy-{cfg.proxy.name}-alarms"


def alarm_name(cfg: EnvConfig, what: str) -> str:
    return m.ALARM_NAME_FORMAT.format(proxy_name=cfg.proxy.name, what=what)


def build_topic(cfg: EnvConfig) -> list[Topic]:
    """The topic, encrypted with the stack's key (the key policy lets CloudWatch use it: kms.py).
    Subscribe to it after the first deploy (DEPLOY.md): subscriptions need a confirmed endpoint."""
    if not creates_topic(cfg):
        return []
    return [Topic(names.ALARM_TOPIC, TopicName=topic_name(cfg), DisplayName=f"RDS Proxy {cfg.proxy.name} alarms",
                  KmsMasterKeyId=key_arn(cfg), Tags=tags(cfg))]


def topic_arn(cfg: EnvConfig) -> Any:
    return cfg.monitoring.alarm_topic_arn or Ref(names.ALARM_TOPIC)


def _dimensions(extra: tuple[tuple[str, str], ...]) -> list[MetricDimension]:
    return [MetricDimension(Name=m.PROXY_DIMENSION, Value=Ref(names.PROXY)),
            *(MetricDimension(Name=name, Value=value) for name, value in extra)]


def role_dimensions(role: str) -> tuple[tuple[str, str], ...]:
    """Dimension set 4 beside ProxyName: the target group's writer (READ_WRITE) or its readers (READ_ONLY)."""
    return ((m.TARGET_GROUP_DIMENSION, facts.PROXY_TARGET_GROUP_NAME), (m.TARGET_ROLE_DIMENSION, role))


def readers_targeted(cfg: EnvConfig) -> bool:
    """Whether an endpoint sends clients to the cluster's readers (target.read_only_endpoint, or an
    ``endpoints:`` entry with target_role READ_ONLY): only then is the READ_ONLY role published."""
    return any(e.target_role is EndpointTargetRole.READ_ONLY for e in cfg.stack_endpoints)


def _stat(query_id: str, metric: str, stat: str, extra: tuple[tuple[str, str], ...]) -> MetricDataQuery:
    return MetricDataQuery(Id=query_id, ReturnData=False, MetricStat=MetricStat(
        Metric=Metric(Namespace=m.NAMESPACE, MetricName=metric, Dimensions=_dimensions(extra)),
        Period=m.PERIOD_SECONDS, Stat=stat))


@dataclass(frozen=True)
class AlarmSpec:
    what: str  # the alarm name's suffix: what it measures (writer-/reader- when one role's)
    description: str
    comparison: str
    threshold: Any
    periods: int  # evaluated periods; datapoints: all of them unless ``datapoints``
    threshold_reason: str  # why this threshold and window (DEPLOY.md's alarms table)
    metric: str | None = None  # a plain metric, or
    statistic: str = "Sum"
    period: int = m.PERIOD_SECONDS
    expression: str | None = None  # metric math over ``inputs`` (id, metric, statistic)
    inputs: tuple[tuple[str, str, str], ...] = ()
    datapoints: int | None = None
    extra_dimensions: tuple[tuple[str, str], ...] = ()  # beside ProxyName, on every metric of the alarm
    unit: str = ""

    def metrics(self) -> list[str]:
        return [self.metric] if self.metric else [metric for _, metric, _ in self.inputs]


_OPERATORS = {"LessThanThreshold": "<", "GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">="}


def condition(spec: AlarmSpec) -> str:
    """When it fires, in words: ``>= 90% in 5 of 5 minutes``, ``> 0 failures, 3 of 4 periods of 5 minutes``."""
    minutes = spec.period // 60
    if spec.periods == 1:
        evaluated = f"in {minutes} minutes"
    elif spec.period == m.PERIOD_SECONDS:
        evaluated = f"{spec.datapoints or spec.periods} of {spec.periods} minutes"
    else:
        evaluated = f"{spec.datapoints or spec.periods} of {spec.periods} periods of {minutes} minutes"
    return f"{_OPERATORS[spec.comparison]} {spec.threshold}{spec.unit}, {evaluated}"


# Availability: each proxy node health-checks the role's databases and the metric is the share
# that succeeded, averaged over the nodes (one node of four failing a minute's checks shows 75%:
# "RDS Proxy monitoring dashboard", rds-proxy-monitoring-dashboard.html). 3 of 5 minutes: one
# failover ("Failover times are typically 60-120 seconds", "Failing over a Multi-AZ DB instance";
# Multi-AZ DB clusters "typically under 35 seconds") stays below it; a database down for three
# minutes does not.
AVAILABILITY_WINDOW = (5, 3)
# A failover makes the proxy's attempts to open connections fail until the new writer answers:
# one to two minutes, which touches at most two 5-minute periods. 3 of 4 periods: a lasting cause
# (a secret, grants, the network, max_connections) fails in every period and fires within 15
# minutes; one failover never does, whatever the threshold.
DATABASE_FAILURES_WINDOW = (4, 3)
SATURATION_MINUTES = 5  # a burst of a minute or two is what the pool is for
PINNING_MINUTES = 15  # pinning comes from client code: a steady state, not a burst


def _availability(cfg: EnvConfig, role: str, who: str, whom: str, reason: str) -> AlarmSpec:
    periods, datapoints = AVAILABILITY_WINDOW
    return AlarmSpec(f"{who}-availability", f"The proxy cannot reach {whom} through health checks (TargetRole {role})",
                     "LessThanThreshold", cfg.monitoring.min_availability_percent, periods,
                     metric=m.AVAILABILITY, statistic="Average", datapoints=datapoints, unit="%",
                     extra_dimensions=role_dimensions(role), threshold_reason=reason)


def _saturation(cfg: EnvConfig, role: str, who: str, description: str, pool: str) -> AlarmSpec:
    allowed = ("allowed", m.MAX_DATABASE_CONNECTIONS, "Sum")
    return AlarmSpec(f"{who}-pool-saturation", description,
                     "GreaterThanOrEqualToThreshold", cfg.monitoring.pool_saturation_percent, SATURATION_MINUTES,
                     expression="100*connections/allowed", extra_dimensions=role_dimensions(role),
                     inputs=(("connections", m.DATABASE_CONNECTIONS, "Sum"), allowed), unit="% of allowed",
                     threshold_reason=f"pool_saturation_percent (default 90) of {pool} every minute for 5 "
                                      "minutes: beyond it requests wait for a connection (connection_borrow_timeout); "
                                      "a burst of a minute or two is what the pool absorbs")


def specs(cfg: EnvConfig) -> list[AlarmSpec]:
    """The alarms, each on the dimension set that measures what its name says
    (facts.monitoring.METRIC_DIMENSION_SETS): the pool and pinning on the writer's role, not
    ProxyName (which sums the writer with the readers, so a saturated writer looks half full
    beside idle readers); what clients see (latency, logins) and connection failures proxy-wide."""
    mon = cfg.monitoring
    writer = role_dimensions(m.READ_WRITE_ROLE)
    allowed = ("allowed", m.MAX_DATABASE_CONNECTIONS, "Sum")
    failures_periods, failures_datapoints = DATABASE_FAILURES_WINDOW
    readers = [_availability(
        cfg, m.READ_ONLY_ROLE, "reader", "the cluster's readers",
        "min_availability_percent (default 95), 3 of 5 minutes, as the writer's. The READ_ONLY role is "
        "averaged over the readers: with two, one reader down shows about 50%")] if readers_targeted(cfg) else []
    # The readers' pool is its own (MaxConnectionsPercent of each reader's max_connections, summed
    # over the readers like their connections): a saturated reader pool makes read-only clients
    # wait while the writer's looks idle.
    readers_saturation = [_saturation(
        cfg, m.READ_ONLY_ROLE, "reader", "Connections to the readers near what their pool may open "
        "(MaxConnectionsPercent)", "the readers' pool")] if readers_targeted(cfg) else []
    return [
        _availability(cfg, m.READ_WRITE_ROLE, "writer", "the writer",
                      "min_availability_percent (default 95), 3 of 5 minutes: one failover (typically 60-120 s) "
                      "stays below the window, a writer unreachable for three minutes does not"),
        *readers,
        _saturation(cfg, m.READ_WRITE_ROLE, "writer", "Connections to the writer near what its pool may open "
                    "(MaxConnectionsPercent)", "the writer's pool"),
        *readers_saturation,
        AlarmSpec("borrow-latency", "Requests wait long for a database connection (borrow timeout ahead)",
                  "GreaterThanThreshold", mon.borrow_latency_ms, 5, expression=f"latency/{m.MICROSECONDS_PER_MILLISECOND}",
                  inputs=(("latency", m.BORROW_LATENCY, "Average"),), unit=" ms",
                  threshold_reason="borrow_latency_ms, by default a tenth of connection_borrow_timeout (at least "
                                   "100 ms): a request that waits that long is on its way to a timeout. Proxy-wide: "
                                   "the metric is split by endpoint, not by role"),
        AlarmSpec("writer-session-pinning", "Many of the writer's connections pinned to one client: multiplexing is lost",
                  "GreaterThanOrEqualToThreshold", mon.pinned_percent, PINNING_MINUTES, expression="100*pinned/allowed",
                  inputs=(("pinned", m.SESSION_PINNED, "Sum"), allowed), unit="% of allowed", extra_dimensions=writer,
                  threshold_reason="pinned_percent (default 50) of the writer's pool for 15 minutes: pinning comes "
                                   "from what clients do (SET, temporary tables), a steady state; with half the pool "
                                   "pinned, the pool no longer absorbs bursts"),
        AlarmSpec("failed-logins", "Client logins fail (authentication or TLS misconfigured, or an attack)",
                  "GreaterThanThreshold", mon.failed_auth_per_5_minutes, 1, metric=m.FAILED_AUTH,
                  period=FIVE_MINUTES * 60, unit=" failed logins",
                  threshold_reason="failed_auth_per_5_minutes (default 10) in one 5-minute period: a mistyped "
                                   "password stays below it, a misconfigured client or a password-guessing run does not"),
        AlarmSpec("database-connection-failures", "The proxy cannot open database connections (secrets, "
                  "grants, network or max_connections)", "GreaterThanThreshold",
                  mon.database_setup_failures_per_5_minutes, failures_periods, metric=m.DATABASE_SETUP_FAILED,
                  period=FIVE_MINUTES * 60, datapoints=failures_datapoints, unit=" failures",
                  threshold_reason="more than database_setup_failures_per_5_minutes (default 0) in 3 of 4 periods of "
                                   "5 minutes: a failover's minute or two of failures touches two periods at most and "
                                   "does not fire; a lasting cause fails in every period and fires within 15 minutes"),
    ]


def _alarm(cfg: EnvConfig, spec: AlarmSpec) -> Alarm:
    actions = [topic_arn(cfg)]
    common: dict[str, Any] = dict(
        AlarmName=alarm_name(cfg, spec.what),
        AlarmDescription=f"RDS Proxy {cfg.proxy.name} ({cfg.environment}): {spec.description}.",
        ComparisonOperator=spec.comparison, Threshold=spec.threshold, EvaluationPeriods=spec.periods,
        DatapointsToAlarm=spec.datapoints or spec.periods, TreatMissingData="notBreaching",
        ActionsEnabled=True, AlarmActions=actions, OKActions=actions,
    )
    if spec.metric:
        common.update(Namespace=m.NAMESPACE, MetricName=spec.metric, Statistic=spec.statistic,
                      Period=spec.period, Dimensions=_dimensions(spec.extra_dimensions))
    else:
        common["Metrics"] = [*(_stat(*i, spec.extra_dimensions) for i in spec.inputs),
                             MetricDataQuery(Id="value", Expression=spec.expression, ReturnData=True,
                                             Label=spec.what)]
    return Alarm(names.alarm(spec.what), **common, **suppressed(NAMED_ALARM))


def build_alarms(cfg: EnvConfig) -> list[Alarm]:
    if not cfg.monitoring.alarms:
        return []
    return [_alarm(cfg, spec) for spec in specs(cfg)]

