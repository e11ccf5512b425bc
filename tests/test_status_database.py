"""status: the database's effective max_connections (parameter group value, formula, class
default) against the budget the build computes, each with its line."""

from __future__ import annotations

import pytest

from status_stubs import AURORA_MYSQL_FORMULA, World, aws_env, run_status  # noqa: F401 - aws_env is a fixture
from templates_src.facts import connections as connection_facts
from templates_src.status.database import evaluate

pytestmark = [pytest.mark.cli, pytest.mark.usefixtures("aws_env")]


def _line(out: str) -> str:
    return next(line for line in out.splitlines() if "max_connections " in line)


def test_parameter_group_value_equal_to_the_budget(tmp_path):
    # billing: target.max_connections 400, "set by its parameter group"
    code, out, _, _ = run_status(World("billing", max_connections="400"), tmp_path)
    assert code == 0
    assert _line(out) == ("max_connections 400 on billing-pg-db (parameter group billing-params) = the budget's 400 "
                          "(target.max_connections): the pool may open 70% = 280")


def test_parameter_group_value_differs_from_the_budget_is_drift(tmp_path):
    code, out, _, _ = run_status(World("dev", max_connections="150"), tmp_path)
    assert code == 1
    params = out.split("set target.max_connections: 150 in ")[1].splitlines()[0]
    assert params.endswith("/examples/dev.yaml")
    assert _line(out) == ("drift budget: max_connections 150 on orders-dev-db (parameter group dev-params) but the "
                          "budget assumes 341 (MYSQL default for db.t4g.medium): the pool opens 50% = 75, not 170; "
                          f"set target.max_connections: 150 in {params}")


def test_formula_evaluated_with_the_class_memory(tmp_path):
    # dev's default group: {DBInstanceClassMemory/12582880} on a db.t4g.medium (4 GiB)
    code, out, _, _ = run_status(World("dev"), tmp_path)
    assert code == 0 and 4 * 1024 ** 3 // 12_582_880 == 341
    assert _line(out) == ("max_connections 341 on orders-dev-db (parameter group dev-params "
                          "{DBInstanceClassMemory/12582880} with db.t4g.medium's memory) = the budget's 341 (MYSQL "
                          "default for db.t4g.medium): the pool may open 50% = 170")


def test_formula_on_a_bigger_class_than_the_params_say_is_drift(tmp_path):
    code, out, _, _ = run_status(World("dev", instance_class="db.t4g.large"), tmp_path)
    assert code == 1
    assert "max_connections 682 on orders-dev-db" in _line(out)
    assert "but the budget assumes 341 (MYSQL default for db.t4g.medium)" in _line(out)


def test_class_default_when_the_formula_is_not_one_status_evaluates(tmp_path):
    # prod: Aurora MySQL's GREATEST(log ...) formula -> connection_facts' table for db.r6g.xlarge
    code, out, _, stubbers = run_status(World("prod", max_connections=AURORA_MYSQL_FORMULA), tmp_path)
    assert code == 0
    assert _line(out) == ("max_connections 2000 on orders-prod-aurora-1 (db.r6g.xlarge default) = the budget's 2000 "
                          "(Aurora MySQL default for db.r6g.xlarge): the pool may open 80% = 1600")
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_class_default_when_the_parameter_has_no_value(tmp_path):
    code, out, _, _ = run_status(World("dev", max_connections=None), tmp_path, "--format", "json")
    import json

    document = json.loads(out)["max_connections"]
    assert code == 0
    assert document == {"budget": 341, "budget_source": "MYSQL default for db.t4g.medium",
                        "instance": "orders-dev-db", "instance_class": "db.t4g.medium", "live": 341,
                        "line": document["line"], "matches": True, "pool_percent": 50,
                        "source": "db.t4g.medium default"}


@pytest.mark.parametrize(("value", "klass", "expected"), [
    ("400", "db.r6g.large", 400),
    ("{DBInstanceClassMemory/12582880}", "db.r6g.large", 16 * 1024 ** 3 // 12_582_880),
    ("LEAST({DBInstanceClassMemory/9531392},5000)", "db.r6g.large", 1802),
    ("LEAST({DBInstanceClassMemory/9531392},5000)", "db.r6g.4xlarge", 5000),
    ("{DBInstanceClassMemory/12582880}", "db.x9.unknown", None),
    (AURORA_MYSQL_FORMULA, "db.r6g.large", None),
    (None, "db.r6g.large", None),
])
def test_evaluate(value, klass, expected):
    assert evaluate(value, klass) == expected


def test_evaluate_agrees_with_the_budget_tables():
    # The same memory table and divisor as connection_facts: a default group never reads as drift.
    from templates_src.facts.aws import EngineFamily

    for klass in connection_facts.INSTANCE_CLASS_MEMORY_GIB:
        assert evaluate("{DBInstanceClassMemory/12582880}", klass) == \
            connection_facts.default_max_connections(EngineFamily.MYSQL, False, klass)
        assert evaluate("LEAST({DBInstanceClassMemory/9531392},5000)", klass) == \
            connection_facts.default_max_connections(EngineFamily.POSTGRESQL, False, klass)
