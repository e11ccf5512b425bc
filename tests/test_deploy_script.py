"""deploy.sh driven as a user runs it, with a stand-in `aws` (CloudFormation's answers) and `curl`.

A stack paused at its DatabaseUsers...Ready wait condition (the users step failed, or was never
run) is resumed by running deploy.sh again: it makes the users, signals, and waits, without a
second create or update. A stack busy for any other reason is left alone.

The scripts run are those of the examples made one's own (``owned_files``: their ``example: true``
line deleted); a shipped example's own deploy.sh refuses to run, before any call.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from templates_src.dbusers.deploy_order import deploy_plan
from templates_src.render.files import DB_USERS_SCRIPT_FILE, DEPLOY_SCRIPT_FILE

from conftest import example_configs, example_files, owned_configs, owned_files

pytestmark = pytest.mark.lifecycle

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
    if state["stack"] == "NONE":  # no such stack
        sys.exit(254)
    print(state["stack"])
elif command == "describe-stack-resources":
    print(state["users_ready"])
elif command == "describe-stack-resource":
    print("https://cloudformation-waitcondition-eu-west-1.s3.amazonaws.com/signal")
elif command == "wait":
    pass
elif args[:2] == ["logs", "describe-log-groups"]:
    print(state.get("kept_log_group") or "")
elif args[:2] == ["s3api", "head-object"]:
    if not state.get("artifact_present"):
        sys.exit(254)
elif args[:2] == ["s3", "cp"]:
    assert Path(args[-2]).is_file(), args[-2]
elif command in ("create-stack", "update-stack", "set-stack-policy"):
    for arg in args:  # every file it names exists
        assert not arg.startswith("file://") or Path(arg[len("file://"):]).is_file(), arg
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


def _deploy(tmp_path: Path, env: str, stack: str, users_ready: str, artifact_present: bool = True,
            environment: dict[str, str] | None = None, kept_log_group: str = "",
            files: Mapping[str, str] | None = None) -> tuple[subprocess.CompletedProcess, list[str]]:
    out, bin_dir = tmp_path / "out", tmp_path / "bin"
    out.mkdir()
    bin_dir.mkdir()
    files = owned_files() if files is None else files
    for name in (DEPLOY_SCRIPT_FILE, "rds-proxy.yaml", "stack-policy.json", "stack-policy-during-update.json"):
        (out / name).write_text(files[f"{env}/{name}"])
    (out / DB_USERS_SCRIPT_FILE).write_text(USERS_STUB)
    log, state = tmp_path / "calls.log", tmp_path / "state.json"
    log.write_text("")
    state.write_text(json.dumps({"stack": stack, "users_ready": users_ready, "artifact_present": artifact_present,
                                 "kept_log_group": kept_log_group}))
    _stub(bin_dir / "aws", FAKE_AWS, STATE=state, LOG=log)
    _stub(bin_dir / "curl", FAKE_CURL, LOG=log)
    done = subprocess.run(["bash", str(out / DEPLOY_SCRIPT_FILE)], capture_output=True, text=True, timeout=60,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "DEPLOY_LOG": str(log), "HOME": str(tmp_path),
                               **(environment or {})})
    return done, log.read_text().splitlines()


PAUSING = sorted(env for env, cfg in owned_configs().items() if deploy_plan(cfg).users_ready)


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


PROVISIONED = sorted(env for env, cfg in owned_configs().items() if cfg.provisioner)


@pytest.mark.parametrize("env", PROVISIONED)
def test_with_the_provisioner_a_deploy_needs_no_database_and_no_person(env, tmp_path):
    done, calls = _deploy(tmp_path, env, "NONE", "None")
    assert done.returncode == 0, done.stderr
    assert "users" not in calls and not [c for c in calls if c.startswith("curl ")]
    plan = deploy_plan(owned_configs()[env])
    assert f"s3api head-object --region {owned_configs()[env].region} --bucket {plan.artifact.bucket} " \
           f"--key {plan.artifact.key}" in calls
    assert any(" create-stack " in f" {c} " for c in calls) and any("wait stack-create-complete" in c for c in calls)
    assert not [c for c in calls if c.startswith("rds-proxy-cfn") or c.startswith("s3 cp")]


@pytest.mark.parametrize("environment", [{}, {"RDS_CA_BUNDLE": "global-bundle.pem"}])
def test_missing_code_stops_before_the_stack_naming_stage_sh(tmp_path, environment):
    """deploy.sh builds no code, whatever the environment holds: one line names stage.sh."""
    env = PROVISIONED[0]
    plan = deploy_plan(owned_configs()[env])
    done, calls = _deploy(tmp_path, env, "NONE", "None", artifact_present=False, environment=environment)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert f"s3://{plan.artifact.bucket}/{plan.artifact.key}" in line
    assert line.endswith(f"stage it first: bash {tmp_path / 'out' / 'stage.sh'}"), line
    assert not [c for c in calls if " create-stack " in f" {c} " or c.startswith(("s3 cp", "rds-proxy-cfn"))]


def test_the_examples_have_a_provisioner_for_each_engine_it_supports():
    engines = {owned_configs()[env].target.engine.value for env in PROVISIONED}
    assert engines == {"postgres", "mysql", "mariadb"}


@pytest.mark.parametrize("env", sorted(owned_configs()))
def test_an_update_runs_under_the_during_update_policy_then_sets_the_shipped_one(env, tmp_path):
    """An update runs under the policy in force when it starts unless it brings its own
    (UpdateStack StackPolicyDuringUpdateBody): deploy.sh brings stack-policy-during-update.json,
    then sets stack-policy.json for the new template's resources."""
    script = owned_files()[f"{env}/{DEPLOY_SCRIPT_FILE}"]
    assert '--stack-policy-during-update-body "file://$here/stack-policy-during-update.json"' in script
    done, calls = _deploy(tmp_path, env, "UPDATE_COMPLETE", "CREATE_COMPLETE",
                          environment={"DB_ADMIN_USER": "admin"})
    assert done.returncode == 0, done.stderr
    updates = [i for i, c in enumerate(calls) if " update-stack " in f" {c} "]
    policies = [i for i, c in enumerate(calls) if " set-stack-policy " in f" {c} "]
    assert len(updates) == 1 and "--stack-policy-during-update-body" in calls[updates[0]]
    assert policies and policies[0] > updates[0] and "--stack-policy-body" in calls[policies[0]]


