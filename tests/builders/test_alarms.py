"""Alarms, the alarm topic, the dashboard, and the key policy statement that lets CloudWatch
publish to the encrypted topic."""

from __future__ import annotations

import json
import re

import pytest

from templates_src.facts import monitoring as m
from templates_src.builders import names
from templates_src.builders.stack import build_template

from .envs import CLIENT_SG, CLUSTER, KEY_ARN, OWN_KEY, POSTGRES, PROXY_NAME, SUBNETS, make_cfg

pytestmark = pytest.mark.unit

TOPIC_ARN = "arn:aws:sns:eu-west-1:111122223333:ops-alarms"
ALARM_WAIVER = {"monitoring": {"alarms": False}, "waivers": {"alarms": "scratch stack, nobody is paged for it"}}


def _body(*overrides):
    return build_template(make_cfg(*overrides)).to_dict()


def _of_type(body, resource_type):
    return {k: r for k, r in body["Resources"].items() if r["Type"] == resource_type}


def _key_statements(body):
    return {s["Sid"]: s for s in body["Resources"][names.KEY]["Properties"]["KeyPolicy"]["Statement"]}


def test_every_alarm_notifies_the_created_topic_and_ignores_missing_data():
    body = _body()
    alarms = _of_type(body, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 6
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": names.ALARM_TOPIC}] == props["OKActions"]
        assert props["ActionsEnabled"] is True  # Control Tower CT.CLOUDWATCH.PR.1
        assert props["TreatMissingData"] == "notBreaching"
        # The key policy's aws:SourceArn names alarms <proxy>-*: every alarm must match it.
        assert props["AlarmName"].startswith(PROXY_NAME + "-")
    topic = body["Resources"][names.ALARM_TOPIC]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [names.KEY, "Arn"]}


