"""A small evaluator of CloudFormation templates for given parameter values, and the
normalisation that makes a resolved product comparable with an env's dedicated template.

``resolve`` evaluates what is known before deployment: Conditions (Fn::Equals, And, Or, Not,
Condition), Fn::If (AWS::NoValue removes the item), Refs to parameters (List parameters split on
commas), Fn::FindInMap, and Fn::Sub / Fn::Join / Fn::Select once their inputs are known. Refs and
GetAtts of resources and pseudo parameters stay as they are. Resources and outputs whose condition
is false are dropped.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..builders.common import METADATA_NAMESPACE
from . import tree as T
from .placeholders import DELETABLE_SUFFIX

NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


class Resolver:
    def __init__(self, template: dict[str, Any], values: dict[str, str]) -> None:
        self.params: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            value = values.get(name, spec.get("Default"))
            if value is None:
                raise KeyError(f"no value for parameter {name}")
            listed = spec["Type"].startswith("List<") or spec["Type"] == "CommaDelimitedList"
            self.params[name] = (value.split(",") if value else []) if listed else str(value)
        self._text_params = {k: v for k, v in self.params.items() if isinstance(v, str)}  # what Fn::Sub can use
        self.mappings = template.get("Mappings", {})
        self.conditions = template.get("Conditions", {})
        self._truth: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._truth:
            self._truth[name] = self.test(self.conditions[name])
        return self._truth[name]

    def test(self, expr: Any) -> bool:
        (function, args), = expr.items()
        if function == "Condition":
            return self.condition(args)
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in args)
            return left == right
        if function == "Fn::And":
            return all(self.test(a) for a in args)
        if function == "Fn::Or":
            return any(self.test(a) for a in args)
        if function == "Fn::Not":
            return not self.test(args[0])
        raise ValueError(f"not a condition function: {function}")

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if not T.is_function(node):
            return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}
        (function, args), = node.items()
        if function == "Ref":
            if args == "AWS::NoValue":
                return NO_VALUE
            return copy.deepcopy(self.params[args]) if args in self.params else node
        if function == "Fn::If":
            return self.value(args[1] if self.condition(args[0]) else args[2])
        if function == "Fn::Sub":
            return self._sub(args)
        args = self.value(args)
        if function == "Fn::FindInMap" and all(isinstance(a, str) for a in args):
            return self.mappings[args[0]][args[1]][args[2]]
        if function == "Fn::Join" and isinstance(args[1], list) and all(isinstance(a, str) for a in args[1]):
            return args[0].join(args[1])
        if function == "Fn::Select" and isinstance(args[1], list) and all(isinstance(a, str) for a in args[1]):
            return args[1][int(args[0])]
        return {function: args}

    def _sub(self, args: Any) -> Any:
        text, variables = (args, {}) if isinstance(args, str) else (args[0], self.value(args[1]))
        known = {**self._text_params, **{k: v for k, v in variables.items() if isinstance(v, str)}} \
            if variables else self._text_params
        left = {k: v for k, v in variables.items() if k not in known}
        # A substituted value is literal text: escape any ${ in it so it is not read as a variable.
        resolved = _SUB_VARIABLE.sub(
            lambda m: known[m.group(1)].replace("${", "${!") if m.group(1) in known else m.group(0), text)
        if _SUB_VARIABLE.search(resolved):
            return {"Fn::Sub": [resolved, left] if left else resolved}
        return resolved.replace("${!", "${")


def resolve(template: dict[str, Any], values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The template's Resources and Outputs as they would be deployed with these values."""
    resolver = Resolver(template, values)
    result: dict[str, dict[str, Any]] = {}
    for section in ("Resources", "Outputs"):
        result[section] = {}
        for logical_id, entry in template.get(section, {}).items():
            if "Condition" in entry and not resolver.condition(entry["Condition"]):
                continue
            result[section][logical_id] = resolver.value({k: v for k, v in entry.items() if k != "Condition"})
    return result


def _scalars_as_text(node: Any) -> Any:
    """CloudFormation passes true / 3306 and "true" / "3306" alike to a resource."""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, (int, float)):
        return str(node)
    return node


def _tags_sorted(node: Any) -> Any:
    """Tags are a set in AWS; the product cannot interleave its tag slots in key order."""
    if isinstance(node, dict) and isinstance(node.get("Tags"), list):
        return {**node, "Tags": sorted(node["Tags"], key=lambda t: str(t.get("Key")))}
    return node


def _without_waivers(entry: dict[str, Any]) -> dict[str, Any]:
    """Waiver reasons (Metadata RdsProxyCfn.Waivers, and the Guard suppressions they imply,
    Metadata.guard) document the env's params, not a resource; so do the reasons of the Guard
    Rules Registry's suppressions (RdsProxyCfn.Suppressions: builders/suppressions.py), which
    differ where the product takes a launch parameter for a value the env's params give."""
    metadata = copy.deepcopy(entry.get("Metadata", {}))
    metadata.get(METADATA_NAMESPACE, {}).pop("Waivers", None)
    metadata.get(METADATA_NAMESPACE, {}).pop("Suppressions", None)
    metadata.pop("guard", None)
    metadata = {k: v for k, v in metadata.items() if v}
    entry = {k: v for k, v in entry.items() if k != "Metadata"}
    return {**entry, "Metadata": metadata} if metadata else entry


def _inline_dependency_handles(resources: dict[str, Any]) -> dict[str, Any]:
    """``DependsOn: [H]`` where H is a WaitConditionHandle whose Metadata refers to X orders
    creation exactly like ``DependsOn: [X]``: write it so, and drop H."""
    handles = {}
    for logical_id, entry in resources.items():
        refs = entry.get("Metadata", {}).get(METADATA_NAMESPACE, {}).get("DependsOn")
        if entry.get("Type") == "AWS::CloudFormation::WaitConditionHandle" and refs:
            handles[logical_id] = [ref["Ref"] for ref in refs]
    result = {}
    for logical_id, entry in resources.items():
        if logical_id in handles:
            continue
        if "DependsOn" in entry:
            entry = {**entry, "DependsOn": [t for d in entry["DependsOn"] for t in handles.get(d, [d])]}
        result[logical_id] = entry
    return result


def comparable(sections: dict[str, dict[str, Any]], ids: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Resolved sections normalised for comparison: product ids renamed to the env's (``ids``;
    a ``<id>Deletable`` twin counts as ``<id>``), dependency handles inlined, waiver Metadata
    dropped, scalars as text and tags in key order. Nothing else is touched."""
    ids = ids or {}
    mapping = {}
    for section in sections.values():
        for logical_id in section:
            base = logical_id.removesuffix(DELETABLE_SUFFIX)
            target = ids.get(base, base)
            if target != logical_id:
                mapping[logical_id] = target
    result = T.rename_ids(sections, mapping)
    result["Resources"] = _inline_dependency_handles(
        {k: _without_waivers(v) for k, v in result["Resources"].items()})
    return _normalised(result)


def _normalised(node: Any) -> Any:
    """``_tags_sorted(_scalars_as_text(...))`` on every node, children first, in one walk (this
    runs for every env of every build: a plain recursion is twice as fast as ``T.transform``)."""
    if isinstance(node, dict):
        return _tags_sorted({k: _normalised(v) for k, v in node.items()})
    if isinstance(node, list):
        return [_normalised(v) for v in node]
    return _scalars_as_text(node)
