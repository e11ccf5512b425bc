"""AWS Control Tower's proactive controls pass on every generated template and variant.

The controls are the Guard rules Control Tower evaluates before a deploy (a failing one blocks
it), as shipped with cfn-guard 3 in the pinned npm package @cdklabs/cdk-validator-cfnguard, which
scripts/control-tower-rules.sh fetches into .cache/control-tower/ (.ci/run runs it). Templates
are evaluated in the form CloudFormation resolves (JSON, long-form functions): Guard reads a
short-form !GetAtt as a string where some controls expect a list.

A failure counts unless every resource it names suppresses that rule in Metadata.guard
.SuppressedRules, which is where a params waiver records the reason (builders/common.py).
"""

from __future__ import annotations

import copy
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfn_flip import load_yaml

from builders.envs import (ANY_DATABASE_ADDRESS, CLUSTER, DB_SG, END_TO_END_IAM, ENDPOINT_RANGES, EXTRA_GROUPS,
                           LEGACY_SECRET_ARN, NO_IAM, NO_RETAIN, ONLY_GIVEN_GROUPS, OWN_KEY, POSTGRES, PROVISIONER,
                           PROVISIONER_NAT, ROTATION,
                           ROTATION_ANY_ADDRESS, SQLSERVER, TWO_USERS, make_cfg)
from templates_src.builders.stack import build_template

from conftest import GENERATED, ROOT, require_tool

