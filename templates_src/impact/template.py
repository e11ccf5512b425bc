"""A template as the change analysis reads it: parsed fast, values normalised, references found.

Parsing uses libyaml (``yaml.CSafeLoader``) with a constructor for CloudFormation's short-form
tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...), turned into their long forms (``{"Ref": ...}``,
``{"Fn::GetAtt": [...]}``): cfn-flip's pure-Python loader takes several times as long, and the
analysis runs on every build that changes a template.

Normalisation makes two templates compare as CloudFormation compares them:
- a ``Ref`` to a template Parameter becomes the parameter's Default (the build's parameters.json
  passes the defaults), split into a list for list types, so a value moved from a parameter
  into the template is no change;
- scalars compare as text: CloudFormation passes parameter values as strings and
  ``Port: 3306`` and ``Port: '3306'`` are one value to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from ..builders.common import EXAMPLE_MARK, METADATA_NAMESPACE

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateLoader(_Loader):  # type: ignore[misc, valid-type]
    pass


def _construct_tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


class TemplateError(ValueError):
    """A template the analysis cannot read (a hand-broken file in the out folder)."""


def load(text: str) -> dict[str, Any]:
    try:
        tree = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a safe loader with CFN tags
    except yaml.YAMLError as exc:
        raise TemplateError(str(exc).splitlines()[0]) from exc
    if not isinstance(tree, dict):
        raise TemplateError("not a mapping")
    return tree


# The top-level Metadata section as the build writes it: its key and the indented lines under it.
_METADATA_SECTION = re.compile(r"^Metadata:.*\n(?:(?:[ \t].*)?\n)*", re.MULTILINE)


def made_from_example(text: str) -> bool:
    """Whether a template is the output of a shipped example (params ``example: true``, written as
    ``Metadata.RdsProxyCfn.Example: true``), from which no stack was made. Only that section is
    parsed (a few lines); a template without it, or whose section does not read, counts as a
    deployed stack's."""
    section = _METADATA_SECTION.search(text)
    if section is None:
        return False
    try:
        metadata = load(section.group()).get("Metadata")
    except TemplateError:
        return False
    ours = metadata.get(METADATA_NAMESPACE) if isinstance(metadata, dict) else None
    return isinstance(ours, dict) and ours.get(EXAMPLE_MARK) is True


_LIST_PARAMETER_PREFIXES = ("List<", "CommaDelimitedList")


def parameter_values(tree: dict[str, Any]) -> dict[str, Any]:
    """Each parameter's deploy-time value: its Default (what parameters.json passes)."""
    values: dict[str, Any] = {}
    for name, spec in (tree.get("Parameters") or {}).items():
        if not isinstance(spec, dict) or "Default" not in spec:
            values[name] = {"Ref": name}  # no default: compared by name, as given at deploy
            continue
        default = spec["Default"]
        if str(spec.get("Type", "")).startswith(_LIST_PARAMETER_PREFIXES) and isinstance(default, str):
            default = [item.strip() for item in default.split(",")]
        values[name] = default
    return values


def normalise(value: Any, parameters: dict[str, Any]) -> Any:
    """``value`` with parameter references resolved and scalars as text."""
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and value["Ref"] in parameters:
            return normalise(parameters[value["Ref"]], {})
        return {k: normalise(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, parameters) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def references(value: Any) -> Iterator[str]:
    """Logical ids that ``value`` refers to (Ref, Fn::GetAtt, ${X} and ${X.Attr} in Fn::Sub)."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) and target else str(target).split(".", 1)[0]
            if isinstance(name, str):
                yield name
        elif "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text, variables = (sub[0], sub[1] if len(sub) > 1 else {}) if isinstance(sub, list) else (sub, {})
            if isinstance(text, str):
                yield from (ref for ref in _sub_references(text) if ref not in (variables or {}))
            yield from references(variables)
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _sub_references(text: str) -> Iterator[str]:
    start = text.find("${")
    while start >= 0:
        end = text.find("}", start)
        if end < 0:
            return
        name = text[start + 2:end]
        if not name.startswith("!"):  # ${!Literal} is literal text
            yield name.split(".", 1)[0]
        start = text.find("${", end)


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]     # normalised
    attributes: dict[str, Any]     # every other key (DeletionPolicy, DependsOn, Metadata ...), normalised

    def attribute(self, name: str) -> Any:
        return self.attributes.get(name)


@dataclass(frozen=True)
class Output:
    name: str
    value: Any
    export: Any  # the export's Name, normalised; None when not exported


@dataclass(frozen=True)
class Template:
    resources: dict[str, Resource]
    outputs: dict[str, Output]

    @classmethod
    def parse(cls, text: str) -> "Template":
        return cls.from_tree(load(text))

    @classmethod
    def from_tree(cls, tree: dict[str, Any]) -> "Template":
        """From a template as a dict in long form (``troposphere.Template.to_dict()``)."""
        parameters = parameter_values(tree)
        resources = {}
        for logical_id, raw in (tree.get("Resources") or {}).items():
            raw = raw if isinstance(raw, dict) else {}
            resources[logical_id] = Resource(
                logical_id, str(raw.get("Type", "")),
                normalise(raw.get("Properties") or {}, parameters),
                {k: normalise(v, parameters) for k, v in raw.items() if k not in ("Type", "Properties")},
            )
        outputs = {}
        for name, raw in (tree.get("Outputs") or {}).items():
            raw = raw if isinstance(raw, dict) else {}
            export = raw.get("Export")
            outputs[name] = Output(name, normalise(raw.get("Value"), parameters),
                                   normalise(export.get("Name"), parameters) if isinstance(export, dict) else None)
        return cls(resources, outputs)
