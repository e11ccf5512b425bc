"""A params key by its path: the schema field that declares it, and a config's value for it.

A path names keys from the top, dot-separated: ``pool.init_query``; ``users[].role`` is the
``role`` of an item of ``users``. The cross-key rules stated as data (``rules.cross_key``) and
the Service Catalog product's parameters (catalog/parameters.py) name keys this way.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any

from .model import EnvConfig
from .keys import field_types, params_fields, unwrap_optional

ITEM = "[]"  # after a list key's name: one of its items


@cache
def _resolve(path: str) -> tuple[dataclasses.Field, Any]:
    cls: Any = EnvConfig
    found: tuple[dataclasses.Field, Any] | None = None
    for step in path.split("."):
        name = step.removesuffix(ITEM)
        fields = {f.name: f for f in params_fields(cls)} if dataclasses.is_dataclass(cls) else {}
        if name not in fields:
            raise KeyError(f"{path}: the schema has no key {name!r} there")
        tp, _ = unwrap_optional(field_types(cls)[name])
        if step.endswith(ITEM):
            if typing.get_origin(tp) is not tuple:
                raise KeyError(f"{path}: {name} is not a list")
            tp = typing.get_args(tp)[0]
        found, cls = (fields[name], tp), tp
    assert found is not None
    return found


def field_at(path: str) -> dataclasses.Field:
    """The schema field that declares the key (its metadata: doc, pattern, range, ...); KeyError
    naming the path when the schema has no such key."""
    return _resolve(path)[0]


def type_at(path: str) -> Any:
    """The type of the key's value (``str``, ``int``, an enum, ``tuple[...]``), absent (None) aside."""
    return _resolve(path)[1]


def is_key(path: str) -> bool:
    try:
        _resolve(path)
    except KeyError:
        return False
    return True


def inherited_from(path: str) -> str | None:
    """The key whose value an absent one takes, when the schema's derived note is a key path
    (``users[].iam_auth``: ``proxy.iam_auth``); None otherwise."""
    derived = field_at(path).metadata.get("derived")
    return derived if derived and is_key(derived) else None


def value_at(cfg: EnvConfig, path: str, item: int | None = None) -> Any:
    """The config's value for the key, as written (None: absent); ``item`` is the index an
    ``[]`` step reads."""
    node: Any = cfg
    for step in path.split("."):
        if node is None:
            return None
        node = getattr(node, step.removesuffix(ITEM))
        if step.endswith(ITEM):
            if item is None:
                raise ValueError(f"{path}: which item? (item=None)")
            node = node[item]
    return node
