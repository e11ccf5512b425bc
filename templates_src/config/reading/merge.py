"""Deep-merge ``_defaults.yaml`` under an environment's file, keeping where each value came from."""

from __future__ import annotations

from typing import Any

from ..errors import KeyPath
from .yaml_loader import Document, Mark

# The merge rules, as data: how a value in the environment file combines with the default.
MERGE_STRATEGIES = {
    dict: "merge",  # mappings merge key by key, recursively
    list: "replace",  # lists replace the default whole
    object: "replace",  # scalars: the environment's value wins
}


def _strategy(value: Any) -> str:
    return next(s for t, s in MERGE_STRATEGIES.items() if isinstance(value, t))


def _merge(base: Any, override: Any) -> Any:
    if _strategy(base) == "merge" and _strategy(override) == "merge":
        merged = dict(base)
        for name, value in override.items():
            merged[name] = _merge(base[name], value) if name in base else value
        return merged
    return override


def _replaced_paths(base: Any, override: Any, path: KeyPath) -> list[KeyPath]:
    """Paths of the default's values that the override replaces whole (their marks must go)."""
    if isinstance(base, dict) and isinstance(override, dict):
        paths: list[KeyPath] = []
        for name in override:
            if name in base:
                paths += _replaced_paths(base[name], override[name], path + (name,))
        return paths
    return [path]


def merge_documents(defaults: Document | None, env: Document) -> Document:
    """The environment document with the defaults merged underneath it."""
    if defaults is None or defaults.data is None:
        return env
    marks: dict[KeyPath, Mark] = {}
    replaced = _replaced_paths(defaults.data, env.data, ())
    for path, mark in defaults.marks.items():
        if not any(path[: len(r)] == r and len(path) > len(r) for r in replaced):
            marks[path] = mark
    marks.update(env.marks)
    return Document(env.file, _merge(defaults.data, env.data), marks)
