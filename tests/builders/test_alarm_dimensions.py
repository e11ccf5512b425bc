"""Every alarm and dashboard line reads a metric on a dimension set AWS publishes it on.

monitoring_facts.METRIC_DIMENSION_SETS is the table of "Monitoring RDS Proxy metrics with Amazon
CloudWatch" (rds-proxy.monitoring.html). A metric asked for on a set it is not published on has no
data, and an alarm that ignores missing data (``notBreaching``) never fires: these tests are what
keeps such an alarm from passing every other check.
"""

from __future__ import annotations

import json

import pytest

from templates_src.facts import monitoring as m
from templates_src.builders import alarms, names
from templates_src.catalog.product import product_body
from templates_src.builders.stack import build_template

from conftest import example_configs
from .envs import CLUSTER, make_cfg

pytestmark = pytest.mark.unit

READERS = {**CLUSTER, "target": {**CLUSTER["target"], "read_only_endpoint": True}}
ROLES = {"writer": m.READ_WRITE_ROLE, "reader": m.READ_ONLY_ROLE}


def _alarm_metrics(props: dict) -> list[tuple[str, dict]]:
    """(metric, {dimension: value}) of every metric an alarm reads."""
    if "MetricName" in props:
        return [(props["MetricName"], {d["Name"]: d["Value"] for d in props.get("Dimensions", [])})]
    return [(q["MetricStat"]["Metric"]["MetricName"], {d["Name"]: d["Value"] for d in q["MetricStat"]["Metric"]["Dimensions"]})
            for q in props["Metrics"] if "MetricStat" in q]


def _alarms(body: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in body["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _check(alarm_id: str, props: dict) -> None:
    read = _alarm_metrics(props)
    assert read, alarm_id
    for metric, dimensions in read:
        found = m.dimension_set(set(dimensions))
        assert found in m.METRIC_DIMENSION_SETS[metric], \
            f"{alarm_id}: {metric} on {sorted(dimensions)}, published on {m.METRIC_DIMENSION_SETS[metric]}"
    # A ratio divides series of one scope: both on the writer's role, or both proxy-wide.
    assert len({tuple(sorted((k, json.dumps(v)) for k, v in d.items())) for _, d in read}) == 1, alarm_id


def _bodies() -> list[tuple[str, dict]]:
    envs = [(name, build_template(cfg).to_dict()) for name, cfg in sorted(example_configs().items())]
    variants = [(label, build_template(make_cfg(*o)).to_dict()) for label, o in
                (("instance", ()), ("cluster", (CLUSTER,)), ("readers", (READERS,)))]
    return [*envs, *variants, ("product", product_body())]


@pytest.mark.parametrize("label, body", _bodies(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_alarm_reads_its_metrics_on_a_published_dimension_set(label, body):
    found = _alarms(body)
    assert found, label
    for alarm_id, props in found.items():
        _check(alarm_id, props)


@pytest.mark.parametrize("label, body", _bodies(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_writer_or_reader_alarm_reads_that_role_only(label, body):
    for props in _alarms(body).values():
        what = json.dumps(props["AlarmName"]).split("-")
        role = next((ROLES[w] for w in what if w in ROLES), None)
        if role is None:
            continue
        for _, dimensions in _alarm_metrics(props):
            assert dimensions[m.TARGET_ROLE_DIMENSION] == role, props["AlarmName"]
            assert dimensions[m.TARGET_GROUP_DIMENSION] == "default"


def test_every_dashboard_line_reads_a_published_dimension_set():
    for line in json.loads(build_template(make_cfg()).to_dict()["Resources"][names.DASHBOARD]["Properties"]
                           ["DashboardBody"]["Fn::Sub"])["widgets"]:
        for metric_line in line["properties"]["metrics"]:
            namespace, metric, *pairs, _options = metric_line
            dimensions = dict(zip(pairs[::2], pairs[1::2]))
            assert namespace == m.NAMESPACE
            assert m.dimension_set(set(dimensions)) in m.METRIC_DIMENSION_SETS[metric], (metric, dimensions)


def test_the_table_knows_every_metric_it_is_asked_about():
    specs = alarms.specs(make_cfg(READERS))
    assert {metric for spec in specs for metric in spec.metrics()} <= set(m.METRIC_DIMENSION_SETS)
    # AvailabilityPercentage exists only per target group and role: never proxy-wide.
    assert m.METRIC_DIMENSION_SETS[m.AVAILABILITY] == {m.DimensionSet.TARGET_ROLE}


def test_the_product_alarms_readers_only_when_launched_with_its_read_only_endpoint():
    body = product_body()
    condition = body["Resources"][names.alarm("reader-availability")]["Condition"]
    assert body["Conditions"][condition] == {"Fn::And": [{"Condition": "HasReadOnlyEndpoint"}, {"Condition": "HasAlarms"}]}
