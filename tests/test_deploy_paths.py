"""Each way to deploy a provisioner env, run with the real AWS CLI against a local stand-in for AWS
(tests/aws_standin.py), so botocore validates every call that stage.sh, deploy.sh and the commands
of docs/deploying.md make.

The model: stage.sh uploads the code when it is missing and leaves it alone when it is there;
after it, deploy.sh, ``aws cloudformation deploy`` (tags from template-configuration.json) or
``create-stack`` each create the stack with no further input. Without it, deploy.sh stops with
one line naming stage.sh, and a create by another path rolls back (the function has no code).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from templates_src.dbusers.deploy_order import deploy_plan
from templates_src.render.files import (DEPLOY_SCRIPT_FILE, STAGE_SCRIPT_FILE, STACK_POLICY_FILE, TEMPLATE_CONFIGURATION_FILE,
                                   TEMPLATE_FILE)

from aws_standin import AWS_CLI_HOW, StandIn, real_aws_cli, script_environment
from conftest import ROOT, needs_tool, owned_configs, owned_files

AWS = real_aws_cli()
pytestmark = [pytest.mark.aws_cli, needs_tool(AWS, "aws", AWS_CLI_HOW)]
PROVISIONED = sorted(env for env, cfg in owned_configs().items() if cfg.provisioner)
DOCS = ROOT / "docs" / "deploying.md"

# Stands in for `rds-proxy-cfn artifact` (the examples pin no real CA bundle): writes the zip the
# build named, as the real command does for the pinned bundle (tests/test_stage_script.py runs it).
FAKE_TOOL = r'''
import sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "artifact" and Path(args[args.index("--ca-bundle") + 1]).is_file(), args
out = Path(args[args.index("--out") + 1]) / __NAME__
out.write_bytes(b"code for " + args[args.index("--sha256") + 1].encode())
print(out)
'''


class Env:
    """One example env's generated files under tmp/generated/<env>, run from tmp as DEPLOY.md says:
    the example made one's own (its ``example: true`` line deleted), since an example's deploy.sh
    refuses to run."""

    def __init__(self, tmp: Path, env: str, standin: StandIn) -> None:
        self.name, self.cfg, self.root, self.standin = env, owned_configs()[env], tmp, standin
        self.plan = deploy_plan(self.cfg)
        standin.region = self.cfg.region
        self.folder = tmp / "generated" / env
        self.folder.mkdir(parents=True)
        for path, text in owned_files().items():
            if path.startswith(f"{env}/"):
                (tmp / "generated" / path).write_text(text)
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        tool = bin_dir / "rds-proxy-cfn"
        tool.write_text(f"#!{sys.executable}\n" + FAKE_TOOL.replace("__NAME__", repr(self.plan.artifact.name)))
        tool.chmod(0o755)
        (tmp / "global-bundle.pem").write_text("stands in for the bundle\n")
        self.environment = script_environment(standin, tmp, bin_dir, AWS)

    def run(self, command: str) -> subprocess.CompletedProcess:
        """``command`` through bash from the folder that holds generated/, with nothing on stdin."""
        return subprocess.run(["bash", "-c", command], cwd=self.root, env=self.environment, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)

    def file(self, name: str) -> str:
        return (self.folder / name).read_text()

    def tags(self) -> dict[str, str]:
        return json.loads(self.file(TEMPLATE_CONFIGURATION_FILE))["Tags"]

    def docs_block(self, starts: str) -> str:
        """The fenced command of docs/deploying.md that starts with ``starts``, for this env."""
        [block] = [b for b in re.findall(r"```sh\n(.*?)```", DOCS.read_text(), re.S) if b.startswith(starts)]
        tags = " ".join(shlex.quote(f"Key={key},Value={value}") for key, value in self.tags().items())
        capabilities = re.search(r"^#   capabilities (.*)\)\.$", self.file(TEMPLATE_FILE), re.M)
        for placeholder, value in (("Key=<tag>,Value=<value> ...", tags), ("<env>", self.name),
                                   ("<region>", self.cfg.region), ("<stack>", self.cfg.stack_name),
                                   ("CAPABILITY_IAM", capabilities.group(1) if capabilities else "CAPABILITY_IAM")):
            block = block.replace(placeholder, value)
        assert not re.search(r"<[a-z][a-z ]*>", block), block
        return block


@pytest.fixture
def standin():
    with StandIn("eu-west-1") as server:  # Env sets the env's own region
        yield server


def _stage(env: Env) -> subprocess.CompletedProcess:
    return env.run(f"bash generated/{env.name}/{STAGE_SCRIPT_FILE} global-bundle.pem")


@pytest.mark.parametrize("env", PROVISIONED)
def test_stage_then_deploy_sh_creates_the_stack_with_no_further_input(env, tmp_path, standin):
    e = Env(tmp_path, env, standin)
    code = (e.plan.artifact.bucket, e.plan.artifact.key)
    done = _stage(e)
    assert done.returncode == 0, done.stderr
    assert standin.operations() == ["HeadObject", "PutObject"] and code in standin.objects
    assert standin.calls[1].params == {"Bucket": code[0], "Key": code[1]}

    standin.calls.clear()
    again = _stage(e)
    assert again.returncode == 0 and "staged already" in again.stdout, again.stderr
    assert standin.operations() == ["HeadObject"]  # nothing built, nothing uploaded

    standin.calls.clear()
    done = e.run(f"bash generated/{env}/{DEPLOY_SCRIPT_FILE}")
    assert done.returncode == 0, done.stderr
    stack = standin.stacks[e.cfg.stack_name]
    assert stack.status == "CREATE_COMPLETE", done.stdout + done.stderr
    assert json.loads(stack.policy) == json.loads(e.file(STACK_POLICY_FILE)) and stack.termination_protection
    assert stack.tags == e.cfg.tags
    # The code is there, no stack is: create, wait, report. (A kept log group is the stack's to
    # adopt, so nothing looks for one.)
    assert standin.operations() == ["HeadObject", "DescribeStacks", "CreateStack", "DescribeStacks", "DescribeStacks"]


@pytest.mark.parametrize("env", PROVISIONED[:1])
def test_deploy_sh_without_the_code_stops_with_one_line_naming_stage_sh(env, tmp_path, standin):
    e = Env(tmp_path, env, standin)
    done = e.run(f"bash generated/{env}/{DEPLOY_SCRIPT_FILE}")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert f"s3://{e.plan.artifact.bucket}/{e.plan.artifact.key}" in line
    assert line.endswith(f"stage it first: bash {e.folder / STAGE_SCRIPT_FILE}"), line
    assert standin.operations() == ["HeadObject"] and not standin.stacks


@pytest.mark.parametrize("env", PROVISIONED[:1])
def test_deploy_sh_updates_under_the_during_update_policy_then_sets_the_shipped_one(env, tmp_path, standin):
    e = Env(tmp_path, env, standin)
    assert _stage(e).returncode == 0 and e.run(f"bash generated/{env}/{DEPLOY_SCRIPT_FILE}").returncode == 0
    standin.calls.clear()
    done = e.run(f"bash generated/{env}/{DEPLOY_SCRIPT_FILE}")
    assert done.returncode == 0, done.stderr
    [update] = [c for c in standin.calls if c.operation == "UpdateStack"]
    assert json.loads(update.params["StackPolicyDuringUpdateBody"]) == json.loads(
        e.file("stack-policy-during-update.json"))
    operations = standin.operations("cloudformation")
    assert operations.index("UpdateStack") < operations.index("SetStackPolicy")
    assert standin.stacks[e.cfg.stack_name].status == "UPDATE_COMPLETE"


@pytest.mark.parametrize("env", PROVISIONED[:1])
def test_cloudformation_deploy_as_the_docs_show_needs_nothing_after_staging(env, tmp_path, standin):
    e = Env(tmp_path, env, standin)
    deploy = e.docs_block("mapfile -t tags")
    assert "aws cloudformation deploy" in deploy
    assert _stage(e).returncode == 0
    done = e.run(deploy)
    assert done.returncode == 0, done.stderr
    stack = standin.stacks[e.cfg.stack_name]
    assert stack.status == "CREATE_COMPLETE" and stack.tags == e.tags() and stack.policy is None
    assert standin.operations("cloudformation")[-2:] == ["ExecuteChangeSet", "DescribeStacks"]
    # The protections the deploy command does not set, as the page says next.
    done = e.run(e.docs_block("aws cloudformation set-stack-policy"))
    assert done.returncode == 0, done.stderr
    assert json.loads(stack.policy) == json.loads(e.file(STACK_POLICY_FILE)) and stack.termination_protection


@pytest.mark.parametrize("env", PROVISIONED[:1])
def test_without_staging_any_other_path_rolls_back(env, tmp_path, standin):
    """What deploy.sh's check is for: the stand-in fails the create as CloudFormation would when
    the function's code object is missing."""
    e = Env(tmp_path, env, standin)
    done = e.run(e.docs_block("mapfile -t tags"))
    assert done.returncode != 0
    assert standin.stacks[e.cfg.stack_name].status == "ROLLBACK_COMPLETE"


