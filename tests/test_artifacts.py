"""What each example environment ships beside its template, checked against the template."""

from __future__ import annotations

import json
import re

import pytest
from cfn_flip import load_yaml

from templates_src import aws_facts as facts
from templates_src.render import (DEPLOY_GUIDE_FILE, PARAMETERS_FILE, TEMPLATE_CONFIGURATION_FILE, TEMPLATE_FILE)

from conftest import example_configs, example_files

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
def test_parameter_files_name_exactly_the_templates_parameters(env):
    parameters = _template(env)["Parameters"]
    create_stack = json.loads(_file(env, PARAMETERS_FILE))
    configuration = json.loads(_file(env, TEMPLATE_CONFIGURATION_FILE))
    assert sorted(p["ParameterKey"] for p in create_stack) == sorted(parameters)
    assert sorted(configuration["Parameters"]) == sorted(parameters)
    # The defaults are the env's values, so the console upload needs no typing.
    assert {p["ParameterKey"]: p["ParameterValue"] for p in create_stack} == {
        name: spec["Default"] for name, spec in parameters.items()}


@pytest.mark.parametrize("env", ENVS)
def test_every_default_satisfies_its_constraints(env):
    for name, spec in _template(env)["Parameters"].items():
        default = spec["Default"]
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], default), name
        if "AllowedValues" in spec:
            assert default in spec["AllowedValues"], name
        if "MinValue" in spec:
            assert spec["MinValue"] <= int(default) <= spec["MaxValue"], name
        assert spec["Description"] and spec.get("ConstraintDescription", "x")


@pytest.mark.parametrize("env", ENVS)
def test_stack_policy_forbids_replacing_or_deleting_secrets_key_and_logs(env):
    resources = _template(env)["Resources"]
    protected = sorted(f"LogicalResourceId/{name}" for name, r in resources.items()
                       if r["Type"] in ("AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::Logs::LogGroup"))
    policy = json.loads(_file(env, TEMPLATE_CONFIGURATION_FILE))["StackPolicy"]
    [deny] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == ["Update:Replace", "Update:Delete"] and deny["Resource"] == protected
    assert any(r.endswith("Secret") for r in protected) and "LogicalResourceId/ProxyLogGroup" in protected


@pytest.mark.parametrize("env", ENVS)
def test_deploy_guide_uses_the_envs_real_names(env):
    cfg = CONFIGS[env]
    guide = _file(env, DEPLOY_GUIDE_FILE)
    assert f"--stack-name {cfg.stack_name}" in guide and f"--region {cfg.region}" in guide
    assert "--capabilities CAPABILITY_IAM" in guide
    for output in _template(env)["Outputs"]:
        assert f"`{cfg.stack_name}-{output}`" in guide
    assert f"!ImportValue {cfg.stack_name}-ClientPolicyArn" in guide
    assert "generate_db_auth_token" in guide and "@aws-sdk/rds-signer" in guide
    assert f'DB_PORT: "{facts.ENGINES[cfg.engine_family].port}"' in guide
