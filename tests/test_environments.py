"""Environments apart from file names, and guides that name the folders the build was given."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from cfn_flip import load_yaml

from conftest import PARAMS, run_build, run_main, snapshot

pytestmark = pytest.mark.cli


def _tags(template: str) -> dict[str, str]:
    body = load_yaml(template)
    proxy = body["Resources"]["Proxy"]["Properties"]
    return {t["Key"]: t["Value"] for t in proxy["Tags"]}


def test_two_files_in_one_environment_are_two_stacks_tagged_with_it(params_copy, tmp_path):
    out = tmp_path / "out"
    assert run_main("--no-lint", "--params", str(params_copy), "--out", str(out)).code == 0
    reports, dev = (out / name / "rds-proxy.yaml" for name in ("dev-reports", "dev"))
    assert _tags(reports.read_text())["Environment"] == _tags(dev.read_text())["Environment"] == "dev"
    assert "`rds-proxy-dev-reports`" in (out / "dev-reports" / "DEPLOY.md").read_text()
    assert "rds-proxy-dev-reports" not in (out / "dev" / "DEPLOY.md").read_text()
    assert "RDS Proxy reports-dev (dev)" in reports.read_text()  # descriptions name the environment


def test_environment_defaults_to_the_file_name(params_copy, tmp_path):
    text = (params_copy / "dev-reports.yaml").read_text().replace("environment: dev\n", "")
    (params_copy / "dev-reports.yaml").write_text(text)
    out = tmp_path / "out"
    assert run_main("--no-lint", "--params", str(params_copy), "--out", str(out), "dev-reports").code == 0
    assert _tags((out / "dev-reports" / "rds-proxy.yaml").read_text())["Environment"] == "dev-reports"


def test_a_proxy_name_shared_within_an_environment_names_the_other_file(params_copy, tmp_path):
    path = params_copy / "dev-reports.yaml"
    path.write_text(path.read_text().replace("name: reports-dev", "name: orders-dev"))
    before = snapshot(tmp_path / "out")
    result = run_main("--no-lint", "--params", str(params_copy), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert re.search(r"dev(-reports)?\.yaml:\d+:\d+: proxy\.name: proxy name 'orders-dev' is also used by "
                     r"\S+/dev(-reports)?\.yaml in eu-west-1", result.err), result.err
    assert snapshot(tmp_path / "out") == before


def test_an_environment_name_is_checked_like_a_file_name(params_copy, tmp_path):
    path = params_copy / "dev-reports.yaml"
    text = path.read_text()
    line = text.splitlines().index("environment: dev") + 1
    path.write_text(text.replace("environment: dev", "environment: Dev_1"))
    result = run_main("--no-lint", "--params", str(params_copy), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert re.search(rf"dev-reports\.yaml:{line}:\d+: environment: ", result.err), result.err


def _commands(guide: str) -> list[list[str]]:
    """The shell commands of DEPLOY.md's fenced blocks, each as the words a shell would see."""
    blocks = re.findall(r"```sh\n(.*?)```", guide, re.S)
    assert blocks
    return [shlex.split(block, comments=True) for block in blocks]


def test_deploy_guides_name_the_out_folder_the_build_was_given(tmp_path):
    out = tmp_path / "build output" / "cfn"  # a space: the commands quote it as one word
    subprocess.run(["cp", "-r", str(PARAMS), str(tmp_path / "params")], check=True)
    result = run_build("--no-lint", "--out", str(out), "dev", cwd=tmp_path)
    assert result.code == 0, result.err
    guide = (out / "dev" / "DEPLOY.md").read_text()
    words = [word for command in _commands(guide) for word in command]
    files = [w.removeprefix("file://") for w in words if w.startswith("file://") or w.endswith(".sh")]
    assert files, guide
    for path in files:  # every file a command names exists where it says
        assert Path(path).is_file(), path
    assert "generated/" not in guide
    # Headers are comments: there the quotes of an odd path are %27 (escaping.comment_text), inert.
    header = (out / "dev" / "rds-proxy.yaml").read_text().splitlines()[1]
    assert header.startswith("#   rds-proxy-cfn --out %27") and header.endswith("%27 dev"), header


def test_the_default_folders_keep_their_short_commands(tmp_path):
    # The examples built as the committed generated/ is: from a folder holding params/, no options.
    subprocess.run(["cp", "-r", str(PARAMS), str(tmp_path / "params")], check=True)
    assert run_build("--no-lint", cwd=tmp_path).code == 0
    guide = (tmp_path / "generated" / "dev" / "DEPLOY.md").read_text()
    assert "`rds-proxy-cfn dev`" in guide and "file://generated/dev/rds-proxy.yaml" in guide


def test_the_rebuild_command_in_a_header_rebuilds_the_same_files(tmp_path):
    params = tmp_path / "my-params"
    subprocess.run(["cp", "-r", str(PARAMS), str(params)], check=True)
    out = tmp_path / "out"
    assert run_build("--no-lint", "--params", str(params), "--out", str(out), "staging").code == 0
    command = shlex.split((out / "staging" / "rds-proxy.yaml").read_text().splitlines()[1].lstrip("# "))
    assert command[0] == "rds-proxy-cfn"  # the console command; build.py takes the same arguments
    before = snapshot(out)
    again = run_build(*command[1:], "--check")
    assert again.code == 0, again.err
    assert snapshot(out) == before


def test_an_out_folder_the_guides_cannot_quote_is_refused(tmp_path):
    out = tmp_path / "a`b"
    result = run_build("--no-lint", "--out", str(out))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--out" in result.err and "backtick" in result.err
    assert not out.exists()
