"""What each example environment ships beside its template, checked against the template."""

from __future__ import annotations

import json
import re

import pytest
from cfn_flip import load_yaml

from templates_src.facts import aws as facts
from templates_src.builders import outputs
from templates_src.dbusers.deploy_order import deploy_plan
from templates_src.render.files import (DEPLOY_GUIDE_FILE, PARAMETERS_FILE, STACK_POLICY_FILE, TEMPLATE_CONFIGURATION_FILE,
                                   TEMPLATE_FILE)

from conftest import ROOT, example_configs, example_files

pytestmark = pytest.mark.unit

CONFIGS = example_configs()
ENVS = sorted(CONFIGS)
CONSOLE_UPLOAD_LIMIT = 51_200  # bytes of a template body uploaded without S3


def _file(env: str, name: str) -> str:
    return example_files()[f"{env}/{name}"]


def _template(env: str) -> dict:
    return json.loads(json.dumps(load_yaml(_file(env, TEMPLATE_FILE))))


@pytest.mark.parametrize("env", ENVS)
def test_template_fits_the_console_upload_limit(env):
    assert len(_file(env, TEMPLATE_FILE).encode()) <= CONSOLE_UPLOAD_LIMIT


@pytest.mark.parametrize("env", ENVS)
def test_no_parameters_so_every_path_deploys_the_params(env):
    """The template has no Parameters (every value is in it); the parameter files stay, empty,
    so commands and pipelines that pass them keep working."""
    assert "Parameters" not in _template(env)
    assert json.loads(_file(env, PARAMETERS_FILE)) == []
    configuration = json.loads(_file(env, TEMPLATE_CONFIGURATION_FILE))
    assert configuration["Parameters"] == {} and configuration["Tags"] == CONFIGS[env].tags


@pytest.mark.parametrize("env", ENVS)
def test_stack_policy_forbids_replacing_or_deleting_secrets_key_and_logs(env):
    resources = _template(env)["Resources"]
    protected = sorted(f"LogicalResourceId/{name}" for name, r in resources.items()
                       if r["Type"] in ("AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::Logs::LogGroup",
                                        "Custom::AdoptedLogGroup"))
    policy = json.loads(_file(env, TEMPLATE_CONFIGURATION_FILE))["StackPolicy"]
    # The CLI path (deploy.sh, DEPLOY.md's create-stack) applies the same policy.
    assert json.loads(_file(env, STACK_POLICY_FILE)) == policy
    [deny] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == ["Update:Replace", "Update:Delete"] and deny["Resource"] == protected
    # The proxy's log group: the provisioner makes or adopts it (builders/logs.py).
    proxy_group = "AdoptedProxyLogGroup" if CONFIGS[env].provisioner else "ProxyLogGroup"
    assert f"LogicalResourceId/{proxy_group}" in protected
    assert any(r.endswith("Secret") for r in protected) or CONFIGS[env].proxy.default_auth_scheme.value == "IAM_AUTH"


@pytest.mark.parametrize("env", ENVS)
def test_deploy_guide_uses_the_envs_real_names(env):
    cfg = CONFIGS[env]
    guide = _file(env, DEPLOY_GUIDE_FILE)
    assert f"| Stack | `{cfg.stack_name}` in `{cfg.region}` |" in guide
    for output in _template(env)["Outputs"]:
        assert f"`{cfg.stack_name}-{output}`" in guide
    iam_users = [u for u in cfg.users if u.iam_auth.value != "DISABLED" and not u.master]
    for user in iam_users:  # one client policy per user but the master, each shown with its export
        assert f"`{cfg.stack_name}-{outputs.client_policy_output_name(user.username)}`" in guide
    if iam_users:
        assert f"!ImportValue {cfg.stack_name}-{outputs.client_policy_output_name(iam_users[0].username)}" in guide
    assert f"bash generated/{env}/deploy.sh" in guide
    if cfg.provisioner is None:  # the commands by hand are its steps; a provisioner env's are in docs/deploying.md
        assert f"--stack-name {cfg.stack_name}" in guide and f"--region {cfg.region}" in guide
        assert "--capabilities CAPABILITY_IAM" in guide and "--enable-termination-protection" in guide
    assert f"DB_NAME: {cfg.target.database_name}" in guide or cfg.target.database_name is None
    assert "generate_db_auth_token" in guide and "@aws-sdk/rds-signer" in guide
    assert f'DB_PORT: "{facts.ENGINES[cfg.engine_family].port}"' in guide


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_section_holds_what_a_person_runs(env):
    """A provisioner env: one staging command and one deploy command, the rest in docs/deploying.md.
    The script mode: its steps, under a note at the top that unattended deploys need the provisioner."""
    cfg = CONFIGS[env]
    guide = _file(env, DEPLOY_GUIDE_FILE)
    section = guide.split("## Deploy, in this order\n")[1].split("\n## ")[0]
    commands = [line for block in re.findall(r"```sh\n(.*?)```", section, re.S) for line in block.splitlines()]
    paragraphs = guide.split("\n# Deploying RDS Proxy ", 1)[1].split("\n\n")
    if cfg.example:  # first what makes it one's own (tests/test_deploy_script.py), then the guide's own
        assert paragraphs.pop(1).startswith("> **A shipped example: not to be deployed as it is.**")
    after_title = paragraphs[1]
    if cfg.provisioner:
        assert commands == [f"bash generated/{env}/stage.sh", f"bash generated/{env}/deploy.sh"]
        artifact = deploy_plan(cfg).artifact
        assert f"`s3://{artifact.bucket}/{artifact.key}`" in section and f"`{artifact.ca_bundle_sha256}`" in section
        assert section.rstrip().endswith("docs/deploying.md.") and (ROOT / "docs" / "deploying.md").is_file()
        assert not after_title.startswith(">")
    else:
        assert after_title.startswith("> **A person deploys this env.**") and "(docs/provisioner.md)" in after_title
        assert f"generated/{env}/create-db-users.sh" in section and len(commands) > 2
