"""Slot pieces in their slot's condition: a slot's resources and outputs get it as ``Condition``,
and a list item that belongs to one slot (a user's secret in a policy) is wrapped in ``Fn::If``.
"""

from __future__ import annotations

import json
from typing import Any

from . import conditions as C
from . import placeholders as ph
from . import tree as T


def wrap_slots(result: dict[str, Any], conditions: C.Conditions) -> None:
    """Slot resources get their slot's condition; list items of a slot are wrapped in it."""
    slots = ph.all_slots()
    for section in T.SECTIONS:
        for slot in slots:
            for logical_id in slot.ids.values():
                if logical_id in result[section] and slot.condition:
                    entry = result[section][logical_id]
                    entry["Condition"] = conditions.conjoin(entry.get("Condition"), slot.condition)
        for entry in result[section].values():
            guards = frozenset({entry["Condition"]} if "Condition" in entry else ())
            for key, value in entry.items():
                entry[key] = _wrap_items(value, slots, guards, conditions)


def _wrap_items(node: Any, slots: list[ph.Slot], guards: frozenset[str], conditions: C.Conditions) -> Any:
    """Wrap each list item that belongs to one slot in ``Fn::If [slot, item, NoValue]``, unless a
    condition it already sits under (``guards``) implies the slot's. An item that mentions
    several slots is a container (a policy statement listing all users): its own items are."""
    if isinstance(node, dict):
        if "Fn::If" in node and len(node) == 1:
            name, yes, no = node["Fn::If"]
            return T.if_(name, _wrap_items(yes, slots, guards | {name}, conditions),
                         _wrap_items(no, slots, guards, conditions))
        if T.is_function(node):
            return node
        return {k: _wrap_items(v, slots, guards, conditions) for k, v in node.items()}
    if not isinstance(node, list):
        return node
    items = []
    for item in node:
        item = _wrap_items(item, slots, guards, conditions)
        inner = guards
        if isinstance(item, dict) and "Fn::If" in item and item["Fn::If"][2] == T.NO_VALUE:
            inner = guards | {item["Fn::If"][0]}
        text = json.dumps(item)  # once, not once per slot and token
        owners = [slot for slot in slots if any(token in text for token in _tokens(slot))]
        if len(owners) == 1 and owners[0].condition \
                and not any(conditions.implies(g, owners[0].condition) for g in inner):
            item = T.if_(owners[0].condition, item, T.NO_VALUE)
        items.append(item)
    return items


def _tokens(slot: ph.Slot) -> tuple[str, ...]:
    """What marks a slot's pieces: its placeholders, and references to its resources."""
    return (*slot.tokens, *(f'"{logical_id}"' for logical_id in slot.ids.values()))
