"""Retain or delete, chosen at launch: DeletionPolicy and UpdateReplacePolicy take no functions
(without the AWS::LanguageExtensions transform, which a product launch cannot expand), so each
retained resource gets a twin ``<id>Deletable`` with Delete policies, and exactly one of the two
is created (conditions ``Retain`` / ``DoNotRetain``). References pick the twin that exists.

Not a resource whose name the template fixes (the proxy's log group ``/aws/rds/proxy/<name>``,
the name RDS Proxy writes to): flipping RetainOnDelete on a provisioned product would create the
other twin while the first still holds the name, and CloudFormation's update fails ("already
exists"; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html);
for the adopted log group, the twin being deleted would delete the group the other just adopted.
Such a resource stays one resource with the retained policies whatever RetainOnDelete says: its
data is kept after termination, and the next launch of the same proxy name adopts it.
"""

from __future__ import annotations

import copy
from typing import Any

from ..facts.aws import DEFAULT_REGION
from ..facts.cloudformation import RESOURCE_NAMES, RETAIN_POLICIES
from ..builders.common import METADATA_NAMESPACE
from ..impact.schemas import resource_schema
from . import conditions as C
from . import tree as T
from .placeholders import DELETABLE_SUFFIX

READY_SUFFIX = "Ready"


def fixed_name(entry: dict[str, Any]) -> bool:
    """Whether the resource's own name is set in the template (the provider schema says which
    property is the name; the product is one template for every region, so us-east-1's)."""
    type_name = entry["Type"]
    if type_name.startswith("Custom::"):  # no provider schema: the project's own table
        names: tuple[str, ...] = tuple(filter(None, [RESOURCE_NAMES.get(type_name, (None,))[0]]))
    else:
        names = resource_schema(DEFAULT_REGION, type_name).name_properties
    return any(name in entry.get("Properties", {}) for name in names)


def split_retained(result: dict[str, Any], conditions: C.Conditions) -> None:
    resources = result["Resources"]
    retained = sorted(i for i, r in resources.items()
                      if r.get("DeletionPolicy") in RETAIN_POLICIES and not fixed_name(r))
    guards: dict[str, str | None] = {}
    for logical_id in retained:
        keep = resources[logical_id]
        twin = {**copy.deepcopy(keep), "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
        guard = guards[logical_id] = keep.get("Condition")
        keep["Condition"] = conditions.conjoin(guard, C.RETAIN)
        twin["Condition"] = conditions.conjoin(guard, C.DO_NOT_RETAIN)
        resources[logical_id + DELETABLE_SUFFIX] = twin

    def either(node: Any) -> Any:
        """A reference to a retained resource: to whichever twin exists."""
        if isinstance(node, dict) and node.get("Ref") in retained:
            return T.if_(C.RETAIN, node, {"Ref": node["Ref"] + DELETABLE_SUFFIX})
        if isinstance(node, dict) and "Fn::GetAtt" in node and node["Fn::GetAtt"][0] in retained:
            target, attribute = node["Fn::GetAtt"]
            return T.if_(C.RETAIN, node, {"Fn::GetAtt": [target + DELETABLE_SUFFIX, attribute]})
        return node

    for section in T.SECTIONS:
        result[section] = T.transform(result[section], either)
    resources = result["Resources"]
    for entry in resources.values():
        _settle_retain(entry, conditions)
    # DependsOn cannot name a resource that may not exist: depend on a handle that refers to
    # whichever twin exists (a Ref in Metadata orders creation like DependsOn).
    for entry in list(resources.values()):
        depends = entry.get("DependsOn", [])
        for target in [t for t in depends if t in retained]:
            handle = target + READY_SUFFIX
            resources[handle] = {
                "Type": "AWS::CloudFormation::WaitConditionHandle",
                "Metadata": {METADATA_NAMESPACE: {"DependsOn": [either({"Ref": target})]}},
                **({"Condition": guards[target]} if guards[target] else {}),
            }
            entry["DependsOn"] = [handle if t == target else t for t in depends]


def _settle_retain(entry: dict[str, Any], conditions: C.Conditions) -> None:
    """Inside a twin, Retain is known: ``Fn::If [Retain, a, b]`` is a or b (cfn-lint flags the
    unreachable branch otherwise)."""
    condition = entry.get("Condition")
    branch = 1 if conditions.implies(condition, C.RETAIN) else 2 if conditions.implies(condition, C.DO_NOT_RETAIN) else 0
    if not branch or "Properties" not in entry:
        return

    def settle(node: Any) -> Any:
        if isinstance(node, dict) and T.is_function(node) and node.get("Fn::If", [None])[0] == C.RETAIN:
            return node["Fn::If"][branch]
        return node

    entry["Properties"] = T.transform(entry["Properties"], settle)
