"""The paths with nobody in the loop, run with the real AWS CLI against the local stand-in for AWS
(tests/aws_standin.py): a Service Catalog launch with an env's provisioning-parameters.json, and
a stack set made from its generated inputs, after the publish steps staged the function's code.

botocore validates each request (the provisioning file's and the stack set inputs' shapes among
them); the product is then resolved with exactly the values the CLI sent, as CloudFormation would
for that launch or stack instance. Each must make its database users itself (the provisioner's
custom resource before the target group, no wait condition), and its function must name code
that was staged in its own region (Lambda reads a function's code from a bucket of its region).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfn_flip import load_yaml

from templates_src.catalog import PRODUCT_FILE, PROVISIONING_FILE
from templates_src.catalog.resolve import resolve
from templates_src.stacksets import CREATE_INPUT_FILE, instances_file
from templates_src.dbusers.sql import provisioner_sql

from aws_standin import AWS_CLI_HOW, StandIn, real_aws_cli
from conftest import example_configs, example_files, needs_tool

AWS = real_aws_cli()
pytestmark = [pytest.mark.aws_cli, needs_tool(AWS, "aws", AWS_CLI_HOW)]
LAUNCHED = sorted(path.split("/")[0] for path in example_files() if path.endswith(f"/{PROVISIONING_FILE}"))
STACK_SETS = sorted(env for env, cfg in example_configs().items() if cfg.stack_set is not None)
TEMPLATE_URL = "https://portfolio-bucket.s3.eu-west-1.amazonaws.com/rds-proxy/0.1.0/rds-proxy-product.yaml"
WAITS = ("AWS::CloudFormation::WaitCondition", "AWS::CloudFormation::WaitConditionHandle")


def _product() -> dict[str, Any]:
    return load_yaml(example_files()[PRODUCT_FILE])


def _aws(standin: StandIn, cwd: Path, *args: str) -> None:
    result = subprocess.run([AWS, *args], cwd=cwd, env=standin.environment(cwd), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}"


def _write(tmp: Path, path: str) -> Path:
    target = tmp / "generated" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_files()[path])
    return target


def _stage(standin: StandIn, tmp: Path, region: str, bucket: str, key: str) -> None:
    """The publish step: the code (here any bytes) copied to the region's bucket."""
    code = tmp / Path(key).name
    code.write_bytes(b"the provisioner's code")
    _aws(standin, tmp, "s3", "cp", "--region", region, code.name, f"s3://{bucket}/{key}")


def _launch(standin: StandIn, tmp: Path, env: str, region: str) -> dict[str, str]:
    """``aws servicecatalog provision-product`` with the env's file; the values as the CLI sent them."""
    _aws(standin, tmp, "servicecatalog", "provision-product", "--region", region,
         "--product-id", "prod-abcdefghijklm", "--provisioning-artifact-name", "0.1.0",
         "--provisioned-product-name", f"{env}-proxy",
         "--provisioning-parameters", f"file://generated/{env}/{PROVISIONING_FILE}")
    [call] = [c for c in standin.calls if c.operation == "ProvisionProduct"]
    return {p["Key"]: p["Value"] for p in call.params["ProvisioningParameters"]}


def _makes_its_own_users(resources: dict[str, Any], standin: StandIn, region: str) -> None:
    assert not [r for r in resources.values() if r["Type"] in WAITS], "a wait condition nobody would signal"
    assert resources["DatabaseUsers"]["Type"] == "Custom::DatabaseUsers"
    assert "DatabaseUsers" in resources["ProxyTargetGroup"]["DependsOn"]
    code = resources["DatabaseUsersFunction"]["Properties"]["Code"]
    where = (code["S3Bucket"], code["S3Key"])
    assert where in standin.objects, f"s3://{'/'.join(where)} was never staged"
    assert standin.object_regions[where] == region, f"s3://{'/'.join(where)} is staged in another region"


