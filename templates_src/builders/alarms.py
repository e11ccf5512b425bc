"""CloudWatch alarms on the proxy's metrics, and the SNS topic they notify.

Why each alarm exists is in the README ("Alarms and dashboard"); metric names, dimensions and
statistics are in monitoring_facts. Missing data is not breaching: RDS Proxy publishes some
metrics only after its first successful connection (RDS Proxy monitoring doc), and a new, unused
proxy is not an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import Ref
from troposphere.cloudwatch import Alarm, Metric, MetricDataQuery, MetricDimension, MetricStat
from troposphere.sns import Topic

from .. import aws_facts as facts
from .. import monitoring_facts as m
from ..config.model import EnvConfig
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


def _dimensions(*extra: tuple[str, str]) -> list[MetricDimension]:
    return [MetricDimension(Name=m.PROXY_DIMENSION, Value=Ref(names.PROXY)),
            *(MetricDimension(Name=name, Value=value) for name, value in extra)]


def _stat(query_id: str, metric: str, stat: str) -> MetricDataQuery:
    return MetricDataQuery(Id=query_id, ReturnData=False, MetricStat=MetricStat(
        Metric=Metric(Namespace=m.NAMESPACE, MetricName=metric, Dimensions=_dimensions()),
        Period=m.PERIOD_SECONDS, Stat=stat))


@dataclass(frozen=True)
class AlarmSpec:
    what: str  # the alarm name's suffix
    description: str
    comparison: str
    threshold: Any
    periods: int  # evaluated minutes; datapoints: all of them unless ``datapoints``
    metric: str | None = None  # a plain metric, or
    statistic: str = "Sum"
    period: int = m.PERIOD_SECONDS
    expression: str | None = None  # metric math over ``inputs`` (id, metric, statistic)
    inputs: tuple[tuple[str, str, str], ...] = ()
    datapoints: int | None = None
    extra_dimensions: tuple[tuple[str, str], ...] = ()
    unit: str = ""


_OPERATORS = {"LessThanThreshold": "<", "GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">="}


def condition(spec: AlarmSpec) -> str:
    """When it fires, in words: ``>= 90% in 5 of 5 minutes``."""
    minutes = spec.periods * spec.period // 60
    evaluated = f"{spec.datapoints or spec.periods} of {spec.periods} minutes" if spec.period == m.PERIOD_SECONDS \
        else f"in {minutes} minutes"
    return f"{_OPERATORS[spec.comparison]} {spec.threshold}{spec.unit}, {evaluated}"


def specs(cfg: EnvConfig) -> list[AlarmSpec]:
    mon = cfg.monitoring
    allowed = ("allowed", m.MAX_DATABASE_CONNECTIONS, "Sum")
    return [
        AlarmSpec("availability", "The proxy cannot reach its database (writer) through health checks",
                  "LessThanThreshold", mon.min_availability_percent, 5, metric=m.AVAILABILITY,
                  statistic="Average", datapoints=3, unit="%",
                  extra_dimensions=((m.TARGET_GROUP_DIMENSION, facts.PROXY_TARGET_GROUP_NAME),
                                    (m.TARGET_ROLE_DIMENSION, m.READ_WRITE_ROLE))),
        AlarmSpec("pool-saturation", "Database connections near what the pool may open (MaxConnectionsPercent)",
                  "GreaterThanOrEqualToThreshold", mon.pool_saturation_percent, 5,
                  expression="100*connections/allowed",
                  inputs=(("connections", m.DATABASE_CONNECTIONS, "Sum"), allowed), unit="% of allowed"),
        AlarmSpec("borrow-latency", "Requests wait long for a database connection (borrow timeout ahead)",
                  "GreaterThanThreshold", mon.borrow_latency_ms, 5, expression=f"latency/{m.MICROSECONDS_PER_MILLISECOND}",
                  inputs=(("latency", m.BORROW_LATENCY, "Average"),), unit=" ms"),
        AlarmSpec("session-pinning", "Many connections pinned to one client: multiplexing is lost",
                  "GreaterThanOrEqualToThreshold", mon.pinned_percent, 15, expression="100*pinned/allowed",
                  inputs=(("pinned", m.SESSION_PINNED, "Sum"), allowed), unit="% of allowed"),
        AlarmSpec("failed-logins", "Client logins fail (authentication or TLS misconfigured, or an attack)",
                  "GreaterThanThreshold", mon.failed_auth_per_5_minutes, 1, metric=m.FAILED_AUTH,
                  period=FIVE_MINUTES * 60, unit=" failed logins"),
        AlarmSpec("database-connection-failures", "The proxy cannot open database connections (secrets, "
                  "grants, network or max_connections)", "GreaterThanThreshold",
                  mon.database_setup_failures_per_5_minutes, 1, metric=m.DATABASE_SETUP_FAILED,
                  period=FIVE_MINUTES * 60, unit=" failures"),
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
                      Period=spec.period, Dimensions=_dimensions(*spec.extra_dimensions))
    else:
        common["Metrics"] = [*(_stat(*i) for i in spec.inputs),
                             MetricDataQuery(Id="value", Expression=spec.expression, ReturnData=True,
                                             Label=spec.what)]
    return Alarm(names.alarm(spec.what), **common, **suppressed(NAMED_ALARM))


def build_alarms(cfg: EnvConfig) -> list[Alarm]:
    if not cfg.monitoring.alarms:
        return []
    return [_alarm(cfg, spec) for spec in specs(cfg)]

