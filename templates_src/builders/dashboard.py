"""A CloudWatch dashboard per proxy with the metrics its alarms watch, and the traffic around them.

The body is one Fn::Sub of compact JSON naming the proxy by ``${Proxy}`` (Ref of the proxy is its
name) and the region by ``${AWS::Region}``: the same text for every env of one shape, and small
(templates stay under CloudFormation's 51,200-byte body limit). Widget JSON: "Dashboard Body
Structure and Syntax", https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html

Its name carries the region: dashboards are one namespace per account (monitoring_facts).
"""

from __future__ import annotations

import json

from troposphere import Sub
from troposphere.cloudwatch import Dashboard

from ..facts import aws as facts
from ..facts import monitoring as m
from ..config.schema.model import EnvConfig
from . import names

WIDTH, HEIGHT, COLUMNS = 8, 6, 3
_PROXY = [m.PROXY_DIMENSION, "${Proxy}"]
_WRITER = (m.TARGET_GROUP_DIMENSION, facts.PROXY_TARGET_GROUP_NAME, m.TARGET_ROLE_DIMENSION, m.READ_WRITE_ROLE)
_READERS = (m.TARGET_GROUP_DIMENSION, facts.PROXY_TARGET_GROUP_NAME, m.TARGET_ROLE_DIMENSION, m.READ_ONLY_ROLE)

# (title, [(metric, statistic, extra dimensions)]): the writer's and the readers' lines where the
# alarms watch a role (a proxy without readers has no READ_ONLY data: that line stays empty, and
# the body stays one text for every env).
_WIDGETS: tuple[tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    ("Availability % (writer, readers)", ((m.AVAILABILITY, "Average", _WRITER), (m.AVAILABILITY, "Average", _READERS))),
    ("Writer: database connections / allowed", ((m.DATABASE_CONNECTIONS, "Sum", _WRITER),
                                                (m.MAX_DATABASE_CONNECTIONS, "Sum", _WRITER))),
    ("Borrow latency (us)", ((m.BORROW_LATENCY, "Average", ()),)),
    ("Session-pinned connections (writer, readers)", ((m.SESSION_PINNED, "Sum", _WRITER), (m.SESSION_PINNED, "Sum", _READERS))),
    ("Failed logins / database connection failures", ((m.FAILED_AUTH, "Sum", ()),
                                                      (m.DATABASE_SETUP_FAILED, "Sum", ()))),
    ("Client connections / query latency (us)", ((m.CLIENT_CONNECTIONS, "Sum", ()),
                                                 (m.QUERY_RESPONSE_LATENCY, "Average", ()))),
)


def dashboard_name(cfg: EnvConfig) -> str:
    """The name in the env's region, for documents (the template writes ``name_sub``)."""
    return m.DASHBOARD_NAME_FORMAT.format(proxy_name=cfg.proxy.name, region=cfg.region)


def name_sub(cfg: EnvConfig) -> Sub:
    """The name with ``${AWS::Region}``: one template text for every region it is deployed in
    (stack set instances, product launches)."""
    return Sub(m.DASHBOARD_NAME_FORMAT.format(proxy_name=cfg.proxy.name, region="${AWS::Region}"))


def body_text() -> str:
    widgets = []
    for index, (title, metrics) in enumerate(_WIDGETS):
        widgets.append({
            "type": "metric", "x": index % COLUMNS * WIDTH, "y": index // COLUMNS * HEIGHT,
            "width": WIDTH, "height": HEIGHT,
            "properties": {"title": title, "region": "${AWS::Region}", "period": m.PERIOD_SECONDS,
                           "view": "timeSeries",
                           "metrics": [[m.NAMESPACE, metric, *_PROXY, *extra, {"stat": stat}]
                                       for metric, stat, extra in metrics]},
        })
    return json.dumps({"widgets": widgets}, separators=(",", ":"), sort_keys=True)


def build_dashboard(cfg: EnvConfig) -> Dashboard:
    return Dashboard(names.DASHBOARD, DashboardName=name_sub(cfg), DashboardBody=Sub(body_text()))