@pytest.mark.parametrize("env", LAUNCHED)
def test_a_service_catalog_launch_makes_its_users_with_no_one_there(env: str, tmp_path: Path) -> None:
    cfg = example_configs()[env]
    provisioning = _write(tmp_path, f"{env}/{PROVISIONING_FILE}")
    with StandIn(cfg.region) as standin:
        assert cfg.provisioner is not None
        values = {p["Key"]: p["Value"] for p in json.loads(provisioning.read_text())}
        _stage(standin, tmp_path, cfg.region, values["ProvisionerArtifactBucket"], values["ProvisionerArtifactKey"])
        sent = _launch(standin, tmp_path, env, cfg.region)
        resources = resolve(_product(), sent)["Resources"]
        _makes_its_own_users(resources, standin, cfg.region)
    # The SQL the launch runs is the env's own (the build's launch check compares every property).
    assert resources["DatabaseUsers"]["Properties"]["Sql"] == provisioner_sql(cfg)


def test_a_launch_without_staged_code_is_caught(tmp_path: Path) -> None:
    """The model can fail: the same launch with the code never staged."""
    env = LAUNCHED[0]
    cfg = example_configs()[env]
    _write(tmp_path, f"{env}/{PROVISIONING_FILE}")
    with StandIn(cfg.region) as standin:
        sent = _launch(standin, tmp_path, env, cfg.region)
        with pytest.raises(AssertionError, match="was never staged"):
            _makes_its_own_users(resolve(_product(), sent)["Resources"], standin, cfg.region)


def _members(params: dict[str, str], prefix: str) -> dict[str, str]:
    """``Parameters.member.N.ParameterKey/Value`` (the query protocol's list) as a dict."""
    keys = {k[: -len(".ParameterKey")]: v for k, v in params.items()
            if k.startswith(prefix) and k.endswith(".ParameterKey")}
    return {name: params.get(f"{member}.ParameterValue", "") for member, name in keys.items()}


def _regions(params: dict[str, str]) -> list[str]:
    return [v for k, v in sorted(params.items()) if re.fullmatch(r"Regions\.member\.\d+", k)]


@pytest.mark.parametrize("env", STACK_SETS)
def test_every_stack_instance_makes_its_users_from_code_in_its_region(env: str, tmp_path: Path) -> None:
    cfg = example_configs()[env]
    assert cfg.stack_set is not None
    guide = _write(tmp_path, f"{env}/DEPLOY.md").read_text()
    _write(tmp_path, f"{env}/{CREATE_INPUT_FILE}")
    for group in range(len(cfg.stack_set.instances)):
        _write(tmp_path, f"{env}/{instances_file(group)}")
    with StandIn(cfg.region) as standin:
        # DEPLOY.md's staging commands, one per region, as a person runs them once.
        staging = [shlex.split(line) for line in guide.splitlines()
                   if line.startswith("aws s3 cp --region ") and "rds-proxy-cfn/provisioner-" in line]
        assert staging, "DEPLOY.md has no staging command for the stack set's regions"
        for command in staging:
            [local] = [arg for arg in command if arg.endswith(".zip") and not arg.startswith("s3://")]
            (tmp_path / local).write_bytes(b"the provisioner's code")
            _aws(standin, tmp_path, *command[1:])
        _aws(standin, tmp_path, "cloudformation", "create-stack-set", "--region", cfg.region,
             "--cli-input-json", f"file://generated/{env}/{CREATE_INPUT_FILE}", "--template-url", TEMPLATE_URL)
        for group in range(len(cfg.stack_set.instances)):
            _aws(standin, tmp_path, "cloudformation", "create-stack-instances", "--region", cfg.region,
                 "--cli-input-json", f"file://generated/{env}/{instances_file(group)}")
        [created] = [c for c in standin.calls if c.operation == "CreateStackSet"]
        base = _members(created.params, "Parameters.member.")
        groups = [c for c in standin.calls if c.operation == "CreateStackInstances"]
        assert len(groups) == len(cfg.stack_set.instances)
        seen = set()
        for call in groups:
            values = {**base, **_members(call.params, "ParameterOverrides.member.")}
            for region in _regions(call.params):
                _makes_its_own_users(resolve(_product(), values)["Resources"], standin, region)
                seen.add(region)
    assert seen == {region for group in cfg.stack_set.instances for region in group.regions}
