"""Aurora Serverless v2 (db.serverless) in the connection budget: AWS's table by maximum ACU, the
target.serverless_max_acu rules, the budget's words, status's live value and the example env."""

from __future__ import annotations

from typing import Any

import pytest

from templates_src.config import ParamsErrors, budget
from templates_src.facts import connections as facts
from templates_src.facts.aws import EngineFamily
from templates_src.status.database import live_max_connections

from builders.envs import CLUSTER, POSTGRES, make_cfg
from conftest import example_configs, example_files

pytestmark = pytest.mark.unit

SERVERLESS = {"target": {"instance_class": "db.serverless"}}


def _acu(value: float) -> dict[str, Any]:
    return {"target": {"serverless_max_acu": value}}


@pytest.mark.parametrize("engine, max_acu, expected", [
    # The rows of "Maximum connections for Aurora Serverless v2" (Aurora User Guide)
    (EngineFamily.MYSQL, 1, (90, 1)),
    (EngineFamily.POSTGRESQL, 1, (189, 1)),
    (EngineFamily.MYSQL, 8, (1000, 8)),
    (EngineFamily.POSTGRESQL, 4, (823, 4)),
    (EngineFamily.POSTGRESQL, 16, (3360, 16)),
    (EngineFamily.MYSQL, 128, (5000, 128)),
    # Between rows, and above the last: the row below, a documented lower bound
    (EngineFamily.POSTGRESQL, 6.5, (823, 4)),
    (EngineFamily.MYSQL, 40.5, (3000, 32)),
    (EngineFamily.POSTGRESQL, 256, (5000, 128)),
])
def test_serverless_max_connections_by_maximum_acu(engine, max_acu, expected):
    assert facts.serverless_max_connections(engine, max_acu) == expected


def test_the_table_holds_data_only_for_the_documented_rows():
    assert sorted(facts.AURORA_SERVERLESS_V2_MAX_CONNECTIONS) == [1, 4, 8, 16, 32, 64, 128]
    with pytest.raises(KeyError):
        facts.serverless_max_connections(EngineFamily.SQLSERVER, 16)
    with pytest.raises(KeyError):
        facts.serverless_max_connections(EngineFamily.MYSQL, 0.5)
    with pytest.raises(KeyError):  # no class memory: its size comes from the maximum ACU
        facts.default_max_connections(EngineFamily.POSTGRESQL, True, "db.serverless")


def test_db_serverless_is_a_known_class_of_clusters_only():
    assert "db.serverless" in facts.known_instance_classes(EngineFamily.MYSQL, cluster=True)
    assert "db.serverless" in facts.known_instance_classes(EngineFamily.POSTGRESQL, cluster=True)
    assert "db.serverless" not in facts.known_instance_classes(EngineFamily.POSTGRESQL, cluster=False)


def test_the_budget_follows_the_maximum_acu_and_says_it_does_not_move_as_the_cluster_scales():
    cfg = make_cfg(POSTGRES, CLUSTER, SERVERLESS, _acu(16), {"pool": {"max_connections_percent": 50}})
    assert cfg.target.serverless_max_acu == 16.0
    b = budget.budget(cfg)
    assert (b.max_connections, b.pool, b.idle) == (3360, 1680, 840)
    assert b.source == "Aurora PostgreSQL Serverless v2 default for a maximum of 16 ACU"
    assert "from the maximum ACU, not the current capacity" in b.scaling
    assert "stay the same as the cluster scales" in b.scaling
    [line] = budget.summary_lines([cfg])
    assert line == (f"budget cluster orders-test-aurora (eu-west-1): test 50% = 1680 of 3360 connections (50%); "
                    f"{b.scaling}")


def test_a_maximum_between_rows_names_the_row_it_uses():
    b = budget.budget(make_cfg(CLUSTER, SERVERLESS, _acu(24.5)))
    assert (b.max_connections, b.source) == (
        2000, "Aurora MySQL Serverless v2 default for a maximum of 24.5 ACU (AWS's row for 16 ACU, a lower bound)")


def test_the_parameter_group_value_wins_and_a_provisioned_class_says_nothing_of_scaling():
    b = budget.budget(make_cfg(POSTGRES, CLUSTER, SERVERLESS, {"target": {"max_connections": 2000}}))
    assert (b.max_connections, b.source) == (2000, "target.max_connections")
    assert b.scaling  # still db.serverless: max_connections is held constant all the same
    provisioned = budget.budget(make_cfg(CLUSTER, {"target": {"instance_class": "db.r6g.large"}}))
    assert provisioned.scaling == ""
    assert budget.summary_lines([make_cfg(CLUSTER, {"target": {"instance_class": "db.r6g.large"}})]) == [
        "budget cluster orders-test-aurora (eu-west-1): test 100% = 1000 of 1000 connections (100%)"]