def test_cloudwatch_may_use_the_key_only_for_this_proxys_alarms():
    statement = _key_statements(_body())["AlarmTopicEncryption"]
    assert statement["Principal"] == {"Service": [m.CLOUDWATCH_SERVICE_PRINCIPAL]}
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    condition = statement["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert condition["ArnLike"] == {"aws:SourceArn": {"Fn::Sub": m.ALARM_ARN_SUB % PROXY_NAME}}


def test_a_given_topic_replaces_the_created_one_and_its_key_statement():
    body = _body({"monitoring": {"alarm_topic_arn": TOPIC_ARN}})
    assert names.ALARM_TOPIC not in body["Resources"]
    assert "AlarmTopicEncryption" not in _key_statements(body)
    for alarm in _of_type(body, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [TOPIC_ARN]


def test_with_the_envs_own_key_the_topic_uses_it():
    body = _body(OWN_KEY)
    assert body["Resources"][names.ALARM_TOPIC]["Properties"]["KmsMasterKeyId"] == KEY_ARN


def test_waived_alarms_leave_the_dashboard_and_record_the_reason():
    body = _body(ALARM_WAIVER)
    assert not _of_type(body, "AWS::CloudWatch::Alarm") and names.ALARM_TOPIC not in body["Resources"]
    assert "AlarmTopicEncryption" not in _key_statements(body)
    assert names.DASHBOARD in body["Resources"]
    assert body["Metadata"]["RdsProxyCfn"]["Waivers"]["alarms"] == ALARM_WAIVER["waivers"]["alarms"]


@pytest.mark.parametrize("timeout, expected", [(120, 12000), (30, 3000), (0, 100), (1, 100)])
def test_borrow_latency_threshold_defaults_to_a_tenth_of_the_borrow_timeout(timeout, expected):
    cfg = make_cfg({"pool": {"connection_borrow_timeout": timeout}})
    assert cfg.monitoring.borrow_latency_ms == expected
    alarm = build_template(cfg).to_dict()["Resources"][names.alarm("borrow-latency")]["Properties"]
    assert alarm["Threshold"] == expected
    # The metric is in microseconds; the alarm compares milliseconds.
    assert [q["Expression"] for q in alarm["Metrics"] if "Expression" in q] == ["latency/1000"]


def test_a_given_threshold_wins_over_the_derived_one():
    cfg = make_cfg({"pool": {"connection_borrow_timeout": 30}, "monitoring": {"borrow_latency_ms": 750}})
    assert cfg.monitoring.borrow_latency_ms == 750


def test_availability_is_watched_on_the_writer_role_of_the_target_group():
    props = _body(CLUSTER)["Resources"][names.alarm("writer-availability")]["Properties"]
    dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
    assert dims == {"ProxyName": {"Ref": names.PROXY}, "TargetGroup": "default", "TargetRole": "READ_WRITE"}
    assert props["Statistic"] == "Average" and props["MetricName"] == m.AVAILABILITY


READ_ONLY_ENDPOINT = {**CLUSTER, "target": {**CLUSTER["target"], "read_only_endpoint": True}}
READ_ONLY_EXTRA_ENDPOINT = {**CLUSTER, "endpoints": [{"name": "orders-test-reports", "target_role": "READ_ONLY",
                                                       "subnet_ids": SUBNETS, "client_security_group_ids": [CLIENT_SG]}]}


@pytest.mark.parametrize("overrides, readers", [((), False), ((CLUSTER,), False), ((READ_ONLY_ENDPOINT,), True),
                                                ((READ_ONLY_EXTRA_ENDPOINT,), True)])
def test_readers_availability_is_alarmed_where_an_endpoint_sends_clients_to_them(overrides, readers):
    resources = _body(*overrides)["Resources"]
    assert (names.alarm("reader-availability") in resources) is readers
    if readers:
        props = resources[names.alarm("reader-availability")]["Properties"]
        dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dims == {"ProxyName": {"Ref": names.PROXY}, "TargetGroup": "default", "TargetRole": "READ_ONLY"}
        assert props["AlarmName"] == f"{PROXY_NAME}-reader-availability"
        writer = resources[names.alarm("writer-availability")]["Properties"]
        assert (props["Threshold"], props["EvaluationPeriods"], props["DatapointsToAlarm"]) == \
            (writer["Threshold"], writer["EvaluationPeriods"], writer["DatapointsToAlarm"])


@pytest.mark.parametrize("overrides, readers", [((), False), ((CLUSTER,), False), ((READ_ONLY_ENDPOINT,), True),
                                                ((READ_ONLY_EXTRA_ENDPOINT,), True)])
def test_the_readers_pool_is_alarmed_on_its_own_where_clients_use_it(overrides, readers):
    """The readers' pool (READ_ONLY: their connections over what their pool may open, both summed
    over the readers) saturates while the writer's looks idle: its own alarm, on its own role."""
    resources = _body(*overrides)["Resources"]
    assert (names.alarm("reader-pool-saturation") in resources) is readers
    if readers:
        props = resources[names.alarm("reader-pool-saturation")]["Properties"]
        writer = resources[names.alarm("writer-pool-saturation")]["Properties"]
        roles = {d["Value"] for q in props["Metrics"] if "MetricStat" in q
                 for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "TargetRole"}
        assert roles == {"READ_ONLY"}
        assert props["AlarmName"] == f"{PROXY_NAME}-reader-pool-saturation"
        assert (props["Threshold"], props["EvaluationPeriods"]) == (writer["Threshold"], writer["EvaluationPeriods"])


def test_one_failover_does_not_fire_the_database_connection_failures_alarm():
    props = _body()["Resources"][names.alarm("database-connection-failures")]["Properties"]
    # A failover's failures (60-120 s) touch at most two 5-minute periods; the alarm needs three of four.
    assert props["Period"] == 300
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (4, 3)
    failover_seconds = 120  # "Failover times are typically 60-120 seconds" (Concepts.MultiAZ.Failover)
    most_periods_touched = -(-failover_seconds // props["Period"]) + 1  # a burst straddling a boundary
    assert most_periods_touched < props["DatapointsToAlarm"]


def test_saturation_and_pinning_are_shares_of_what_the_pool_may_open():
    body = _body({"monitoring": {"pool_saturation_percent": 70, "pinned_percent": 25}})
    for what, metric, threshold in (("writer-pool-saturation", m.DATABASE_CONNECTIONS, 70),
                                    ("writer-session-pinning", m.SESSION_PINNED, 25)):
        props = body["Resources"][names.alarm(what)]["Properties"]
        metrics = {q["Id"]: q for q in props["Metrics"]}
        # The writer's pool: connections and what it may open on TargetRole READ_WRITE, not
        # ProxyName (which adds the readers' connections and allowances).
        for query in metrics.values():
            if "MetricStat" in query:
                dims = {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]}
                assert dims["TargetRole"] == "READ_WRITE" and dims["TargetGroup"] == "default"
        assert metrics["allowed"]["MetricStat"]["Metric"]["MetricName"] == m.MAX_DATABASE_CONNECTIONS
        assert any(q.get("MetricStat", {}).get("Metric", {}).get("MetricName") == metric for q in metrics.values())
        assert [q["Id"] for q in props["Metrics"] if q["ReturnData"]] == ["value"]
        assert props["Threshold"] == threshold


def test_the_dashboard_is_json_naming_the_proxy_and_the_same_for_every_env():
    bodies = [_body(*o)["Resources"][names.DASHBOARD]["Properties"] for o in ((), (POSTGRES,), (CLUSTER,))]
    texts = {b["DashboardBody"]["Fn::Sub"] for b in bodies}
    assert len(texts) == 1
    text = texts.pop()
    assert set(re.findall(r"\$\{([^}]*)\}", text)) == {"Proxy", "AWS::Region"}
    widgets = json.loads(text)["widgets"]
    shown = {metric[1] for w in widgets for metric in w["properties"]["metrics"]}
    alarmed = {m.AVAILABILITY, m.DATABASE_CONNECTIONS, m.MAX_DATABASE_CONNECTIONS, m.BORROW_LATENCY,
               m.SESSION_PINNED, m.FAILED_AUTH, m.DATABASE_SETUP_FAILED}
    assert alarmed <= shown
    # Dashboards are global to the account: the name carries the region it is deployed in.
    assert bodies[0]["DashboardName"] == {"Fn::Sub": f"rds-proxy-{PROXY_NAME}-${{AWS::Region}}"}
