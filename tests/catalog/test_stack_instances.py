"""The product's equivalence extended to stack sets: every stack instance is its environment.

For every example env with ``stack_set:`` and for shapes the examples do not cover, each stack
instance launches the product with what the stack set template gives it (its Parameters with the
group's ParameterOverrides, read from the template as CloudFormation reads them), and that must
resolve to the env's own template moved to the instance's account and region (the env built with
the group's overrides and the instance's region): same resources, properties and outputs
(``verify.launch_differences``, normalised as in test_equivalence).
"""

from __future__ import annotations

import copy
import json

import pytest

from templates_src.catalog import verify
from templates_src.config.stack_set_instances import instance_configs
from templates_src.builders.stack import build_template
from templates_src.stacksets import launch_problems
from templates_src.stacksets import template as T

from builders.envs import PROVISIONER, make_cfg

from .helpers import WAIVED, examples, product_body

pytestmark = pytest.mark.unit

OTHER_NETWORK = {"vpc_id": "vpc-0f0e0d0c0b0a09081", "subnet_ids": ["subnet-0f0e0d0c0b0a09011", "subnet-0f0e0d0c0b0a09022"],
                 "client_security_group_ids": ["sg-0f0e0d0c0b0a09033"], "database_security_group_id": "sg-0f0e0d0c0b0a09044"}
KEY = "arn:aws:kms:us-west-2:444455556666:key/1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
WEST_SECRET = "arn:aws:secretsmanager:us-west-2:777788889999:secret:rds!cluster-7a8b9c0d-AbCdEf"
OTHER_ACCOUNT_SECRET = "arn:aws:secretsmanager:eu-west-1:444455556666:secret:orders/db-admin-GhIjKl"
# Each account's database has its own admin secret, and each region its code bucket.
WEST_PROVISIONER = {"admin_secret_arn": WEST_SECRET, "artifact_bucket": "orders-artifacts-us-west-2",
                    "endpoint_security_group_id": "sg-0f0e0d0c0b0a09055", "s3_prefix_list_id": "pl-0123abcd"}
VARIANTS = {
    "service-managed-ous": {**PROVISIONER, "stack_set": {
        "permission_model": "SERVICE_MANAGED", "auto_deployment": True, "call_as": "DELEGATED_ADMIN",
        "max_concurrent": 3, "failure_tolerance": 2, "region_concurrency": "PARALLEL",
        "instances": [{"organizational_units": ["ou-ab12-cd34ef56"], "accounts": ["111122223333"],
                       "account_filter": "INTERSECTION", "regions": ["eu-west-1"]},
                      {"organizational_units": ["r-ab12"], "accounts": ["777788889999"], "account_filter": "INTERSECTION",
                       "regions": ["us-west-2"], "overrides": {**OTHER_NETWORK, "kms_key_arn": KEY,
                                                              "db_cluster_identifier": "orders-west-aurora",
                                                              **WEST_PROVISIONER}}]}},
    "self-managed-cidrs": {**PROVISIONER, "network": {"allowed_cidrs": ["10.1.0.0/16"], "endpoint_network_type": "DUAL"},
                           "stack_set": {"instances": [
        {"accounts": ["111122223333"], "regions": ["eu-west-1"]},
        {"accounts": ["444455556666"], "regions": ["eu-west-1"],
         "overrides": {"allowed_cidrs": ["10.2.0.0/16", "2001:db8::/48"], "client_security_group_ids": [],
                       "admin_secret_arn": OTHER_ACCOUNT_SECRET}}]}},
}


def _stack_set_envs():
    envs = [cfg for cfg in examples() if cfg.stack_set is not None]
    assert envs, "no example env has a stack set"
    return [*envs, *(make_cfg(change) for change in VARIANTS.values())]


ENVS = _stack_set_envs()
IDS = [*(c.env for c in ENVS[:-len(VARIANTS)]), *VARIANTS]


@pytest.mark.parametrize("cfg", ENVS, ids=IDS)
def test_every_stack_instance_launches_as_its_environment_moved_there(cfg):
    body = T.stack_set_body(cfg)
    instances = instance_configs(cfg)
    assert instances
    for instance in instances:
        values = T.instance_values(cfg, body, instance.group)
        differing = verify.launch_differences(instance.cfg, product_body(), values)
        assert not differing, f"{cfg.env} {instance.region} group {instance.group}:\n{verify.report(differing)}"
    assert launch_problems([cfg], product_body()) == []


