"""build.py and the change impact: --diff (text, json, --exit-code, a closed pipe), refusals, accept.

Each test builds the example params, made one's own (``owned_params``: an example's output is
nobody's stack), into an out folder (the "deployed" state), changes one key of a copy of the
params, and runs the build again. Values are derived from the loaded config
(one more than the current password length, another subnet id), never from template text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import PARAMS, ROOT, run_main, snapshot
from templates_src.config import load_environments

ENV = "dev"


def cfg():
    return next(c for c in load_environments(PARAMS, "params") if c.env == ENV)


def set_key(params: Path, path: tuple[str, ...], value: Any, env: str = ENV) -> None:
    file = params / f"{env}.yaml"
    data = yaml.safe_load(file.read_text()) or {}
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    file.write_text(yaml.safe_dump(data, sort_keys=False))


def other_subnets() -> list[str]:
    subnets = list(cfg().network.subnet_ids)
    last = subnets[-1]
    subnets[-1] = last[:-1] + ("0" if last[-1] != "0" else "1")
    return subnets


@pytest.fixture
def deployed(tmp_path: Path, owned_params: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(owned_params), "--out", str(out))
    assert result.code == 0, result.err
    return owned_params, out


def build(params: Path, out: Path, *extra: str):
    return run_main("--no-lint", "--params", str(params), "--out", str(out), *extra)


def generated_secrets(out: Path) -> int:
    text = (out / ENV / "rds-proxy.yaml").read_text()
    return text.count("GenerateSecretString:")


@pytest.mark.cli
def test_a_build_refuses_new_passwords_for_a_deployed_env_and_writes_nothing(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    set_key(params, ("secrets", "password_length"), cfg().secrets.password_length + 1)
    before = snapshot(out)
    result = build(params, out)
    assert result.code == 2
    refused = [line for line in result.err.splitlines() if line.startswith("refused: ")]
    assert len(refused) == generated_secrets(out) > 0  # one line per secret
    assert all(line.startswith(f"refused: {ENV}: ") and ": regenerates-secret: " in line for line in refused)
    assert f"params/{ENV}.yaml" in refused[0] or f"{ENV}.yaml" in refused[0]
    assert "nothing was written" in result.err.splitlines()[-1]
    assert "Traceback" not in result.err
    assert snapshot(out) == before


@pytest.mark.cli
def test_accept_lets_the_change_through_and_the_build_says_so(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    set_key(params, ("secrets", "password_length"), cfg().secrets.password_length + 1)
    set_key(params, ("accept",), ["regenerates-secret"])
    before = snapshot(out)
    result = build(params, out)
    assert result.code == 0, result.err
    assert [line for line in result.err.splitlines() if line.startswith(f"accepted: {ENV}: ")]
    assert snapshot(out) != before
    again = build(params, out)  # deployed now: the key accepts nothing more and should go
    assert again.code == 0
    assert any(line.startswith("note: ") and "accept: regenerates-secret accepts nothing" in line
               for line in again.err.splitlines())


@pytest.mark.cli
def test_a_build_refuses_a_replacement_that_cannot_happen(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    set_key(params, ("network", "subnet_ids"), other_subnets())
    result = build(params, out)
    assert result.code == 2
    assert any(": update-fails: " in line and "DBProxyName" in line for line in result.err.splitlines())
    set_key(params, ("accept",), ["update-fails"])
    assert build(params, out).code == 0


@pytest.mark.cli
def test_a_new_environment_is_never_refused(tmp_path: Path, params_copy: Path) -> None:
    set_key(params_copy, ("secrets", "password_length"), cfg().secrets.password_length + 1)
    assert build(params_copy, tmp_path / "fresh").code == 0


@pytest.mark.cli
def test_retained_replacements_are_printed_by_a_build_and_refused_by_check(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    set_key(params, ("proxy", "name"), cfg().proxy.name + "-x")
    check = build(params, out, "--check")
    assert check.code == 2
    refused = [line for line in check.err.splitlines() if line.startswith("refused: ")]
    assert any(": replaces-retained: " in line for line in refused)
    assert any(": breaks-export: " in line for line in refused)
    set_key(params, ("accept",), ["replaces-retained", "breaks-export"])
    assert build(params, out, "--check").code == 1  # accepted: only stale now
    set_key(params, ("accept",), [])
    written = build(params, out)
    assert written.code == 0, written.err
    assert any(line.startswith(f"warning: {ENV}: ") and ": replaces-retained: " in line
               for line in written.err.splitlines())


@pytest.mark.cli
def test_diff_prints_the_impact_first_then_the_unified_diffs(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    assert build(params, out, "--diff", "--exit-code").code == 0
    set_key(params, ("network", "subnet_ids"), other_subnets())
    result = build(params, out, "--diff")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{ENV}: updating the deployed stack")
    assert any(line.startswith("  replace ") and "VpcSubnetIds" in line for line in lines)
    assert any("update-fails" in line for line in lines)
    first_diff = next(i for i, line in enumerate(lines) if line.startswith("--- "))
    last_impact = max(i for i, line in enumerate(lines) if "what to do:" in line)
    assert last_impact < first_diff
    assert build(params, out, "--diff", "--exit-code").code == 1


@pytest.mark.cli
def test_diff_as_json(deployed: tuple[Path, Path]) -> None:
    params, out = deployed
    assert json.loads(build(params, out, "--diff", "--format", "json").out) == []
    set_key(params, ("network", "subnet_ids"), other_subnets())
    rows = json.loads(build(params, out, "--diff", "--format", "json").out)
    assert rows and all(set(row) == {"env", "logical_id", "type", "action", "replacement_properties", "hazards"}
                        for row in rows)
    proxy = next(row for row in rows if row["type"] == "AWS::RDS::DBProxy")
    assert proxy["env"] == ENV and proxy["action"] == "replace"
    assert proxy["replacement_properties"] == ["VpcSubnetIds"]
    assert {"update-fails", "changes-endpoint"} <= set(proxy["hazards"])


@pytest.mark.cli
@pytest.mark.parametrize("args", [("--format", "json"), ("--exit-code",), ("--check", "--exit-code")])
def test_diff_options_without_diff_are_refused(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_main(*args)
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


@pytest.mark.golden
def test_diff_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``build.py --diff | head``: the reader leaves early; no traceback, no "Broken pipe"."""
    out = tmp_path / "empty-out"
    out.mkdir()  # every file reads as added: far more than a pipe's buffer
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--no-lint", "--diff", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == ""
