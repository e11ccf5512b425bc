"""The first deploy, in order: the users exist before the target group waits for them.

Two models of what CloudFormation does when:
- the template's own dependency graph (``Ref``, ``Fn::GetAtt`` and ``${...}`` in properties,
  and ``DependsOn``: what the CloudFormation Template Reference says orders creation) must put
  every generated secret before the users-ready wait condition, and that wait before the target
  group (whose create handler waits for a healthy target) and every rotation schedule;
- deploy.sh run for real against stand-ins for the AWS CLI, curl and the database client that
  behave like CloudFormation in the way that matters: creation stops at the wait condition until
  its handle is signalled, secrets can only be read once created, and the target group fails
  ("Timed out waiting for target group to become available") unless the database has every user
  with its secret's password.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builders.envs import (CLUSTER, END_TO_END_IAM, LEGACY_SECRET_ARN, POSTGRES, ROTATION, SQLSERVER, TWO_USERS,
                           make_cfg)
from templates_src.render import files as render
from templates_src.dbusers.deploy_order import deploy_plan
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.lifecycle

SHAPES = {
    "mysql": (TWO_USERS,),
    "mysql-rotation": (TWO_USERS, ROTATION),
    "postgres-cluster": (POSTGRES, CLUSTER, TWO_USERS, {"target": {"read_only_endpoint": True}}),
    "sqlserver-rotation": (SQLSERVER, ROTATION),
    "brought-secret": ({"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN}]},),
    "end-to-end-iam": (POSTGRES, TWO_USERS, END_TO_END_IAM),
}


def _mentions(node: Any) -> set[str]:
    """Logical ids a properties tree refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {v.split(".")[0] for v in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= _mentions(value)
    elif isinstance(node, list):
        for item in node:
            found |= _mentions(item)
    return found


def dependencies(body: dict[str, Any]) -> dict[str, set[str]]:
    """Logical id -> every resource created before it (transitively), Metadata not counted."""
    resources = body["Resources"]
    direct = {name: (_mentions(r.get("Properties", {})) | set(r.get("DependsOn", []))) & set(resources)
              for name, r in resources.items()}
    closed: dict[str, set[str]] = {}

    def close(name: str, path: tuple[str, ...] = ()) -> set[str]:
        assert name not in path, f"dependency cycle: {path + (name,)}"
        if name not in closed:
            closed[name] = set().union(*({d} | close(d, path + (name,)) for d in direct[name])) if direct[name] else set()
        return closed[name]

    return {name: close(name) for name in resources}


def creation_order(body: dict[str, Any]) -> list[str]:
    deps = dependencies(body)
    return sorted(body["Resources"], key=lambda name: (len(deps[name]), name))


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shape(request):
    cfg = make_cfg(*SHAPES[request.param])
    return cfg, build_template(cfg).to_dict()


def _of_type(body: dict[str, Any], kind: str) -> list[str]:
    return sorted(name for name, r in body["Resources"].items() if r["Type"] == kind)


def test_users_exist_before_the_target_group_and_rotation(shape):
    cfg, body = shape
    plan = deploy_plan(cfg)
    deps = dependencies(body)
    generated = _of_type(body, "AWS::SecretsManager::Secret")
    if plan.users_first:
        # Nothing for the users script to read from the stack: it runs before the stack exists.
        assert generated == [] and _of_type(body, "AWS::CloudFormation::WaitCondition") == []
        return
    assert _of_type(body, "AWS::CloudFormation::WaitCondition") == [plan.users_ready]
    assert set(generated) <= deps[plan.users_ready], "the wait starts before every secret exists"
    assert plan.users_ready_handle in deps[plan.users_ready]
    for waiting in ["ProxyTargetGroup", *_of_type(body, "AWS::SecretsManager::RotationSchedule"),
                    *_of_type(body, "AWS::RDS::DBProxyEndpoint")]:
        assert plan.users_ready in deps[waiting], f"{waiting} does not wait for the users"
    # And nothing the users step needs waits for it (no deadlock).
    for secret in generated:
        assert plan.users_ready not in deps[secret]


def test_the_wait_condition_is_new_whenever_the_users_change():
    """A handle is never reused (CloudFormation User Guide, wait conditions): a new set of users
    is a new wait condition, so the update that adds a user waits for create-db-users.sh too."""
    one, two = deploy_plan(make_cfg()), deploy_plan(make_cfg(TWO_USERS))
    assert one.users_ready != two.users_ready and one.users_ready_handle != two.users_ready_handle
    same = deploy_plan(make_cfg({"users": [{"username": "app_user", "description": "other words"}]}))
    assert same.users_ready == one.users_ready


def test_deploy_guide_lists_the_steps_in_the_order_they_run(shape):
    cfg, _ = shape
    template = build_template(cfg)
    guide = render.deploy_guide(cfg, template)
    users, stack = guide.index("create-db-users.sh` "), guide.index("aws cloudformation create-stack")
    if deploy_plan(cfg).users_first:
        assert users < stack
    else:
        signal = guide.index("curl -fsS -X PUT")
        assert stack < users < signal


# --- deploy.sh against stand-ins ------------------------------------------------------------------

FAKE_AWS = r'''
import json, re, sys
from pathlib import Path
sys.path[:0] = __PATHS__
from cfn_flip import load_yaml
from test_deploy_order import creation_order

state_file = Path(__STATE__)
state = json.loads(state_file.read_text())
args = sys.argv[1:]
state["calls"].append(" ".join(a for a in args if not a.startswith("file://")))
def opt(name):
    return args[args.index(name) + 1]
def save():
    state_file.write_text(json.dumps(state))
def fail(message):
    save()
    sys.exit(message)

service, command = args[0], args[1] if args[1] != "--region" else args[3]
if service == "cloudformation" and command == "describe-stacks":
    if "stack" not in state:
        fail("An error occurred (ValidationError): Stack does not exist")
    if state["stack"].endswith("_IN_PROGRESS") and not state["pending"]:
        state["stack"] = state["stack"].replace("_IN_PROGRESS", "_COMPLETE")  # nothing to wait for
    print(state["stack"])
elif service == "cloudformation" and command == "create-stack":
    body = load_yaml(Path(opt("--template-body")[len("file://"):]).read_text())
    state["stack"], state["created"], state["pending"] = "CREATE_IN_PROGRESS", [], []
    state["policy"] = "--stack-policy-body" in args and "--enable-termination-protection" in args
    for name in creation_order(body):
        kind = body["Resources"][name]["Type"]
        if state["pending"] or kind == "AWS::CloudFormation::WaitCondition":
            state["pending"].append(name)  # CloudFormation waits here for the signal
        else:
            state["created"].append(name)
    state["types"] = {n: r["Type"] for n, r in body["Resources"].items()}
elif service == "cloudformation" and command == "update-stack":
    body = load_yaml(Path(opt("--template-body")[len("file://"):]).read_text())
    types = {n: r["Type"] for n, r in body["Resources"].items()}
    new = [n for n in creation_order(body) if n not in state["created"]]
    if not new and types == state["types"]:
        fail("An error occurred (ValidationError): No updates are to be performed.")
    state["stack"], state["signalled"] = "UPDATE_IN_PROGRESS", False
    waiting = [n for n in new if types[n] == "AWS::CloudFormation::WaitCondition"]
    state["created"] += [n for n in new if not waiting or creation_order(body).index(n) <
                         creation_order(body).index(waiting[0])]
    state["pending"] = [n for n in new if n not in state["created"]]
    state["types"] = types
elif service == "cloudformation" and command == "set-stack-policy":
    state["policy"] = True
elif service == "cloudformation" and command == "describe-stack-resources":
    name = opt("--logical-resource-id")
    print("CREATE_COMPLETE" if name in state["created"] else
          "CREATE_IN_PROGRESS" if state["pending"][:1] == [name] else "None")
elif service == "cloudformation" and command == "describe-stack-resource":
    name = opt("--logical-resource-id")
    if name not in state["created"]:
        fail(f"Resource {name} does not exist for stack")
    kind = state["types"][name]
    print("https://cloudformation-waitcondition.example/" + name if kind.endswith("WaitConditionHandle")
          else "arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + name)
elif service == "secretsmanager" and command == "get-secret-value":
    name = opt("--secret-id").rsplit(":", 1)[1]
    if name not in state.get("created", []) and not name.startswith("legacy"):
        fail(f"ResourceNotFoundException: {name}")
    print(json.dumps({"username": name, "password": "pw-" + name + "'\\&$(x)"}))
elif service == "cloudformation" and command == "wait":
    if state["pending"]:
        if not state["signalled"]:
            fail("Waiter StackCreateComplete failed: WaitCondition timed out")
        state["created"] += state["pending"]
        state["pending"] = []
    # The target group's create handler: every user must log in.
    missing = [u for u in state["users"] if u not in state["db_users"]]
    if missing:
        state["stack"] = "ROLLBACK_COMPLETE"
        fail("Timed out waiting for target group to become available: " + ",".join(missing))
    state["stack"] = "CREATE_COMPLETE" if "create" in args[-3] else "UPDATE_COMPLETE"
else:
    fail("unexpected aws call: " + " ".join(args))
save()
'''

FAKE_CURL = r'''
import json, sys
from pathlib import Path
state_file = Path(__STATE__)
state = json.loads(state_file.read_text())
args = sys.argv[1:]
if "-o" in args:  # the CA bundle
    Path(args[args.index("-o") + 1]).write_text("CA BUNDLE")
    state["calls"].append("curl ca-bundle")
else:
    url = args[-1]
    handle = url.rsplit("/", 1)[1]
    assert "-X" in args and args[args.index("-X") + 1] == "PUT", args
    assert json.loads(args[args.index("--data-binary") + 1])["Status"] == "SUCCESS"
    state["signalled"] = state["pending"][:1] != [] and handle in state["created"]
    state["calls"].append("curl signal " + handle)
state_file.write_text(json.dumps(state))
'''

FAKE_DB_CLIENT = r'''
import json, re, sys
from pathlib import Path
state_file = Path(__STATE__)
state = json.loads(state_file.read_text())
if sys.argv[1:] == ["--version"]:
    print("mysql  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)")
    sys.exit(0)
sql = sys.stdin.read()
state["calls"].append("db-client " + " ".join(a for a in sys.argv[1:] if "ssl" in a or "verify" in a))
for user in state["users"]:
    # A user exists with its secret's password when a statement for that user carries it.
    for statement in re.findall(r"(?m)^(?:CREATE|ALTER) (?:USER|ROLE|LOGIN) .*$", sql):
        if ("'" + user + "'" in statement or '"' + user + '"' in statement or "[" + user + "]" in statement):
            state["db_users"].append(user)
            state.setdefault("statements", {}).setdefault(user, []).append(statement)
state_file.write_text(json.dumps(state))
'''


def _stub(path: Path, source: str, state: Path) -> None:
    paths = [str(Path(__file__).parent), *sys.path]
    path.write_text(f"#!{sys.executable}\n" + source.replace("__STATE__", repr(str(state)))
                    .replace("__PATHS__", repr(paths)))
    path.chmod(0o755)


def _deploy(tmp_path: Path, *overrides: dict) -> dict[str, Any]:
    """Render the env into tmp_path/out and run its deploy.sh; a second call deploys the new
    params against the state the first left (an update)."""
    cfg = make_cfg(*overrides)
    template = build_template(cfg)
    out = tmp_path / "out" / cfg.env
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render.render_env(cfg, template).items():
        (tmp_path / "out" / name).write_text(text)
    state = tmp_path / "state.json"
    users = [u.username for u in cfg.users]
    previous = json.loads(state.read_text()) if state.exists() else {"db_users": []}
    state.write_text(json.dumps({**previous, "calls": [], "users": users, "signalled": False}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    _stub(bin_dir / "aws", FAKE_AWS, state)
    _stub(bin_dir / "curl", FAKE_CURL, state)
    client = {"MYSQL": "mysql", "POSTGRESQL": "psql", "SQLSERVER": "sqlcmd"}[cfg.engine_family.value]
    _stub(bin_dir / client, FAKE_DB_CLIENT, state)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DB_HOST": "db.example", "DB_ADMIN_USER": "admin"}
    # The script polls every 10 s; the stand-in stack is ready at once, so make sleep instant.
    (bin_dir / "sleep").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sleep").chmod(0o755)
    done = subprocess.run(["bash", str(out / render.DEPLOY_SCRIPT_FILE)], env=env, capture_output=True, text=True,
                          timeout=120)
    result = json.loads(state.read_text())
    result["returncode"], result["stderr"], result["stdout"] = done.returncode, done.stderr, done.stdout
    return result


def _first(calls: list[str], prefix: str) -> int:
    return next(i for i, call in enumerate(calls) if call.startswith(prefix) or f" {prefix}" in call)


@pytest.mark.parametrize("name", ["mysql", "mysql-rotation", "sqlserver-rotation", "postgres-cluster"])
def test_deploy_sh_makes_the_users_while_the_stack_waits(tmp_path, name):
    result = _deploy(tmp_path, *SHAPES[name])
    assert result["returncode"] == 0, result["stderr"]
    calls = result["calls"]
    created = _first(calls, "cloudformation --region")
    create_stack = next(i for i, c in enumerate(calls) if "create-stack" in c)
    secret_read = next(i for i, c in enumerate(calls) if "get-secret-value" in c)
    db = _first(calls, "db-client")
    signal = _first(calls, "curl signal")
    wait = next(i for i, c in enumerate(calls) if " wait " in f" {c} ")
    assert created <= create_stack < secret_read < db < signal < wait, calls
    assert result["stack"] == "CREATE_COMPLETE" and result["policy"]
    assert sorted(set(result["db_users"])) == sorted(result["users"])
    # Each user's statements carry that user's own secret's password and no other's.
    for user, statements in result["statements"].items():
        for statement in statements:
            others = [u for u in result["users"] if u != user and f"pw-{_secret_id(u)}" in statement]
            assert not others, statement
        assert any(f"pw-{_secret_id(user)}" in s or "SCRAM-SHA-256$" in s for s in statements), statements


def _secret_id(username: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in username.split("_")) + "Secret"


def test_mysql_users_script_verifies_the_server_certificate(tmp_path):
    result = _deploy(tmp_path, *SHAPES["mysql"])
    [db] = [c for c in result["calls"] if c.startswith("db-client")]
    assert "--ssl-mode=VERIFY_IDENTITY" in db and "--ssl-ca=" in db


@pytest.mark.parametrize("name", ["end-to-end-iam", "brought-secret"])
def test_deploy_sh_makes_the_users_before_the_stack_when_nothing_waits(tmp_path, name):
    result = _deploy(tmp_path, *SHAPES[name])
    assert result["returncode"] == 0, result["stderr"]
    calls = result["calls"]
    db = _first(calls, "db-client")
    create_stack = next(i for i, c in enumerate(calls) if "create-stack" in c)
    assert db < create_stack, calls
    assert not [c for c in calls if c.startswith("curl signal")]
    assert result["stack"] == "CREATE_COMPLETE"


def test_without_the_users_step_the_first_create_fails_as_on_aws(tmp_path):
    """The stand-in is strict enough to matter: skip the users and the target group times out."""
    result = _deploy(tmp_path, *SHAPES["mysql"])
    assert result["returncode"] == 0
    state = tmp_path / "state.json"
    replay = json.loads(state.read_text())
    replay.update({"db_users": [], "signalled": True, "pending": [], "stack": "CREATE_IN_PROGRESS"})
    state.write_text(json.dumps(replay))
    failed = subprocess.run([str(tmp_path / "bin" / "aws"), "cloudformation", "wait", "stack-create-complete"],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "Timed out waiting for target group" in failed.stderr


def test_updates_pause_for_the_users_only_when_the_users_change(tmp_path):
    """Lifecycle: create; the same params again (nothing to do); a new user (the stack pauses
    at a new wait condition and deploy.sh makes the user before the target group is touched)."""
    first = _deploy(tmp_path, *SHAPES["mysql"])
    assert first["returncode"] == 0 and first["stack"] == "CREATE_COMPLETE", first["stderr"]

    same = _deploy(tmp_path, *SHAPES["mysql"])
    assert same["returncode"] == 0 and "is up to date" in same["stdout"], same["stderr"]
    assert not [c for c in same["calls"] if c.startswith(("db-client", "curl signal"))]

    more = {"users": [*SHAPES["mysql"][0]["users"], {"username": "reporting"}]}
    added = _deploy(tmp_path, more)
    assert added["returncode"] == 0, added["stderr"]
    calls = added["calls"]
    update = next(i for i, c in enumerate(calls) if "update-stack" in c)
    assert update < _first(calls, "db-client") < _first(calls, "curl signal"), calls
    assert "reporting" in added["db_users"] and added["stack"] == "UPDATE_COMPLETE"