def test_an_instance_with_overrides_is_not_the_environment_itself():
    """The comparison above sees the overrides: the moved env differs from the env, and the
    instance resolved with the stack set's base values (no overrides) differs from the moved env."""
    cfg = make_cfg(VARIANTS["service-managed-ous"])
    body = T.stack_set_body(cfg)
    moved = [i for i in instance_configs(cfg) if i.group == 1][0]
    assert moved.cfg.region == "us-west-2" and moved.cfg.network.vpc_id == OTHER_NETWORK["vpc_id"]
    assert verify.dedicated(moved.cfg) != verify.dedicated(cfg)
    base = {p["ParameterKey"]: p["ParameterValue"] for p in body["Resources"][T.STACK_SET_ID]["Properties"]["Parameters"]}
    differing = verify.launch_differences(moved.cfg, product_body(), base)
    assert {"Resources.Proxy", "Resources.ProxySecurityGroup", "Resources.ProxyTargetGroup"} <= set(differing)


def test_a_wrong_override_in_the_template_is_found():
    cfg = make_cfg(VARIANTS["service-managed-ous"])
    body = copy.deepcopy(T.stack_set_body(cfg))
    group = body["Resources"][T.STACK_SET_ID]["Properties"]["StackInstancesGroup"][1]
    for parameter in group["ParameterOverrides"]:
        if parameter["ParameterKey"] == "VpcId":
            parameter["ParameterValue"] = "vpc-0a0a0a0a0a0a0a0a0"
    moved = [i for i in instance_configs(cfg) if i.group == 1][0]
    differing = verify.launch_differences(moved.cfg, product_body(), T.instance_values(cfg, body, 1))
    assert "Resources.ProxySecurityGroup" in differing


def test_the_stack_set_template_says_what_the_params_say():
    cfg = make_cfg(VARIANTS["service-managed-ous"])
    properties = T.stack_set_body(cfg)["Resources"][T.STACK_SET_ID]["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED" and properties["CallAs"] == "DELEGATED_ADMIN"
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    assert properties["OperationPreferences"] == {"FailureToleranceCount": 2, "MaxConcurrentCount": 3,
                                                  "RegionConcurrencyType": "PARALLEL",
                                                  "RegionOrder": ["eu-west-1", "us-west-2"]}
    targets = [g["DeploymentTargets"] for g in properties["StackInstancesGroup"]]
    assert targets == [{"OrganizationalUnitIds": ["ou-ab12-cd34ef56"], "Accounts": ["111122223333"],
                        "AccountFilterType": "INTERSECTION"},
                       {"OrganizationalUnitIds": ["r-ab12"], "Accounts": ["777788889999"],
                        "AccountFilterType": "INTERSECTION"}]
    # Only what differs is overridden; the first group has nothing to override.
    assert "ParameterOverrides" not in properties["StackInstancesGroup"][0]
    keys = {p["ParameterKey"] for p in properties["StackInstancesGroup"][1]["ParameterOverrides"]}
    # A cluster instead of the env's instance: both identifiers change (the instance's is emptied).
    assert keys == {"VpcId", "SubnetIds", "ClientSecurityGroup1", "DatabaseSecurityGroupId", "KmsKeyArn",
                    "DBClusterIdentifier", "DBInstanceIdentifier",
                    # The account's admin secret and the region's code bucket, endpoints and S3 prefix list.
                    "AdminSecretArn", "ProvisionerArtifactBucket", "EndpointSecurityGroupId", "S3PrefixListId"}
    assert json.dumps(properties).count("CAPABILITY_IAM") == 1


def test_an_env_the_product_cannot_launch_gets_no_stack_set():
    cfg = make_cfg(PROVISIONER, {"secrets": {"rotation_days": 30},
                    "network": {"secrets_manager_endpoint_security_group_id": "sg-0a1b2c3d4e5f60755"},
                    "stack_set": {"instances": [{"accounts": ["111122223333"], "regions": ["eu-west-1"]}]}})
    problems = [str(p) for p in launch_problems([cfg], product_body())]
    assert problems and all("member template is the product" in p for p in problems)
    assert build_template(cfg)  # its own template still builds


def test_a_stack_set_env_without_tls_needs_the_products_waiver():
    """Its instances launch the product, so the product must offer RequireTLS false and IamAuth
    DISABLED (params/_product.yaml); without the waivers the build refuses the stack set."""
    cfg = make_cfg(PROVISIONER, {"proxy": {"require_tls": False, "iam_auth": "DISABLED"},
                    "waivers": {"require_tls": "legacy clients, ticket TEST-3", "iam_auth": "legacy clients, TEST-3"},
                    "stack_set": {"instances": [{"accounts": ["111122223333"], "regions": ["eu-west-1"]}]}})
    problems = [str(p) for p in launch_problems([cfg], product_body())]
    assert len(problems) == 2 and all("(a stack set's member template is the product)" in p for p in problems)
    assert any("waivers.require_tls" in p for p in problems) and any("waivers.iam_auth" in p for p in problems)
    assert launch_problems([cfg], product_body(WAIVED), WAIVED) == []
