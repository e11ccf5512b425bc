"""deploy.sh driven as a user runs it, with a stand-in `aws` (CloudFormation's answers) and `curl`.

A stack paused at its DatabaseUsers...Ready wait condition (the users step failed, or was never
run) is resumed by running deploy.sh again: it makes the users, signals, and waits, without a
second create or update. A stack busy for any other reason is left alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from templates_src.deploy_order import deploy_plan
from templates_src.render import DB_USERS_SCRIPT_FILE, DEPLOY_SCRIPT_FILE

from conftest import example_configs, example_files

# Answers what deploy.sh asks, from a JSON state file; logs every call.
FAKE_AWS = r'''
import json, sys
from pathlib import Path
state = json.loads(Path(__STATE__).read_text())
args = sys.argv[1:]
with Path(__LOG__).open("a") as log:
    log.write(" ".join(a for a in args if not a.startswith("file://")) + "\n")
opt = lambda name: args[args.index(name) + 1]
command = args[args.index("--region") + 2] if "--region" in args else args[1]
if command == "describe-stacks":
    print(state["stack"])
elif command == "describe-stack-resources":
    print(state["users_ready"])
elif command == "describe-stack-resource":
    print("https://cloudformation-waitcondition-eu-west-1.s3.amazonaws.com/signal")
elif command == "wait":
    pass
else:
    sys.exit("unexpected: " + " ".join(args))
'''
FAKE_CURL = r'''
import sys
from pathlib import Path
with Path(__LOG__).open("a") as log:
    log.write("curl " + sys.argv[-1] + "\n")
'''
USERS_STUB = 'echo users >> "$DEPLOY_LOG"\n'


def _stub(path: Path, source: str, **values: Path) -> None:
    for name, value in values.items():
        source = source.replace(f"__{name}__", repr(str(value)))
    path.write_text(f"#!{sys.executable}\n{source}")
    path.chmod(0o755)


def _deploy(tmp_path: Path, env: str, stack: str, users_ready: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    out, bin_dir = tmp_path / "out", tmp_path / "bin"
    out.mkdir()
    bin_dir.mkdir()
    files = example_files()
    for name in (DEPLOY_SCRIPT_FILE, "rds-proxy.yaml", "stack-policy.json"):
        (out / name).write_text(files[f"{env}/{name}"])
    (out / DB_USERS_SCRIPT_FILE).write_text(USERS_STUB)
    log, state = tmp_path / "calls.log", tmp_path / "state.json"
    log.write_text("")
    state.write_text(json.dumps({"stack": stack, "users_ready": users_ready}))
    _stub(bin_dir / "aws", FAKE_AWS, STATE=state, LOG=log)
    _stub(bin_dir / "curl", FAKE_CURL, LOG=log)
    done = subprocess.run(["bash", str(out / DEPLOY_SCRIPT_FILE)], capture_output=True, text=True, timeout=60,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "DEPLOY_LOG": str(log), "HOME": str(tmp_path)})
    return done, log.read_text().splitlines()


PAUSING = sorted(env for env, cfg in example_configs().items() if not deploy_plan(cfg).users_first)


@pytest.mark.parametrize("stack, operation", [("CREATE_IN_PROGRESS", "create"), ("UPDATE_IN_PROGRESS", "update")])
def test_run_again_while_the_stack_waits_for_its_users_resumes(tmp_path, stack, operation):
    done, calls = _deploy(tmp_path, PAUSING[0], stack, "CREATE_IN_PROGRESS")
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stdout
    assert "users" in calls  # create-db-users.sh ran
    assert any(c.startswith("curl https://") for c in calls)  # and the pause was signalled
    assert calls.index("users") < next(i for i, c in enumerate(calls) if c.startswith("curl "))
    assert not [c for c in calls if " create-stack " in f" {c} " or " update-stack " in f" {c} "]
    assert any(f"wait stack-{operation}-complete" in c for c in calls)


@pytest.mark.parametrize("stack, users_ready", [("CREATE_IN_PROGRESS", "CREATE_COMPLETE"),
                                                ("UPDATE_ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS"),
                                                ("DELETE_IN_PROGRESS", "None")])
def test_a_stack_busy_otherwise_is_left_alone(tmp_path, stack, users_ready):
    done, calls = _deploy(tmp_path, PAUSING[0], stack, users_ready)
    assert done.returncode == 1 and "is busy" in done.stderr
    assert "users" not in calls and not [c for c in calls if c.startswith("curl ")]


def test_the_examples_have_a_stack_that_pauses_for_its_users():
    assert PAUSING
