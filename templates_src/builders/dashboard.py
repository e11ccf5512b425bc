"""A CloudWatch dashboard per proxy with the metrics its alarms watch, and the traffic around them.

The body is one Fn::Sub of compact JSON naming the proxy by ``${Proxy}`` (Ref of the proxy is its
name) and the region by ``${AWS::Region}``: the same text for every env of one shape, and small
(templates stay under CloudFormation's 51,200-byte body limit). Widget JSON: "Dashboard Body
Structure and Syntax", https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import json

from troposphere import Sub
from troposphere.cloudwatch import Dashboard

from .. import aws_facts as facts
from .. import monitoring_facts as m
from ..config.model import EnvConfig
from . import names

WIDTH, HEIGHT, COLUMNS = 8, 6, 3
_PROXY = [m.PROXY_DIMENSION, "${Proxy}"]

# (title, [(metric, statistic, extra dimensions)], unit label)
_WIDGETS: tuple[tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    ("Availability % (writer)", ((m.AVAILABILITY, "Average",
                                  (m.TARGET_GROUP_DIMENSION, facts.PROXY_TARGET_GROUP_NAME,
                                   m.TARGET_ROLE_DIMENSION, m.READ_WRITE_ROLE)),)),
    ("Database connections / allowed", ((m.DATABASE_CONNECTIONS, "Sum", ()), (m.MAX_DATABASE_CONNECTIONS, "Sum", ()))),
    ("Borrow latency (us)", ((m.BORROW_LATENCY, "Average", ()),)),
    ("Session-pinned connections", ((m.SESSION_PINNED, "Sum", ()),)),
    ("Failed logins / database connection failures", ((m.FAILED_AUTH, "Sum", ()),
                                                      (m.DATABASE_SETUP_FAILED, "Sum", ()))),
    ("Client connections / query latency (us)", ((m.CLIENT_CONNECTIONS, "Sum", ()),
                                                 (m.QUERY_RESPONSE_LATENCY, "Average", ()))),
)


def dashboard_name(cfg: EnvConfig) -> str:
    return m.DASHBOARD_NAME_FORMAT.format(proxy_name=cfg.proxy.name)


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
    return Dashboard(names.DASHBOARD, DashboardName=dashboard_name(cfg), DashboardBody=Sub(body_text()))