@pytest.mark.parametrize("env", PROVISIONED[:1])
def test_create_stack_and_update_by_hand_as_the_docs_show(env, tmp_path, standin):
    e = Env(tmp_path, env, standin)
    assert _stage(e).returncode == 0
    done = e.run(e.docs_block("aws cloudformation create-stack"))
    assert done.returncode == 0, done.stderr
    stack = standin.stacks[e.cfg.stack_name]
    assert stack.status == "CREATE_COMPLETE" and stack.termination_protection and stack.tags == e.cfg.tags
    done = e.run(e.docs_block("aws cloudformation update-stack"))
    assert done.returncode == 0, done.stderr
    assert standin.operations("cloudformation")[-3:] == ["UpdateStack", "SetStackPolicy", "DescribeStacks"]
    assert stack.status == "UPDATE_COMPLETE"


def test_the_stand_in_refuses_what_cloudformation_would(tmp_path, standin):
    """The model has teeth: a create without the IAM capability is refused, and a parameter the
    API does not take never leaves the CLI (botocore's validation)."""
    e = Env(tmp_path, PROVISIONED[0], standin)
    block = e.docs_block("aws cloudformation create-stack")
    assert _stage(e).returncode == 0
    done = e.run(re.sub(r"--capabilities [A-Z_ ]+", "", block))
    assert done.returncode != 0 and "InsufficientCapabilities" in done.stderr and not standin.stacks
    standin.calls.clear()
    done = e.run(block.replace("--enable-termination-protection", "--stack-policy-url ''"))
    assert done.returncode != 0 and "StackPolicyURL" in done.stderr and "CreateStack" not in standin.operations()


