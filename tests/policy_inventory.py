"""Every policy statement of a template as rows: policy × principal × action × condition key.

The rows are what docs/policy-assumptions.md must list (tests/test_policy_inventory.py). Only
statements with a principal or a condition make rows: they are where a template assumes how an
AWS service calls (which principal it is, which condition keys its request carries). Fn::If is
read both ways (a product launch may take either), AWS::NoValue drops what it stands for.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, NamedTuple

# Resource type -> its properties that hold policy documents (for Policies: a list of {PolicyDocument}).
POLICY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", "Policies"),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
}
ACCOUNT_ROOT = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
IDENTITY = "(identity policy)"
NONE = "(none)"


class Row(NamedTuple):
    policy: str  # "<resource type> <property>"
    sid: str
    principal: str
    action: str
    condition: str  # "<operator> <key>" or NONE

    def cells(self) -> tuple[str, ...]:
        return tuple(self)


def branches(node: Any) -> Iterator[Any]:
    """Each value ``node`` may take: both sides of an Fn::If, nothing for AWS::NoValue."""
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        _, yes, no = node["Fn::If"]
        yield from branches(yes)
        yield from branches(no)
    elif node == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield node


def _items(node: Any) -> Iterator[Any]:
    for value in branches(node):
        for item in value if isinstance(value, list) else [value]:
            yield from branches(item)


def _principal(kind: str, value: Any) -> str:
    if kind == "AWS":
        if value == "*":
            return "AWS:*"
        if value == ACCOUNT_ROOT:
            return "AWS:account root"
        return "AWS:named principals"  # ARNs from params or parameters: who they are is the params' choice
    text = value["Fn::Sub"] if isinstance(value, dict) and "Fn::Sub" in value else value
    return f"{kind}:{text if isinstance(text, str) else json.dumps(text, sort_keys=True)}"


def _principals(statement: dict) -> set[str]:
    if "Principal" not in statement:
        return {IDENTITY}
    found = set()
    for principal in branches(statement["Principal"]):
        if principal == "*":
            found.add("AWS:*")
            continue
        for kind, values in principal.items():
            found |= {_principal(kind, value) for value in _items(values)}
    return found


def _conditions(statement: dict) -> set[str]:
    found = set()
    for condition in branches(statement.get("Condition", {})):
        for operator, keys in condition.items():
            for block in branches(keys):
                found |= {f"{operator} {key}" for key in block}
    return found or {NONE}


def _documents(resource: dict) -> Iterator[tuple[str, dict]]:
    kind = resource["Type"]
    for prop in POLICY_PROPERTIES.get(kind, ()):
        for value in branches(resource.get("Properties", {}).get(prop)):
            if value is None:
                continue
            if prop == "Policies":
                for policy in _items(value):
                    yield from ((f"{kind} {prop}", d) for d in branches(policy["PolicyDocument"]))
            else:
                yield f"{kind} {prop}", value


def rows(template: dict) -> set[Row]:
    """The rows of every statement with a principal or a condition."""
    found: set[Row] = set()
    for resource in template.get("Resources", {}).values():
        for policy, document in _documents(resource):
            for statement in _items(document["Statement"]):
                principals, conditions = _principals(statement), _conditions(statement)
                if principals == {IDENTITY} and conditions == {NONE}:
                    continue
                for action in _items(statement.get("Action", statement.get("NotAction"))):
                    found |= {Row(policy, statement.get("Sid", NONE), principal, action, condition)
                              for principal in principals for condition in conditions}
    return found


def unknown_policy_holders(template: dict) -> set[str]:
    """Resource types with a policy document (a "Statement" anywhere in their properties) that
    ``POLICY_PROPERTIES`` does not know, so ``rows`` would not read them."""
    return {resource["Type"] for resource in template.get("Resources", {}).values()
            if resource["Type"] not in POLICY_PROPERTIES and '"Statement"' in json.dumps(resource.get("Properties", {}))}