PACKAGE = Path(os.environ.get("RDS_PROXY_CFN_CONTROL_TOWER", ROOT / ".cache" / "control-tower" / "package"))
VARIANTS = {
    "mysql": (TWO_USERS,),
    "postgres-cluster-ro": (POSTGRES, CLUSTER, {"target": {"read_only_endpoint": True},
                                               "network": {"database_security_group_id": DB_SG}}),
    "sqlserver-rotation": (SQLSERVER, ROTATION),
    "own-key-existing-secret": (OWN_KEY, {"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN}]}),
    "end-to-end-iam": (POSTGRES, TWO_USERS, END_TO_END_IAM),
    "iam-options": (TWO_USERS, {"iam": {"permissions_boundary_arn": "arn:aws:iam::111122223333:policy/platform/Boundary",
                                        "role_path": "/teams/orders/",
                                        "key_admin_arns": ["arn:aws:iam::111122223333:role/platform/KeyAdmins"],
                                        "secret_reader_arns": ["arn:aws:iam::111122223333:role/platform/deployer"]}}),
    "iam-existing-role": (TWO_USERS, {"iam": {"proxy_role_arn": "arn:aws:iam::111122223333:role/platform/orders-proxy",
                                              "secret_reader_arns": ["arn:aws:iam::111122223333:user/ops"]}}),
    "egress-to-any-address-waived": (ANY_DATABASE_ADDRESS, ROTATION_ANY_ADDRESS),
    "proxy-groups-beside-built": (EXTRA_GROUPS,),
    "proxy-groups-instead-of-built": (CLUSTER, ONLY_GIVEN_GROUPS, {"target": {"read_only_endpoint": True}}),
    "endpoint-client-ranges": ({"network": {"endpoint_network_type": "DUAL"}}, ENDPOINT_RANGES),
    "provisioner-endpoints": (PROVISIONER, TWO_USERS),
    "provisioner-nat-postgres-iam": (POSTGRES, END_TO_END_IAM, PROVISIONER, PROVISIONER_NAT),
    "weakened-but-waived": (NO_IAM, NO_RETAIN, {"proxy": {"log_retention_days": 7},
                                               "waivers": {"log_retention": "scratch stacks, deleted each night"}}),
}


def _guard() -> Path:
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine().lower()]
    system = "macos" if platform.system() == "Darwin" else "ubuntu"
    binary = PACKAGE / "bin" / system / machine / "cfn-guard"
    require_tool(binary.exists(), f"AWS Control Tower's controls and cfn-guard in {PACKAGE}",
                 "bash scripts/control-tower-rules.sh, which scripts/test runs, or RDS_PROXY_CFN_CONTROL_TOWER")
    binary.chmod(0o755)
    return binary


def _paths(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("path"), str) and node["path"].startswith("/Resources/"):
            found.add(node["path"].split("/")[2])
        for value in node.values():
            found |= _paths(value)
    elif isinstance(node, list):
        for item in node:
            found |= _paths(item)
    return found


def control_failures(templates: dict[str, dict[str, Any]], folder: Path) -> dict[str, list[str]]:
    """name -> ``rule: resources`` for each control that fails on that template and is not
    suppressed. One cfn-guard run for all of them (it starts in ~0.1 s but reads 237 rule files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, template in templates.items():
        (folder / f"{name}.json").write_text(json.dumps(template))
    done = subprocess.run([str(_guard()), "validate", "--rules", str(PACKAGE / "rules" / "control-tower" / "cfn-guard"),
                           "--data", str(folder), "--output-format", "json", "--show-summary", "none"],
                          capture_output=True, text=True)
    assert done.returncode in (0, 19), done.stderr  # 19: some rule failed
    failures: dict[str, list[str]] = {name: [] for name in templates}
    for report in (json.loads(doc) for doc in _documents(done.stdout)):
        name = Path(report["name"]).stem
        template = templates[name]
        for failed in report["not_compliant"]:
            rule = failed["Rule"]["name"]
            resources = sorted(_paths(failed)) or ["(template)"]
            suppressed = all(rule in template["Resources"].get(r, {}).get("Metadata", {})
                             .get("guard", {}).get("SuppressedRules", []) for r in resources)
            if not suppressed:
                failures[name].append(f"{rule}: {', '.join(resources)}")
    return {name: sorted(found) for name, found in failures.items()}


def _documents(text: str) -> list[str]:
    """cfn-guard prints one JSON document per rules file: split them."""
    decoder, index, found = json.JSONDecoder(), 0, []
    text = text.strip()
    while index < len(text):
        _, end = decoder.raw_decode(text, index)
        found.append(text[index:end])
        index = end
        while index < len(text) and text[index].isspace():
            index += 1
    return found


def _json(template_yaml: str) -> dict[str, Any]:
    return json.loads(json.dumps(load_yaml(template_yaml)))


@pytest.mark.golden
def test_committed_templates_and_variants_pass_every_control(tmp_path):
    templates = {f"env-{p.parent.name}": _json(p.read_text()) for p in sorted(GENERATED.glob("*/rds-proxy.yaml"))}
    assert templates
    templates.update({f"variant-{name}": json.loads(json.dumps(build_template(make_cfg(*overrides)).to_dict()))
                      for name, overrides in VARIANTS.items()})
    assert control_failures(templates, tmp_path) == {name: [] for name in templates}


@pytest.mark.scanners
def test_a_waiver_suppresses_exactly_its_control(tmp_path):
    """Planted: the same short retention without its suppression fails CT.CLOUDWATCH.PR.2, and
    a key policy without the CreateGrant deny fails CT.KMS.PR.3 (the controls really run)."""
    change = {"proxy": {"log_retention_days": 30}, "waivers": {"log_retention": "kept a month on purpose"}}
    body = json.loads(json.dumps(build_template(make_cfg(change)).to_dict()))
    unsuppressed = copy.deepcopy(body)
    del unsuppressed["Resources"]["ProxyLogGroup"]["Metadata"]["guard"]
    no_deny = copy.deepcopy(body)
    statements = no_deny["Resources"]["ProxySecretsKey"]["Properties"]["KeyPolicy"]["Statement"]
    no_deny["Resources"]["ProxySecretsKey"]["Properties"]["KeyPolicy"]["Statement"] = [
        s for s in statements if s.get("Sid") != "DenyGrantsExceptForAwsServices"]
    assert control_failures({"waived": body, "unsuppressed": unsuppressed, "no-deny": no_deny}, tmp_path) == {
        "waived": [],
        "unsuppressed": ["cloudwatch_log_group_retention_period_check: ProxyLogGroup"],
        "no-deny": ["kms_create_grant_aws_service_check: ProxySecretsKey"],
    }
