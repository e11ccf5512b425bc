"""The generated shell scripts pass shellcheck (every warning, for every env in the out folder
and for every engine and scheme)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from builders.envs import (CLUSTER, END_TO_END_IAM, POSTGRES, PROVISIONER, PROVISIONER_NAT, ROTATION, SQLSERVER,
                           TWO_USERS, make_cfg)
from templates_src.render import files as render
from templates_src.builders.stack import build_template

from conftest import GENERATED, require_tool

SHAPES = {"mysql": (TWO_USERS,), "postgres-iam": (POSTGRES, END_TO_END_IAM), "sqlserver-rotation": (SQLSERVER, ROTATION),
          "postgres-cluster": (POSTGRES, CLUSTER), "provisioner": (PROVISIONER,),
          "postgres-provisioner-nat": (POSTGRES, PROVISIONER, PROVISIONER_NAT)}
SCRIPTS = (render.DEPLOY_SCRIPT_FILE, render.DB_USERS_SCRIPT_FILE, render.STAGE_SCRIPT_FILE)


def _shellcheck(paths: list[Path]) -> subprocess.CompletedProcess:
    tool = shutil.which("shellcheck")
    require_tool(tool, "shellcheck", "apt-get install shellcheck; .ci/run does")
    return subprocess.run([tool, "--severity=style", *map(str, paths)], capture_output=True, text=True)


@pytest.mark.golden
def test_committed_scripts_pass_shellcheck():
    paths = sorted(p for name in SCRIPTS for p in GENERATED.glob(f"*/{name}"))
    assert paths
    result = _shellcheck(paths)
    assert result.returncode == 0, result.stdout


@pytest.mark.scanners
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_scripts_of_every_shape_pass_shellcheck(tmp_path, name):
    cfg = make_cfg(*SHAPES[name])
    files = render.render_env(cfg, build_template(cfg))
    paths = []
    for script in SCRIPTS:
        if f"{cfg.env}/{script}" not in files:  # create-db-users.sh or stage.sh: one mode's
            continue
        path = tmp_path / script
        path.write_text(files[f"{cfg.env}/{script}"])
        paths.append(path)
    assert (tmp_path / render.STAGE_SCRIPT_FILE in paths) == (cfg.provisioner is not None)
    result = _shellcheck(paths)
    assert result.returncode == 0, result.stdout
