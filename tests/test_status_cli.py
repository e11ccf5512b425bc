"""status through the command line: main(["status", ...]) end to end with stubbed clients (the
seam: command.default_session), and its bad input."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES, run_main
from status_stubs import World, aws_env, out_folder  # noqa: F401 - aws_env is a fixture
from templates_src.status import command

pytestmark = [pytest.mark.cli, pytest.mark.usefixtures("aws_env")]


def test_main_status_dev_end_to_end(monkeypatch, tmp_path):
    session, stubbers = World("dev").session()
    asked = []
    monkeypatch.setattr(command, "default_session", lambda profile: asked.append(profile) or session)
    out = out_folder(tmp_path, "dev")
    result = run_main("status", "dev", "--params", str(EXAMPLES), "--out", str(out), "--profile", "ops")
    assert (result.code, result.err) == (0, "")
    assert asked == ["ops"]
    assert result.out.splitlines()[0] == "status dev: stack rds-proxy-dev (eu-west-1) UPDATE_COMPLETE, proxy orders-dev available"
    assert result.out.splitlines()[-1] == "result: healthy (exit 0)"
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_unknown_env_exits_2_with_one_line(tmp_path):
    result = run_main("status", "nope", "--params", str(EXAMPLES), "--out", str(tmp_path))
    assert result.code == 2 and result.out == ""
    assert len(result.err.splitlines()) == 1 and "no such environment 'nope'" in result.err


def test_no_committed_template_exits_2(tmp_path):
    result = run_main("status", "dev", "--params", str(EXAMPLES), "--out", str(tmp_path / "empty"))
    assert result.code == 2
    assert result.err.endswith("/dev/rds-proxy.yaml: build it first (rds-proxy-cfn dev)\n")


def test_region_override_reaches_the_clients(monkeypatch, tmp_path):
    regions = []

    class Session:
        def client(self, service_name, region_name=None):
            regions.append(region_name)
            raise RuntimeError("stop here")

    monkeypatch.setattr(command, "default_session", lambda profile: Session())
    result = run_main("status", "dev", "--params", str(EXAMPLES), "--out", str(out_folder(tmp_path, "dev")),
                      "--region", "us-west-2")
    assert regions == ["us-west-2"]
    assert result.code == 2 and result.err.splitlines() == [  # the CLI's one line for the unexpected
        "build.py: error: RuntimeError: stop here; the build stopped (please report this if the input looks right)"]


def test_bad_arguments_exit_2(tmp_path):
    with pytest.raises(SystemExit) as exited:  # argparse's exit, as for every command of cli.py
        run_main("status", "dev", "--format", "xml")
    assert exited.value.code == 2
