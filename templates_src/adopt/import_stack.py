"""What CloudFormation's resource import needs to adopt the proxy without changing it.

An import operation only imports: it cannot create, update or delete any other resource, each
resource it imports needs a DeletionPolicy, and the template must describe each as it is (the
import does not change properties; drift detection afterwards shows any difference) (CloudFormation
User Guide, "Import AWS resources into a CloudFormation stack" and "Create a stack from existing
resources", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import.html).
So adoption takes two steps:

1. an IMPORT change set with ``import-template.yaml``: the proxy, its default target group, the
   read-only endpoint (if it has the name the env's template gives it) and the proxy's log group,
   with the properties the describe output gives (its own role and security groups), all
   ``DeletionPolicy: Retain``, no outputs; ``resources-to-import.json`` names each by the
   identifier its provider schema's ``primaryIdentifier`` says (cfn-lint's data);
2. an update to ``prepare-template.yaml``: the env's own template, but the proxy (and endpoint)
   still on their own role and security groups: it creates the rest (``fresh``) while nothing
   uses it yet (the env template orders the proxy after its log group only, so in one update the
   proxy could switch to the new role before its policy exists, or to the new group before the
   database's ingress rule from it);
3. an update to the env's own template: the proxy moves to the template's role and security
   group, in place (neither property is create-only in the provider schema).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..builders import names
from ..config.schema.model import EnvConfig
from ..config.schema.network import read_only_endpoint_name
from ..impact.schemas import resource_schema
from ..builders.stack import TEMPLATE_FORMAT_VERSION
from .describe import Described

IMPORT_POLICY = "Retain"  # a failed or rolled-back import must leave the live proxy where it is


@dataclass(frozen=True)
class ImportPlan:
    template: dict[str, Any]
    prepare: dict[str, Any]  # step 2: everything, the proxy still on its own role and groups
    resources: list[dict[str, Any]]  # aws cloudformation create-change-set --resources-to-import
    fresh: list[tuple[str, str]]  # (logical id, type) the update creates
    notes: list[str]  # what the operator must know (an endpoint that cannot be imported, ...)


def _read_only_endpoint(cfg: EnvConfig, d: Described) -> dict[str, Any] | None:
    wanted = read_only_endpoint_name(cfg.proxy.name)
    for endpoint in d.endpoints:
        if endpoint["DBProxyEndpointName"] and endpoint["DBProxyEndpointName"].value == wanted:
            return endpoint
    return None


def plan(cfg: EnvConfig, body: dict[str, Any], d: Described) -> ImportPlan:
    """``body``: the env's own template (``stack.build_template(cfg).to_dict()``)."""
    resources = body["Resources"]
    notes: list[str] = []
    chosen: dict[str, dict[str, Any]] = {}
    proxy = copy.deepcopy(resources[names.PROXY])
    proxy["Properties"]["RoleArn"] = d.proxy["RoleArn"].value
    proxy["Properties"]["VpcSecurityGroupIds"] = list(d.proxy["VpcSecurityGroupIds"].value)
    chosen[names.PROXY] = proxy
    chosen[names.TARGET_GROUP] = copy.deepcopy(resources[names.TARGET_GROUP])
    endpoint = _read_only_endpoint(cfg, d)
    if names.READ_ONLY_ENDPOINT in resources and endpoint is not None:
        entry = copy.deepcopy(resources[names.READ_ONLY_ENDPOINT])
        entry["Properties"]["VpcSecurityGroupIds"] = list(endpoint["VpcSecurityGroupIds"].value)
        entry["Properties"]["VpcSubnetIds"] = list(endpoint["VpcSubnetIds"].value)
        if endpoint["VpcSubnetIds"].value != list(cfg.network.subnet_ids):
            notes.append(f"The endpoint {endpoint['DBProxyEndpointName'].value} is in other subnets than the proxy: "
                         "the update replaces it (VpcSubnetIds is create-only), with a new host name.")
        chosen[names.READ_ONLY_ENDPOINT] = entry
    for other in d.endpoints:
        if other is not endpoint and not (other.get("IsDefault") and other["IsDefault"].value):
            notes.append(f"The endpoint {other['DBProxyEndpointName'].value} ({other['TargetRole'].value}) is not one "
                         "this template makes: it stays outside the stack; move its clients, then delete it.")
    log_group = resources.get(names.LOG_GROUP)
    if log_group is not None:
        chosen[names.LOG_GROUP] = {"Type": log_group["Type"],
                                   "Properties": {"LogGroupName": log_group["Properties"]["LogGroupName"]}}
        notes.append(f"RDS Proxy made the log group {log_group['Properties']['LogGroupName']} when the proxy started; "
                     "if `aws logs describe-log-groups --log-group-name-prefix` finds none, remove "
                     f"{names.LOG_GROUP} from both import files: the update then creates it.")
    else:  # the users provisioner makes or adopts it in the update (builders/logs.py)
        notes.append(f"The update adopts the log group RDS Proxy made when the proxy started "
                     f"({names.ADOPTED_LOG_GROUP}): it is not imported.")
    for entry in chosen.values():
        entry.pop("Metadata", None)
        entry["Properties"].pop("Tags", None)  # the live tags are not in the describe output
        depends = [t for t in entry.get("DependsOn", []) if t in chosen]
        entry.pop("DependsOn", None)
        if depends:
            entry["DependsOn"] = depends
        entry["DeletionPolicy"] = entry["UpdateReplacePolicy"] = IMPORT_POLICY
    identifiers = {names.PROXY: lambda: {"DBProxyName": cfg.proxy.name},
                   names.TARGET_GROUP: lambda: {"TargetGroupArn": d.target_group_arn.value},
                   names.READ_ONLY_ENDPOINT: lambda: {"DBProxyEndpointName": endpoint["DBProxyEndpointName"].value},
                   names.LOG_GROUP: lambda: {"LogGroupName": log_group["Properties"]["LogGroupName"]}}  # type: ignore[index]
    to_import = []
    for logical_id, entry in chosen.items():
        identifier = identifiers[logical_id]()
        schema = resource_schema(cfg.region, entry["Type"])
        assert tuple(identifier) == schema.primary_identifier, (logical_id, schema.primary_identifier)
        to_import.append({"ResourceType": entry["Type"], "LogicalResourceId": logical_id,
                          "ResourceIdentifier": identifier})
    template = {"AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
                "Description": f"Import of RDS Proxy {cfg.proxy.name} as it runs (step 1 of IMPORT.md)",
                "Resources": chosen}
    fresh = sorted((i, r["Type"]) for i, r in resources.items() if i not in chosen)
    prepare = copy.deepcopy(body)
    for logical_id in (names.PROXY, names.READ_ONLY_ENDPOINT):
        if logical_id in chosen and logical_id in prepare["Resources"]:
            own = chosen[logical_id]["Properties"]
            prepare["Resources"][logical_id]["Properties"].update(
                {k: own[k] for k in ("RoleArn", "VpcSecurityGroupIds") if k in own})
    prepare["Description"] = f"{body.get('Description', '')} (step 2 of IMPORT.md: the proxy still on its own role and groups)"
    return ImportPlan(template, prepare, to_import, fresh, notes)
