"""Three-way drift: the committed template against the deployed one, and the deployed one against
the live proxy, target group, targets and endpoints, property by property.

CloudFormation's own drift detection fails on any stack with a proxy target group (the
CloudFormation coverage roadmap, issue 2488), so the live side is read with RDS's describe calls
and compared here, only on the properties the deployed template sets (``facts.PROPERTY_MAP``).
A template value that is an intrinsic function is resolved from the stack's resources and the
pseudo parameters where ``facts`` says how; what cannot be resolved is "not compared", never a
drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..impact.template import TemplateError, load
from .facts import (GETATT_FORMATS, NOT_COMPARED, PROPERTY_MAP, PSEUDO_PARAMETERS, TARGET_TYPES, URL_SUFFIXES,
                    Compare, Field)


@dataclass(frozen=True)
class Difference:
    """One property that differs. ``where``: "committed/deployed" or "deployed/live"."""

    where: str
    resource: str  # logical id ("" for the template's top level)
    prop: str  # property path
    expected: Any  # committed (committed/deployed) or deployed (deployed/live)
    actual: Any  # deployed or live

    def line(self) -> str:
        first, second = self.where.split("/")
        name = f"{self.resource}.{self.prop}" if self.resource else self.prop
        return f"{name}: {first} {_shown(self.expected)}, {second} {_shown(self.actual)}"


@dataclass(frozen=True)
class NotCompared:
    resource: str
    prop: str
    reason: str

    def line(self) -> str:
        return f"{self.resource}.{self.prop}: not compared ({self.reason})"


def _shown(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def parse(text_or_tree: str | Mapping[str, Any]) -> dict[str, Any]:
    """A template as a tree with long-form intrinsics. GetTemplate gives YAML as text and JSON as a
    parsed mapping already (boto3 decodes a JSON TemplateBody)."""
    if isinstance(text_or_tree, Mapping):
        return dict(text_or_tree)
    return load(text_or_tree)


# --- committed vs deployed -------------------------------------------------------------------------
def template_differences(committed: Any, deployed: Any, path: str = "") -> Iterator[Difference]:
    """Every path where two template trees differ (lists by position; a length change is one line)."""
    if isinstance(committed, dict) and isinstance(deployed, dict):
        for key in sorted(set(committed) | set(deployed), key=str):
            yield from template_differences(committed.get(key), deployed.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(committed, list) and isinstance(deployed, list) and len(committed) == len(deployed):
        for index, (one, other) in enumerate(zip(committed, deployed)):
            yield from template_differences(one, other, f"{path}[{index}]")
    elif _scalar(committed) != _scalar(deployed):
        yield Difference("committed/deployed", "", path, committed, deployed)


def _scalar(value: Any) -> Any:
    """Compare as CloudFormation does: 3306 and '3306' are one value, True and 'true' too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


# --- resolving intrinsic functions -----------------------------------------------------------------
class Unresolved(Exception):
    """A template value status cannot turn into the live value (reported as "not compared")."""


@dataclass(frozen=True)
class StackContext:
    """What a deployed stack says about its template's references."""

    stack_id: str  # arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<guid>
    stack_name: str
    physical_ids: Mapping[str, str]  # logical id -> physical id (DescribeStackResources)
    parameters: Mapping[str, str]  # the stack's parameter values (DescribeStacks)
    resources: Mapping[str, Any]  # the deployed template's Resources

    def pseudo(self, name: str) -> str:
        _, partition, _, region, account = self.stack_id.split(":")[:5]
        values = {"AWS::AccountId": account, "AWS::Partition": partition, "AWS::Region": region,
                  "AWS::StackId": self.stack_id, "AWS::StackName": self.stack_name,
                  "AWS::URLSuffix": URL_SUFFIXES.get(partition, "amazonaws.com")}
        return values[name]


