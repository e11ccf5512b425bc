"""Build a validated ``EnvConfig`` from a small dict, through the real params loader.

Each test states only what it varies (``make_cfg({"proxy": {"require_tls": False}})``); the
rest comes from ``BASE``, a minimal MySQL-instance environment whose proxy reaches the
database's security group. The dict is written as a params folder and loaded with
``load_environments``, so every config a builder test sees is one the validator accepts and
``derive.resolve`` has completed.

BASE's generated secrets are not rotated, which needs ``waivers.rotation``: ``merged`` adds
``NO_ROTATION`` whenever the merged env still generates secrets without ``rotation_days`` and
names no rotation waiver, so fragments that turn rotation on (``ROTATION``) or bring every
secret need not take it out again. A test of the refusal itself loads its dict with ``load_cfg``.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml

from templates_src.config import load_environments
from templates_src.config.schema.model import EnvConfig

EXAMPLE_PARAMS = Path(__file__).resolve().parents[1] / "fixtures" / "params" / "examples"  # conftest.EXAMPLES
ENV = "test"
PROXY_NAME = "orders-test"
CLIENT_SG = "sg-0a1b2c3d4e5f60733"
OTHER_CLIENT_SG = "sg-0a1b2c3d4e5f60799"
DB_SG = "sg-0a1b2c3d4e5f60744"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
VPC = "vpc-0a1b2c3d4e5f60718"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
LEGACY_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:legacy/app-AbCdEf"

BASE: dict[str, Any] = {
    "engine_family": "MYSQL",
    "region": "eu-west-1",
    "proxy": {"name": PROXY_NAME},
    "network": {"vpc_id": VPC, "subnet_ids": SUBNETS, "client_security_group_ids": [CLIENT_SG],
                "database_security_group_id": DB_SG},
    "target": {"db_instance_identifier": "orders-test-db"},
    "users": [{"username": "app_user", "description": "Application user"}],
}

# Fragments for the shapes tests combine most often.
CLUSTER = {"target": {"db_instance_identifier": None, "db_cluster_identifier": "orders-test-aurora"}}
POSTGRES = {"engine_family": "POSTGRESQL"}
SQLSERVER = {"engine_family": "SQLSERVER"}
OWN_KEY = {"secrets": {"kms_key_arn": KEY_ARN}}
NO_RETAIN = {"secrets": {"retain_on_delete": False}, "waivers": {"retain_on_delete": "throwaway test stacks (TICKET-7)"}}
TWO_USERS = {"users": [{"username": "app_user", "description": "Application user"},
                       {"username": "migrator"}]}
SUPERUSER_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders/admin-AbCdEf"
ENDPOINT_SG = "sg-0a1b2c3d4e5f60755"  # the Secrets Manager interface endpoint's group
ROTATION = {"secrets": {"rotation_days": 30}, "network": {"secrets_manager_endpoint_security_group_id": ENDPOINT_SG}}
ROTATION_EGRESS_REASON = "no Secrets Manager endpoint group known yet (TICKET-8)"
# Rotation whose functions reach Secrets Manager at any address (a NAT gateway, or an endpoint not named).
ROTATION_ANY_ADDRESS = {"secrets": {"rotation_days": 30}, "waivers": {"world_egress": ROTATION_EGRESS_REASON}}
NO_ROTATION = "passwords rotated by the platform team (TICKET-5)"
# Neither the database's group nor its range: egress to any address on the database port.
ANY_DATABASE_ADDRESS = {"network": {"database_security_group_id": None},
                        "waivers": {"world_egress": "database range not fixed yet (TICKET-9)"}}
# Existing groups for the proxy: beside the built one, or (create_security_group false) instead
# of it, when the client and database keys that shape the built group must go.
# An extra endpoint in another VPC whose clients are ranges (a network's and one address).
ENDPOINT_RANGES = {"endpoints": [{"name": "orders-test-apps", "vpc_id": "vpc-0f60718293a4b5c6d",
                                  "subnet_ids": ["subnet-0f60718293a4b5c11", "subnet-0f60718293a4b5c22"],
                                  "allowed_cidrs": ["10.50.0.0/16", "2001:db8:1::/48", "10.50.0.9/32"]}]}
AUDIT_SG = "sg-0a1b2c3d4e5f60766"
SHARED_SG = "sg-0a1b2c3d4e5f60777"
EXTRA_GROUPS = {"network": {"proxy_security_group_ids": [AUDIT_SG, SHARED_SG]}}
ONLY_GIVEN_GROUPS = {"network": {"create_security_group": False, "proxy_security_group_ids": [AUDIT_SG, SHARED_SG],
                                 "client_security_group_ids": None, "database_security_group_id": None}}
ALTERNATING = {"secrets": {"rotation_days": 7, "rotation_strategy": "alternating_users",
                           "rotation_superuser_secret_arn": SUPERUSER_SECRET_ARN}}
DB_RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVW012"
END_TO_END_IAM = {"proxy": {"default_auth_scheme": "IAM_AUTH"}, "target": {"database_resource_id": DB_RESOURCE_ID}}
WAIVE_IAM = {"waivers": {"iam_auth": "legacy client, tracked in TICKET-42"}}
NO_IAM = {"proxy": {"iam_auth": "DISABLED", "require_tls": False},
          "waivers": {"iam_auth": "legacy client, tracked in TICKET-42", "require_tls": "legacy client, tracked in TICKET-42"}}


# The stack makes its users itself: the provisioner at the VPC's endpoints, or through a NAT.
ADMIN_SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b2c3d-AbCdEf"
CA_SHA = "3f2a1c9b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
PREFIX_LIST = "pl-6da54004"
PROVISIONER = {"provisioner": {"admin_secret_arn": ADMIN_SECRET, "artifact_bucket": "orders-artifacts",
                               "ca_bundle_sha256": CA_SHA, "aws_apis_via": "vpc_endpoints",
                               "endpoint_security_group_id": ENDPOINT_SG, "s3_prefix_list_id": PREFIX_LIST}}
PROVISIONER_NAT = {"provisioner": {"aws_apis_via": "nat", "endpoint_security_group_id": None, "s3_prefix_list_id": None},
                   "waivers": {"world_egress": "no interface endpoints in this VPC yet (TICKET-11)"}}


def merged(*overrides: dict[str, Any]) -> dict[str, Any]:
    """BASE with each override deep-merged in turn: mappings merge, lists replace, None deletes."""
    result = copy.deepcopy(BASE)
    for override in overrides:
        merge_into(result, override)
    end_to_end = result.get("proxy", {}).get("default_auth_scheme") == "IAM_AUTH"
    generates = not end_to_end and any("secret_arn" not in user for user in result.get("users", []))
    waivers = result.get("waivers", {})
    if generates and "rotation_days" not in result.get("secrets", {}) and "rotation" not in waivers:
        result["waivers"] = {**waivers, "rotation": NO_ROTATION}
    return result


def merge_into(into: dict[str, Any], override: dict[str, Any]) -> None:
    for name, value in override.items():
        if value is None:
            into.pop(name, None)
        elif isinstance(value, dict) and isinstance(into.get(name), dict):
            merge_into(into[name], value)
        else:
            into[name] = copy.deepcopy(value)


def load_cfg(params: dict[str, Any], env: str = ENV) -> EnvConfig:
    """Write ``params`` as ``<tmp>/params/<env>.yaml`` and load it with the real loader."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "params"
        folder.mkdir()
        (folder / f"{env}.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
        [cfg] = load_environments(folder, "params", [env])
    return cfg


def make_cfg(*overrides: dict[str, Any]) -> EnvConfig:
    return load_cfg(merged(*overrides))


def props(resource: Any) -> dict[str, Any]:
    """A troposphere resource's Properties, as they appear in the template."""
    return resource.to_dict()["Properties"]


def by_title(resources: list[Any]) -> dict[str, Any]:
    return {r.title: r for r in resources}


def walk(value: Any):
    """Every (key, value) pair in a nested dict/list, depth first."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield name, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy document's statements by Sid."""
    return {s["Sid"]: s for s in document["Statement"]}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attribute]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}
