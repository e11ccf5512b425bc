"""Small operations on template trees (the plain dicts and lists of ``Template.to_dict()``).

A *path* is a tuple of dict keys and list indices from the root. Paths found by comparing two
builds of the same template are applied to a tree that may already hold ``Fn::If`` wrappers from
earlier features; ``get`` and ``put`` step into a wrapper's first (true) branch, which holds the
shape of the build every feature starts from (all features on).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Path = tuple[Any, ...]
SECTIONS = ("Resources", "Outputs")  # what the product takes from the builders' template
NO_VALUE = {"Ref": "AWS::NoValue"}
_MISSING = object()


def is_function(node: Any) -> bool:
    """An intrinsic function or a Ref: a one-key dict whose key is ``Ref`` or ``Fn::...``."""
    if not (isinstance(node, dict) and len(node) == 1):
        return False
    key = next(iter(node))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def if_(condition: str, when_true: Any, when_false: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, when_true, when_false]}


def diff_paths(a: Any, b: Any, path: Path = ()) -> list[Path]:
    """The smallest subtrees where ``a`` and ``b`` differ (a key missing on one side counts)."""
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict) and not is_function(a) and not is_function(b):
        return [p for key in sorted(set(a) | set(b), key=str)
                for p in diff_paths(a.get(key, _MISSING), b.get(key, _MISSING), (*path, key))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b)) for p in diff_paths(x, y, (*path, i))]
    return [path]


def _unwrap(node: Any) -> Any:
    while isinstance(node, dict) and "Fn::If" in node and len(node) == 1:
        node = node["Fn::If"][1]
    return node


def get(tree: Any, path: Path, default: Any = _MISSING) -> Any:
    node = tree
    for step in path:
        node = _unwrap(node)
        if isinstance(node, dict):
            if step not in node:
                if default is _MISSING:
                    raise KeyError(path)
                return default
            node = node[step]
        else:
            node = node[step]
    return node


def put(tree: Any, path: Path, value: Any) -> None:
    parent = _unwrap(get(tree, path[:-1]))
    parent[path[-1]] = value


def mentions(node: Any, token: str) -> bool:
    return token in json.dumps(node)


def transform(node: Any, fn: Callable[[Any], Any]) -> Any:
    """Rebuild a tree bottom-up, calling ``fn`` on every node after its children."""
    if isinstance(node, dict):
        node = {k: transform(v, fn) for k, v in node.items()}
    elif isinstance(node, list):
        node = [transform(v, fn) for v in node]
    return fn(node)


def replace_strings(node: Any, replacements: dict[str, str]) -> Any:
    """Every occurrence of each key in every string (and key) replaced by its value, in one pass
    over the tree's JSON text (C code: a walk in Python was most of the product's time). The keys
    and values must need no escaping in JSON, which every sentinel and placeholder meets."""
    if not replacements:
        return node
    assert all(json.dumps(text)[1:-1] == text for pair in replacements.items() for text in pair), replacements
    pattern = re.compile("|".join(re.escape(old) for old in sorted(replacements, key=len, reverse=True)))
    return json.loads(pattern.sub(lambda m: replacements[m.group()], json.dumps(node)))


def rename_ids(sections: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """Rename resources and outputs, and every Ref, GetAtt, DependsOn and Fn::Sub mention of them."""
    if not mapping:
        return sections
    words = re.compile("|".join(f"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])"
                                for old in sorted(mapping, key=len, reverse=True)))

    def rename(node: Any) -> Any:
        # One recursion, each dict copied once and fixed in place (this runs for every env of
        # every build: twice as fast as ``transform`` with a function per node).
        if isinstance(node, list):
            return [rename(v) for v in node]
        if not isinstance(node, dict):
            return node
        node = {k: rename(v) for k, v in node.items()}
        if node.get("Ref") in mapping:
            node["Ref"] = mapping[node["Ref"]]
        if "Fn::GetAtt" in node and node["Fn::GetAtt"][0] in mapping:
            node["Fn::GetAtt"] = [mapping[node["Fn::GetAtt"][0]], *node["Fn::GetAtt"][1:]]
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text = sub if isinstance(sub, str) else sub[0]
            if any(old in text for old in mapping):  # the lookbehind pattern is slow: most texts name none
                text = words.sub(lambda m: mapping[m.group()], text)
            node["Fn::Sub"] = text if isinstance(sub, str) else [text, *sub[1:]]
        if "DependsOn" in node and "Type" in node:
            depends = node["DependsOn"]
            node["DependsOn"] = ([mapping.get(d, d) for d in depends] if isinstance(depends, list)
                                 else mapping.get(depends, depends))
        return node

    return {section: {mapping.get(k, k): rename(v) for k, v in entries.items()}
            for section, entries in sections.items()}