def resolve(value: Any, ctx: StackContext) -> Any:
    """The value with every intrinsic function replaced by what it gives in the deployed stack."""
    if isinstance(value, list):
        return [resolve(item, ctx) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref":
            return _ref(argument, ctx)
        if function == "Fn::GetAtt":
            return _get_att(argument, ctx)
        if function == "Fn::Sub":
            return _sub(argument, ctx)
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            return str(argument[0]).join(str(part) for part in resolve(argument[1], ctx))
        if function.startswith("Fn::") or function == "Condition":
            raise Unresolved(f"{function} is not evaluated")
    return {key: resolve(item, ctx) for key, item in value.items()}


def _ref(name: Any, ctx: StackContext) -> str:
    if name in PSEUDO_PARAMETERS:
        return ctx.pseudo(name)
    if name in ctx.parameters:
        return ctx.parameters[name]
    if name in ctx.physical_ids:
        return ctx.physical_ids[name]
    raise Unresolved(f"Ref {name} is not a resource of the stack")


def _get_att(argument: Any, ctx: StackContext) -> str:
    logical, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    resource = ctx.resources.get(logical) or {}
    form = GETATT_FORMATS.get((resource.get("Type"), attribute))
    if form is None or logical not in ctx.physical_ids:
        raise Unresolved(f"GetAtt {logical}.{attribute} is not derivable from describe output")
    path = (resource.get("Properties") or {}).get("Path", "/")
    if not isinstance(path, str):
        raise Unresolved(f"GetAtt {logical}.{attribute}: its Path is not a literal")
    _, partition, _, region, account = ctx.stack_id.split(":")[:5]
    return form.format(id=ctx.physical_ids[logical], partition=partition, region=region, account=account,
                       path=path)


def _sub(argument: Any, ctx: StackContext) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    values = {name: resolve(value, ctx) for name, value in variables.items()}

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in values:
            return str(values[name])
        if "." in name:
            return _get_att(name, ctx)
        return _ref(name, ctx)

    return re.sub(r"\$\{([^}]+)\}", one, text)


# --- deployed vs live ------------------------------------------------------------------------------
def compare_resource(logical: str, resource: Mapping[str, Any], live: Mapping[str, Any],
                     ctx: StackContext) -> tuple[list[Difference], list[NotCompared]]:
    """A mapped resource's template properties against its describe response."""
    fields = {f.prop: f for f in PROPERTY_MAP[resource["Type"]]}
    differences, skipped = [], []
    for prop, value in sorted((resource.get("Properties") or {}).items()):
        field = fields.get(prop)
        if field is None:
            if prop not in TARGET_TYPES:  # compared with the targets (targets_differences)
                skipped.append(NotCompared(logical, prop, NOT_COMPARED.get(prop, "no mapping to a describe field")))
            continue
        if field.api not in live:
            skipped.append(NotCompared(logical, prop, f"the describe response has no {field.api}"))
            continue
        try:
            expected = resolve(value, ctx)
        except Unresolved as exc:
            skipped.append(NotCompared(logical, prop, str(exc)))
            continue
        differences += _compare(field, logical, prop, expected, live[field.api])
    return differences, skipped


def _compare(field: Field, logical: str, prop: str, expected: Any, actual: Any) -> list[Difference]:
    if field.compare is Compare.MAP:
        actual = actual or {}
        return [Difference("deployed/live", logical, f"{prop}.{key}", value, actual.get(key))
                for key, value in sorted(expected.items())
                if not _same(value, actual.get(key), as_set=key in field.set_keys)]
    if field.compare is Compare.MAPS:
        keys = sorted({key for item in expected for key in item})
        wanted = sorted(_item_key(item, keys) for item in expected)
        found = sorted(_item_key(item, keys) for item in actual or [])
        if wanted != found:
            return [Difference("deployed/live", logical, prop, _items(wanted, keys), _items(found, keys))]
        return []
    if not _same(expected, actual, as_set=field.compare is Compare.SET):
        return [Difference("deployed/live", logical, prop, expected, actual)]
    return []


def _same(expected: Any, actual: Any, as_set: bool = False) -> bool:
    if as_set and isinstance(expected, list) and isinstance(actual, list):
        return sorted(map(_scalar, expected)) == sorted(map(_scalar, actual))
    return _scalar(expected) == _scalar(actual)


def _item_key(item: Mapping[str, Any], keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(_scalar(item.get(key))) for key in keys)


def _items(rows: Sequence[tuple[str, ...]], keys: Sequence[str]) -> list[dict[str, str]]:
    return [dict(zip(keys, row)) for row in rows]


def targets_differences(logical: str, resource: Mapping[str, Any], targets: Sequence[Mapping[str, Any]],
                        ctx: StackContext) -> tuple[list[Difference], list[NotCompared]]:
    """The target group's DBInstanceIdentifiers/DBClusterIdentifiers against the live targets."""
    differences, skipped = [], []
    properties = resource.get("Properties") or {}
    for prop, target_type in sorted(TARGET_TYPES.items()):
        if prop not in properties:
            continue
        try:
            wanted = sorted(str(v).lower() for v in resolve(properties[prop], ctx))
        except Unresolved as exc:
            skipped.append(NotCompared(logical, prop, str(exc)))
            continue
        # RDS stores identifiers in lowercase; the API reference calls them case-insensitive.
        found = sorted(str(t.get("RdsResourceId", "")).lower() for t in targets if t.get("Type") == target_type)
        if wanted != found:
            differences.append(Difference("deployed/live", logical, prop, wanted, found))
    return differences, skipped


__all__ = ["Difference", "NotCompared", "StackContext", "TemplateError", "Unresolved", "compare_resource",
           "parse", "resolve", "targets_differences", "template_differences"]
