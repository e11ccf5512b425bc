"""Compare two template texts parsing only what differs: the cost of a build that changes them.

Parsing is most of the analysis' cost (~5 ms per template even with libyaml, the constructor
being Python), and a change usually touches a few resources. The build writes templates in
block style, one top-level key per section and each resource at two spaces, so the text of a
resource is its block of lines. A resource whose text is the same on both sides cannot change,
unless it refers to a resource that is replaced: those are parsed as the replacements appear,
until none is added. Anything else that differs (Parameters, Conditions, Mappings, a file not
laid out like ours) falls back to parsing both templates whole. ``tests/impact`` checks that
both ways give the same impact.
"""

from __future__ import annotations

import re
from typing import Any

from .analysis import Impact, analyse
from .template import Template, load

# Sections that do not change what resources and outputs are.
_INERT = {"AWSTemplateFormatVersion", "Description", "Metadata"}
_ENTRY = re.compile(r"^  ([A-Za-z0-9]+):", re.MULTILINE)


def _sections(text: str) -> dict[str, str] | None:
    """Top-level key -> its lines (key line included); None when the layout is not the build's."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines(keepends=True):
        if line[:1] in (" ", "\n", "\r") and current is not None:
            current.append(line)
        elif line.startswith("#") and current is None:
            continue  # the header comment
        elif line[:1].isalpha() and ":" in line:
            name = line.split(":", 1)[0]
            if name in sections:
                return None
            current = sections[name] = [line]
        else:
            return None
    return {name: "".join(lines) for name, lines in sections.items()}


def _entries(section: str) -> dict[str, str] | None:
    """A block-style section's entries: name -> its text (at two spaces). None otherwise."""
    head, _, body = section.partition("\n")
    if head.rstrip().endswith((":",)) is False:
        return None  # a flow-style section on one line
    starts = [m.start() for m in _ENTRY.finditer(body)]
    if body and (not starts or starts[0] != 0):
        return None
    bounds = [*starts, len(body)]
    entries = {}
    for start, end in zip(bounds, bounds[1:]):
        block = body[start:end]
        entries[block[2:].split(":", 1)[0]] = block
    return entries


def _parse(parts: dict[str, str], resources: dict[str, str], outputs: str | None) -> Template:
    text = parts.get("Parameters", "") + "Resources:\n" + "".join(resources.values()) + (outputs or "")
    tree: dict[str, Any] = load(text)
    tree["Resources"] = tree.get("Resources") or {}
    return Template.from_tree(tree)


def _mentions(text: str, names: frozenset[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def impact_of_texts(old_text: str, new_text: str, region: str) -> Impact:
    """``analyse`` of the two texts, parsing only the resources that can have changed."""
    old_parts, new_parts = _sections(old_text), _sections(new_text)
    if old_parts is None or new_parts is None or any(
            old_parts.get(name) != new_parts.get(name) for name in {*old_parts, *new_parts} - _INERT
            - {"Resources", "Outputs", "Parameters"}):
        return analyse(Template.parse(old_text), Template.parse(new_text), region)
    old_entries, new_entries, old_params, new_params = (
        _entries(parts.get(section, f"{section}:\n")) for section in ("Resources", "Parameters")
        for parts in (old_parts, new_parts))
    if old_entries is None or new_entries is None or old_params is None or new_params is None:
        return analyse(Template.parse(old_text), Template.parse(new_text), region)
    wanted = {lid for lid in {*old_entries, *new_entries} if old_entries.get(lid) != new_entries.get(lid)}
    # A parameter whose default changed changes the resources and outputs that refer to it.
    changed_params = frozenset(p for p in {*old_params, *new_params} if old_params.get(p) != new_params.get(p))
    if changed_params:
        wanted |= {lid for lid, text in new_entries.items() if _mentions(text, changed_params)}
    outputs_differ = old_parts.get("Outputs") != new_parts.get("Outputs") or bool(changed_params)
    while True:
        with_outputs = outputs_differ or bool(wanted)
        old = _parse(old_parts, {k: v for k, v in old_entries.items() if k in wanted},
                     old_parts.get("Outputs") if with_outputs else None)
        new = _parse(new_parts, {k: v for k, v in new_entries.items() if k in wanted},
                     new_parts.get("Outputs") if with_outputs else None)
        impact = analyse(old, new, region)
        more = {lid for lid, text in new_entries.items()
                if lid not in wanted and impact.replaced and _mentions(text, impact.replaced)}
        if not more:
            return impact
        wanted |= more
