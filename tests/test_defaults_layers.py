"""Layered defaults: _defaults.yaml, then _defaults.<engine>.yaml, then the env's own file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from templates_src.config import ParamsErrors, load_environments

from conftest import PARAMS, run_main, snapshot

pytestmark = pytest.mark.unit


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "params"
    shutil.copytree(PARAMS, folder)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)
    return folder


def _by_env(folder: Path) -> dict:
    return {cfg.env: cfg for cfg in load_environments(folder, "params")}


def test_an_engines_defaults_apply_to_its_envs_only_between_the_global_ones_and_the_env(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _defaults__mysql__yaml="tags:\n  team: mysql-team\n  engine-layer: mysql\n"
                                                      "pool:\n  connection_borrow_timeout: 42\n")
    envs = _by_env(folder)
    # dev takes its engine from _defaults.yaml (engine_family: MYSQL), so the layer applies.
    assert envs["dev"].tags["engine-layer"] == "mysql"
    assert envs["dev"].tags["cost-center"] == "cc-1234"  # the global layer still underneath
    assert envs["prod"].tags["team"] == "payments"  # prod's own file wins over the engine layer
    for name, cfg in envs.items():  # a mapping merges key by key: only where the env leaves it out
        if cfg.engine_family.value == "MYSQL" and "connection_borrow_timeout" not in (PARAMS / f"{name}.yaml").read_text():
            assert cfg.pool.connection_borrow_timeout == 42, name
        else:
            assert cfg.pool.connection_borrow_timeout != 42, name
    for name in ("analytics", "billing", "dev-reports"):  # POSTGRESQL: not theirs
        assert "engine-layer" not in envs[name].tags
        assert envs[name].tags["dba-team"] == "postgres-guild"  # the example's postgresql layer


def test_the_postgresql_example_layer_reaches_the_postgresql_templates() -> None:
    envs = _by_env(PARAMS)
    assert {e for e, cfg in envs.items() if cfg.pool.init_query == "SET statement_timeout = '60s'"} == \
        {e for e, cfg in envs.items() if cfg.engine_family.value == "POSTGRESQL" and
         "init_query" not in (PARAMS / f"{e}.yaml").read_text()}
    assert "dba-team" not in envs["dev"].tags


def test_a_bad_value_in_an_engine_layer_names_that_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _defaults__postgresql__yaml="pool:\n  max_connections_percent: 500\n")
    with pytest.raises(ParamsErrors) as raised:
        load_environments(folder, "params")
    lines = {str(e) for e in raised.value.errors}
    assert any(line.startswith("params/_defaults.postgresql.yaml:2:3: pool.max_connections_percent: 500 is out of range")
               for line in lines), lines


@pytest.mark.parametrize("name, text, message", [
    ("_defaults.postgresql.yaml", "engine_family: MYSQL\n",
     "params/_defaults.postgresql.yaml:1:1: engine_family: an engine's defaults apply to its envs (this file's "
     "name says POSTGRESQL); remove it"),
    ("_defaults.mysql.yml", "tags: {a: b}\n",
     "params/_defaults.mysql.yml: not a defaults file of an engine family; rename it to _defaults.mysql.yaml"),
    ("_defaults.MySQL.yaml", "tags: {a: b}\n",
     "params/_defaults.MySQL.yaml: not a defaults file of an engine family; rename it to _defaults.mysql.yaml"),
    ("_defaults.mariadb.yaml", "tags: {a: b}\n",
     "params/_defaults.mariadb.yaml: not a defaults file of an engine family; the engine files are "
     "_defaults.mysql.yaml, _defaults.postgresql.yaml, _defaults.sqlserver.yaml"),
])
def test_engine_layer_mistakes_are_one_line_each_and_nothing_is_written(tmp_path: Path, name: str, text: str,
                                                                       message: str) -> None:
    folder = _folder(tmp_path)
    (folder / name).write_text(text)
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(folder), "--out", str(out))
    assert result.code == 2
    assert message.replace("params/", f"{folder}/") in result.err.splitlines(), result.err
    assert snapshot(out) == {}


def test_an_engine_layer_that_is_not_a_mapping_stops_the_build(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _defaults__sqlserver__yaml="- a list\n")
    result = run_main("--no-lint", "--params", str(folder), "--out", str(tmp_path / "out"))
    assert result.code == 2 and "_defaults.sqlserver.yaml" in result.err
