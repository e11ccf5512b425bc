"""What the project's policies (the modules of ``policies``, their table ``rules``) share: how a
template is walked with Guard's semantics (see ``rules``), and how a waiver is read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Path = tuple[str | int, ...]
Check = Callable[[Mapping[str, Any]], Iterator[tuple[Path, str]]]

WORLD = r"/0"  # a CIDR of prefix length 0: every address
BLANK = r"\s*"


def resources_of(template: Mapping[str, Any], types: tuple[str, ...]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return
    for name, resource in resources.items():
        if isinstance(resource, Mapping) and resource.get("Type") in types:
            yield str(name), resource


def waived(resource: Mapping[str, Any], rule: str) -> bool:
    metadata = resource.get("Metadata")
    waivers = metadata.get("RdsProxyCfn", {}).get("Waivers", {}) if isinstance(metadata, Mapping) else {}
    reason = waivers.get(rule) if isinstance(waivers, Mapping) else None
    return isinstance(reason, str) and not re.fullmatch(BLANK, reason)


def each(value: Any) -> list[tuple[int | None, Any]] | None:
    """Guard's ``x[*]``: (index, item) of a list, the value itself if single; None if empty."""
    if isinstance(value, list):
        return list(enumerate(value)) or None
    return [(None, value)]


def at(path: Path, index: int | None) -> Path:
    return path if index is None else (*path, index)


def get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, Mapping) else None


def matches(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def say(messages: Mapping[str, str], key: str, fix: str = "") -> str:
    """A policy's message, with how to fix it when there is a fix (its modules bind ``messages``)."""
    return f"{messages[key]}; {fix}" if fix else messages[key]
