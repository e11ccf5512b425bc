"""The stack set template of an environment: one ``AWS::CloudFormation::StackSet`` whose member
template is the Service Catalog product, with the env's launch values as the stack set's
Parameters and, per group of instances, the values that differ there as ParameterOverrides.

Pure functions of the validated config. The member template goes by URL: the product is about
50 KB and ``TemplateBody`` takes at most 51,200 bytes (provider schema); a ``TemplateURL`` (S3)
takes 460,800. The URL is this template's one Parameter, as in portfolio.yaml: it names the
bucket and the version uploaded, which the params do not know.
"""

from __future__ import annotations

from typing import Any

from ..facts import aws as facts
from ..facts import cloudformation
from ..facts.stack_sets import CallAs, PermissionModel
from ..catalog.provisioning import provisioning_values
from ..config.schema.model import EnvConfig
from ..config.schema.stack_set import StackInstancesParams
from ..config.stack_set_instances import Instance, instance_configs
from ..builders.stack import TEMPLATE_FORMAT_VERSION

STACK_SET_ID = "ProxyStackSet"
TEMPLATE_URL_PARAMETER = "MemberTemplateUrl"
# An https URL of an S3 object (virtual-hosted or path style, any partition's domain).
TEMPLATE_URL_PATTERN = r"^https://[a-z0-9.-]+\.amazonaws\.com(\.cn)?/\S+$"


def parameter_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())]


def base_values(cfg: EnvConfig) -> dict[str, str]:
    """The stack set's Parameters: every launch parameter of the product, with the env's value."""
    return provisioning_values(cfg)


def group_instances(cfg: EnvConfig) -> dict[int, list[Instance]]:
    groups: dict[int, list[Instance]] = {}
    for instance in instance_configs(cfg):
        groups.setdefault(instance.group, []).append(instance)
    return groups


def overrides(cfg: EnvConfig, instance: Instance) -> dict[str, str]:
    """The launch values of an instance that differ from the stack set's (its ParameterOverrides).
    No launch value depends on the region, so every region of a group gets the same."""
    base = base_values(cfg)
    return {k: v for k, v in provisioning_values(instance.cfg).items() if base.get(k) != v}


def deployment_targets(group: StackInstancesParams) -> dict[str, Any]:
    # Service-managed: OrganizationalUnitIds, accounts only with AccountFilterType; self-managed:
    # Accounts (AWS::CloudFormation::StackSet DeploymentTargets, Template Reference).
    if not group.organizational_units:
        return {"Accounts": list(group.accounts)}
    targets: dict[str, Any] = {"OrganizationalUnitIds": list(group.organizational_units)}
    if group.accounts:
        targets.update(Accounts=list(group.accounts), AccountFilterType=group.account_filter.value)
    return targets


def instances_groups(cfg: EnvConfig) -> list[dict[str, Any]]:
    """The StackInstancesGroup entries, in the params' order."""
    assert cfg.stack_set is not None
    entries = []
    for g, instances in group_instances(cfg).items():
        group = cfg.stack_set.instances[g]
        entry: dict[str, Any] = {"DeploymentTargets": deployment_targets(group), "Regions": list(group.regions)}
        differing = overrides(cfg, instances[0])
        if differing:
            entry["ParameterOverrides"] = parameter_list(differing)
        entries.append(entry)
    return entries


def operation_preferences(cfg: EnvConfig) -> dict[str, Any]:
    assert cfg.stack_set is not None
    stack_set = cfg.stack_set
    regions = list(dict.fromkeys(r for group in stack_set.instances for r in group.regions))
    return {"FailureToleranceCount": stack_set.failure_tolerance, "MaxConcurrentCount": stack_set.max_concurrent,
            "RegionConcurrencyType": stack_set.region_concurrency.value, "RegionOrder": regions}


def stack_set_properties(cfg: EnvConfig) -> dict[str, Any]:
    """What both the template and ``create-stack-set`` take (without the template's URL)."""
    assert cfg.stack_set is not None
    stack_set = cfg.stack_set
    properties: dict[str, Any] = {
        "StackSetName": stack_set.name,
        "Description": f"RDS Proxy {cfg.proxy.name} ({cfg.environment}) in every account and region of its stack set, "
                       "from the rds-proxy-cfn Service Catalog product",
        "PermissionModel": stack_set.permission_model.value,
        # The product makes a role and managed policies without fixed names, and has no transform.
        "Capabilities": list(facts.BASE_CAPABILITIES),
        "Parameters": parameter_list(base_values(cfg)),
        "Tags": [{"Key": k, "Value": v} for k, v in sorted((cfg.tags or {}).items())],
    }
    if stack_set.permission_model is PermissionModel.SERVICE_MANAGED:
        auto: dict[str, Any] = {"Enabled": stack_set.auto_deployment}
        if stack_set.auto_deployment:
            auto["RetainStacksOnAccountRemoval"] = stack_set.retain_stacks_on_account_removal
        properties["AutoDeployment"] = auto
        if stack_set.call_as is CallAs.DELEGATED_ADMIN:
            properties["CallAs"] = stack_set.call_as.value
    return properties


def stack_set_body(cfg: EnvConfig) -> dict[str, Any]:
    properties = {**stack_set_properties(cfg), "TemplateURL": {"Ref": TEMPLATE_URL_PARAMETER},
                  "StackInstancesGroup": instances_groups(cfg), "OperationPreferences": operation_preferences(cfg)}
    return {
        "AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
        "Description": f"Stack set of RDS Proxy {cfg.proxy.name} ({cfg.environment}): the Service Catalog product in "
                       f"{len(instance_configs(cfg))} group(s) of accounts and regions",
        "Parameters": {TEMPLATE_URL_PARAMETER: {
            "Type": "String", "AllowedPattern": TEMPLATE_URL_PATTERN,
            "Description": "https URL of rds-proxy-product.yaml in S3 (a versioned key: the stack set updates "
                           "only when the URL changes)",
            "ConstraintDescription": "an https URL of an S3 object"}},
        "Resources": {STACK_SET_ID: {
            "Type": "AWS::CloudFormation::StackSet",
            # Deleting (or replacing) this stack must not delete every instance's proxy with it; a
            # first create that rolls back deletes the stack set, so its name is free for the retry
            # (RetainExceptOnCreate: CloudFormation User Guide, DeletionPolicy attribute).
            "DeletionPolicy": cloudformation.RETAIN_EXCEPT_ON_CREATE, "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }},
        "Outputs": {"StackSetId": {"Description": "The stack set's id", "Value": {"Ref": STACK_SET_ID}}},
    }


def instance_values(cfg: EnvConfig, body: dict[str, Any], group: int) -> dict[str, str]:
    """What the stack set template gives the instances of a group: its Parameters with the
    group's ParameterOverrides on top (read from the template, as CloudFormation does)."""
    properties = body["Resources"][STACK_SET_ID]["Properties"]
    values = {p["ParameterKey"]: p["ParameterValue"] for p in properties["Parameters"]}
    entry = properties["StackInstancesGroup"][group]
    values.update({p["ParameterKey"]: p["ParameterValue"] for p in entry.get("ParameterOverrides", [])})
    return values