@pytest.mark.parametrize("env", PROVISIONED)
def test_delete_and_create_again_as_docs_deploying_says_adopts_the_kept_log_group(env, tmp_path, standin):
    """Create, delete (the proxy's log group is kept), create again with docs/deploying.md's
    commands: the new stack adopts the group, with nobody acting in between."""
    from templates_src.builders.logs import log_group_name

    e = Env(tmp_path, env, standin)
    assert _stage(e).returncode == 0
    assert e.run(f"bash generated/{env}/{DEPLOY_SCRIPT_FILE}").returncode == 0
    group = log_group_name(e.cfg)
    assert group in standin.log_groups
    standin.calls.clear()
    done = e.run(e.docs_block("aws cloudformation update-termination-protection"))
    assert done.returncode == 0, done.stderr
    assert standin.stacks[e.cfg.stack_name].status == "CREATE_COMPLETE"
    assert group in standin.log_groups  # kept through the delete, and adopted again
    assert "DeleteStack" in standin.operations() and standin.operations().count("CreateStack") == 1


def test_without_the_provisioner_a_kept_log_group_fails_a_create_that_skips_deploy_sh(tmp_path, standin):
    """What deploy.sh's check prevents: a create of a template whose AWS::Logs::LogGroup name a
    deleted stack kept rolls back; the same template's group is free once deleted."""
    cfg = owned_configs()["dev"]
    assert cfg.provisioner is None
    from templates_src.builders.logs import log_group_name

    standin.region = cfg.region
    standin.log_groups.append(log_group_name(cfg))
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    home.mkdir(), bin_dir.mkdir()
    (tmp_path / "template.yaml").write_text(owned_files()[f"dev/{TEMPLATE_FILE}"])
    environment = script_environment(standin, home, bin_dir, AWS)

    def create() -> str:
        run = subprocess.run(["aws", "cloudformation", "create-stack", "--stack-name", cfg.stack_name,
                              "--template-body", "file://template.yaml", "--capabilities", "CAPABILITY_NAMED_IAM"],
                             cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return standin.stacks.pop(cfg.stack_name).status

    assert create() == "ROLLBACK_COMPLETE"
    standin.log_groups.remove(log_group_name(cfg))
    assert create() == "CREATE_COMPLETE"
