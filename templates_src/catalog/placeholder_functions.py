"""Placeholders as functions: a whole ``${Parameter}`` becomes ``Ref``, text holding some becomes
``Fn::Sub``; output descriptions name the parameter instead (they take no functions); and the
check that every ``Ref`` names a parameter or a resource.
"""

from __future__ import annotations

import re
from typing import Any


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def to_function(node: Any) -> Any:
    """Text with placeholders: a whole placeholder becomes a Ref, other text an Fn::Sub (the
    text of an existing Fn::Sub is left alone: its placeholders already are Sub variables)."""
    if isinstance(node, str) and _PLACEHOLDER.search(node):
        whole = _PLACEHOLDER.fullmatch(node)
        return {"Ref": whole.group(1)} if whole else {"Fn::Sub": node}
    if isinstance(node, list):
        return [to_function(item) for item in node]
    if isinstance(node, dict) and "Fn::Sub" in node and len(node) == 1:
        sub = node["Fn::Sub"]
        return node if isinstance(sub, str) else {"Fn::Sub": [sub[0], to_function(sub[1])]}
    if isinstance(node, dict):
        return {key: to_function(value) for key, value in node.items()}
    return node


def output_text(node: Any) -> Any:
    """An output's Description must be plain text: name the parameter instead."""
    if isinstance(node, dict) and isinstance(node.get("Description"), str) and "Value" in node:
        return {**node, "Description": _PLACEHOLDER.sub(r"\1", node["Description"])}
    return node


def check_refs(body: dict[str, Any]) -> None:
    known = set(body["Parameters"]) | set(body["Resources"])
    for node in _walk(body["Resources"]) + _walk(body["Outputs"]):
        name = node.get("Ref") if isinstance(node, dict) else None
        if isinstance(name, str) and not name.startswith("AWS::") and name not in known:
            raise ValueError(f"the product refers to {name}, which is neither a parameter nor a resource")


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found
