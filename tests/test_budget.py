"""The connection budget: the engines' default max_connections, what a proxy may open, and the
summary line per database."""

from __future__ import annotations

import pytest

from templates_src.config import budget
from templates_src.facts import connections as facts
from templates_src.facts.aws import EngineFamily

from builders.envs import CLUSTER, POSTGRES, SQLSERVER, load_cfg, make_cfg, merged

pytestmark = pytest.mark.unit

GIB = 1024 ** 3


@pytest.mark.parametrize("engine, cluster, instance_class, expected", [
    # {DBInstanceClassMemory/12582880}: 4 GiB / 12,582,880 bytes
    (EngineFamily.MYSQL, False, "db.t4g.medium", 4 * GIB // 12_582_880),
    (EngineFamily.MYSQL, False, "db.m6g.large", 8 * GIB // 12_582_880),
    # LEAST({DBInstanceClassMemory/9531392},5000): under the cap, then capped
    (EngineFamily.POSTGRESQL, False, "db.r6g.xlarge", 32 * GIB // 9_531_392),
    (EngineFamily.POSTGRESQL, True, "db.r6g.large", 16 * GIB // 9_531_392),
    (EngineFamily.POSTGRESQL, False, "db.r6g.4xlarge", 5000),
    # Aurora MySQL: the documented table
    (EngineFamily.MYSQL, True, "db.r6g.large", 1000),
    (EngineFamily.MYSQL, True, "db.r5.24xlarge", 7000),
    (EngineFamily.MYSQL, True, "db.t3.medium", 90),
    (EngineFamily.SQLSERVER, False, "db.m5.xlarge", 32_767),
])
def test_default_max_connections(engine, cluster, instance_class, expected):
    assert facts.default_max_connections(engine, cluster, instance_class) == expected


def test_classes_aurora_mysql_has_no_figure_for_are_not_guessed():
    assert "db.m5.large" not in facts.known_instance_classes(EngineFamily.MYSQL, cluster=True)
    with pytest.raises(KeyError):
        facts.default_max_connections(EngineFamily.MYSQL, True, "db.m5.large")


def test_a_proxy_opens_its_share_and_keeps_its_idle_share():
    cfg = make_cfg({"target": {"instance_class": "db.t4g.medium"},
                    "pool": {"max_connections_percent": 50, "max_idle_connections_percent": 10}})
    b = budget.budget(cfg)
    assert (b.max_connections, b.pool, b.idle) == (341, 170, 34)
    assert b.source == "MYSQL default for db.t4g.medium"


def test_the_parameter_group_value_wins_over_the_class():
    b = budget.budget(make_cfg(POSTGRES, CLUSTER, {"target": {"instance_class": "db.r6g.large", "max_connections": 800},
                                                  "pool": {"max_connections_percent": 25}}))
    assert (b.max_connections, b.pool, b.source) == (800, 200, "target.max_connections")
    assert b.database == "cluster orders-test-aurora (eu-west-1)"


def test_an_unknown_size_says_what_to_give():
    b = budget.budget(make_cfg(SQLSERVER))
    assert b.max_connections is None and b.pool is None
    assert "target.instance_class" in b.source


def test_one_summary_line_per_database():
    shared = {"target": {"instance_class": "db.t4g.medium"}, "pool": {"max_connections_percent": 40}}
    dev = load_cfg(merged(shared), env="dev")
    staging = load_cfg(merged(shared, {"proxy": {"name": "orders-stg"},
                                       "target": {"db_instance_identifier": "Orders-Test-DB"}}), env="staging")
    other = load_cfg(merged({"target": {"db_instance_identifier": "reports-db"}, "proxy": {"name": "reports"}}),
                     env="reports")
    assert budget.summary_lines([dev, staging, other]) == [
        "budget instance orders-test-db (eu-west-1): dev 40%, staging 40% = 272 of 341 connections (80%)",
        "budget instance reports-db (eu-west-1): reports 100% = 100% of max_connections (size unknown)",
    ]