def test_a_log_group_left_by_a_deleted_stack_stops_the_create_naming_both_ways_out(tmp_path):
    """Without the provisioner, a person runs deploy.sh: it finds the kept group first."""
    from templates_src.builders.logs import log_group_name

    env = "dev"
    assert owned_configs()[env].provisioner is None
    name = log_group_name(owned_configs()[env])
    done, calls = _deploy(tmp_path, env, "NONE", "None", kept_log_group=name)
    assert done.returncode == 1
    assert f"log group {name} is left from a deleted stack" in done.stderr
    assert f"aws logs delete-log-group --region {owned_configs()[env].region} --log-group-name {name}" in done.stderr
    assert not [c for c in calls if " create-stack " in f" {c} "] and "users" not in calls
    # Without it the same run creates the stack.
    (tmp_path / "again").mkdir()
    done, calls = _deploy(tmp_path / "again", env, "NONE", "None")
    assert any(" create-stack " in f" {c} " for c in calls), done.stderr


def test_with_the_provisioner_a_kept_log_group_does_not_stop_the_create(tmp_path):
    """The stack adopts the kept group (Custom::AdoptedLogGroup), so deploy.sh does not look for it."""
    from templates_src.builders.logs import log_group_name

    env = PROVISIONED[0]
    name = log_group_name(owned_configs()[env])
    done, calls = _deploy(tmp_path, env, "NONE", "None", kept_log_group=name)
    assert done.returncode == 0, done.stderr
    assert any(" create-stack " in f" {c} " for c in calls)
    assert not [c for c in calls if c.startswith("logs ")]
    assert "describe-log-groups" not in owned_files()[f"{env}/{DEPLOY_SCRIPT_FILE}"]


@pytest.mark.parametrize("env", sorted(example_configs()))
def test_a_shipped_examples_deploy_sh_refuses_in_one_line_before_any_call(env, tmp_path):
    done, calls = _deploy(tmp_path, env, "NONE", "None", environment={"DB_ADMIN_USER": "admin"},
                          files=example_files())
    assert done.returncode == 2
    assert calls == []  # not even a look at the stack
    [line] = done.stderr.splitlines()
    assert line.startswith(f"refused: params/{env}.yaml is a shipped example (example: true): delete that line")
    assert f"(rds-proxy-cfn {env})" in line


@pytest.mark.parametrize("env", sorted(example_configs()))
def test_an_examples_deploy_md_says_so_at_its_top_and_one_made_ones_own_does_not(env):
    example = example_files()[f"{env}/DEPLOY.md"]
    top = example.split("\n## ", 1)[0]
    assert "**A shipped example: not to be deployed as it is.**" in top
    assert f"`params/{env}.yaml` says `example: true`" in top and f"`rds-proxy-cfn {env}`" in top
    assert "shipped example" not in owned_files()[f"{env}/DEPLOY.md"]
    assert "example" not in owned_files()[f"{env}/{DEPLOY_SCRIPT_FILE}"]
