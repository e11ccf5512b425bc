"""The JSON Schema of params files, derived from ``model`` (never written by hand).

Editors use it for completion and checking (yaml-language-server). Mappings merge with
``_defaults.yaml``, so a key required after merging may be absent from one file: the schema
requires keys only inside list items (lists replace whole). The validator remains the judge.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any

from ... import __version__
from .model import EnvConfig
from .keys import field_types, params_fields, unwrap_optional

SCHEMA_FILE = "params.schema.json"
_ITEM_CONSTRAINTS = ("pattern", "max_length", "choices", "minimum", "maximum")


def _scalar(tp: Any, meta: typing.Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        schema: dict[str, Any] = {"type": "integer"}
        if meta.get("choices") is not None:
            schema["enum"] = list(meta["choices"])
        if meta.get("minimum") is not None:
            schema["minimum"] = meta["minimum"]
        if meta.get("maximum") is not None:
            schema["maximum"] = meta["maximum"]
        return schema
    if tp is float:
        schema = {"type": "number"}
        for name, keyword in (("minimum", "minimum"), ("maximum", "maximum"), ("multiple_of", "multipleOf")):
            if meta.get(name) is not None:
                schema[keyword] = meta[name]
        return schema
    schema = {"type": "string"}
    if meta.get("pattern"):
        schema["pattern"] = meta["pattern"]
    if meta.get("max_length") is not None:
        schema["maxLength"] = meta["max_length"]
    return schema


def _type(tp: Any, meta: typing.Mapping[str, Any], in_list_item: bool) -> dict[str, Any]:
    tp, optional = unwrap_optional(tp)
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        schema = _object(tp, in_list_item)
    elif origin is tuple:
        # Patterns, lengths and choices of a list's field apply to each item.
        item_meta = {k: meta.get(k) for k in _ITEM_CONSTRAINTS}
        schema = {"type": "array", "items": _type(typing.get_args(tp)[0], item_meta, in_list_item=True)}
        if meta.get("min_items") is not None:
            schema["minItems"] = meta["min_items"]
        if meta.get("max_items") is not None:
            schema["maxItems"] = meta["max_items"]
        if meta.get("unique"):
            schema["uniqueItems"] = True
    elif origin is dict:
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
    else:
        schema = _scalar(tp, meta)
    if optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": _describe(meta), **schema} if meta.get("doc") else schema


def _describe(meta: typing.Mapping[str, Any]) -> str:
    if meta.get("derived"):
        return f"{meta['doc']} Default: {meta['derived']}."
    return meta["doc"]


def _object(cls: type, in_list_item: bool) -> dict[str, Any]:
    fields = params_fields(cls)
    properties = {f.name: _type(field_types(cls)[f.name], f.metadata, in_list_item) for f in fields}
    for f in fields:
        default = f.default
        if default is not dataclasses.MISSING and default is not None and not dataclasses.is_dataclass(default):
            value = [d.value if isinstance(d, enum.Enum) else d for d in default] if isinstance(default, tuple) \
                else (default.value if isinstance(default, enum.Enum) else default)
            target = properties[f.name]
            target = target["anyOf"][0] if "anyOf" in target else target
            target["default"] = value
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [f.name for f in fields if f.default is dataclasses.MISSING]
    if in_list_item and required:
        schema["required"] = required
    return schema


def params_schema() -> dict[str, Any]:
    schema = _object(EnvConfig, in_list_item=False)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"https://rds-proxy-cfn/params-{__version__}.schema.json",
        "title": "rds-proxy-cfn environment params",
        "description": "One environment of rds-proxy-cfn (params/<env>.yaml or params/_defaults.yaml).",
        **{k: v for k, v in schema.items() if k != "type"},
        "type": "object",
    }