@pytest.mark.parametrize("overrides, message", [
    ([CLUSTER, SERVERLESS], r"target\.instance_class: 'db\.serverless': give target\.serverless_max_acu"),
    ([SERVERLESS], r"'db\.serverless' is Aurora Serverless v2: it needs a cluster target"),
    ([{"target": {"instance_class": "db.r6g.large"}}, _acu(16)],
     r"target\.serverless_max_acu: only for an Aurora cluster"),
    ([CLUSTER, {"target": {"instance_class": "db.r6g.large"}}, _acu(16)],
     r"target\.serverless_max_acu: only with target\.instance_class db\.serverless"),
    ([CLUSTER, SERVERLESS, _acu(300)], r"target\.serverless_max_acu: 300 is out of range \(allowed: 1\.\.256\)"),
    ([CLUSTER, SERVERLESS, _acu(2.25)], r"target\.serverless_max_acu: 2\.25 is not allowed \(allowed: steps of 0\.5\)"),
    ([CLUSTER, SERVERLESS, _acu(True)], r"target\.serverless_max_acu: expected a number"),
])
def test_refused(overrides, message):
    with pytest.raises(ParamsErrors, match=message):
        make_cfg(*overrides)


def test_accepted_edges():
    assert make_cfg(CLUSTER, SERVERLESS, _acu(1)).target.serverless_max_acu == 1.0
    assert make_cfg(CLUSTER, SERVERLESS, _acu(256)).target.serverless_max_acu == 256.0
    assert make_cfg(CLUSTER, SERVERLESS, _acu(0.5 + 40)).target.serverless_max_acu == 40.5
    assert make_cfg(CLUSTER, SERVERLESS, {"target": {"max_connections": 900}}).target.serverless_max_acu is None


class _Rds:
    """DescribeDBClusters, DescribeDBInstances and DescribeDBParameters of one serverless writer."""

    def __init__(self, max_acu: float | None, formula: str = "LEAST({DBInstanceClassMemory/9531392},5000)"):
        self.max_acu, self.formula = max_acu, formula

    def describe_db_clusters(self, **_: Any) -> dict[str, Any]:
        scaling = {} if self.max_acu is None else {"ServerlessV2ScalingConfiguration": {"MinCapacity": 1.0,
                                                                                         "MaxCapacity": self.max_acu}}
        return {"DBClusters": [{"DBClusterMembers": [{"DBInstanceIdentifier": "w", "IsClusterWriter": True}],
                                **scaling}]}

    def describe_db_instances(self, **_: Any) -> dict[str, Any]:
        return {"DBInstances": [{"DBInstanceClass": "db.serverless",
                                 "DBParameterGroups": [{"DBParameterGroupName": "default.aurora-postgresql16"}]}]}

    def describe_db_parameters(self, **_: Any) -> dict[str, Any]:
        return {"Parameters": [{"ParameterName": "max_connections", "ParameterValue": self.formula}]}


def test_status_reads_the_clusters_maximum_acu_for_db_serverless():
    cfg = make_cfg(POSTGRES, CLUSTER, SERVERLESS, _acu(16))
    live = live_max_connections(_Rds(16.0), cfg)
    assert (live.value, live.source, live.instance_class) == (3360, "db.serverless default for a maximum of 16 ACU",
                                                             "db.serverless")
    assert live.value == budget.budget(cfg).max_connections
    assert live_max_connections(_Rds(None), cfg).value is None
    assert live_max_connections(_Rds(16.0, formula="1200"), cfg).value == 1200  # the group's own number


def test_the_serverless_example_builds_with_its_budget_line():
    cfg = example_configs()["events"]
    assert (cfg.target.instance_class, cfg.target.serverless_max_acu) == ("db.serverless", 16.0)
    assert budget.budget(cfg).max_connections == 3360
    deploy = example_files()["events/DEPLOY.md"]
    assert "| 3360 (Aurora PostgreSQL Serverless v2 default for a maximum of 16 ACU) | 2520 (75%) |" in deploy
    assert "it and the proxy's share stay the same as the cluster scales" in deploy
