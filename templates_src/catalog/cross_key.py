"""The config's cross-key rules (config/rules/cross_key.py) as CloudFormation Rules expressions.

Each key becomes the parameter that carries it (``parameters``: a parameter names its key): a
list key's slots, or a user key's parameter in each user slot. A key the product holds no
parameter for has the one value every launch has (``FIXED``). Rules compare for equality only
(Fn::Equals, Not, And, Or): a rule comparing numbers (``AtMost``) cannot be said (``Unsayable``).
"""

from __future__ import annotations

from typing import Any

from ..config.rules.cross_key import AllOf, AnyOf, AtMost, EachUser, ExactlyOne, Expr, Given, Is, Not, SomeUser
from . import placeholders as ph
from .conditions import all_of, any_of, equals, not_
from .parameters import ALL
from .placeholders import slots
from .product_parameter import cfn_text

USERNAME = "users[].username"
# Keys the product has no parameter for, and the value every launch has (provisioning.product_limits
# refuses an env with another): it always builds the proxy's group, and grants by role only.
FIXED: dict[str, Any] = {
    "network.create_security_group": True,
    "users[].privileges": None,
}


class Unsayable(ValueError):
    """A rule Rules cannot state."""


class _Alternatives(list):
    """Each slot of a list key, to be spliced into the Or around them."""


def carriers(key: str, slot: int | None = None) -> list[str]:
    """The parameters that carry the key (``slot``: a user key's, in that user slot)."""
    return [p.name for p in ALL.values() if p.key == key and (slot is None or p.slot == slot)]


def _constant(value: bool, negated: bool) -> bool:
    return value != negated


def _given(path: str, negated: bool, slot: int | None) -> Any:
    if path in FIXED:
        return _constant(FIXED[path] not in (None, (), ""), negated)
    names = carriers(path, slot if path.startswith("users[]") else None)
    if not names:
        raise KeyError(f"the product has no parameter for {path} (nor a fixed value)")
    if negated:
        return all_of(*(equals(name, "") for name in names))
    found = [not_(equals(name, "")) for name in names]
    return found[0] if len(found) == 1 else _Alternatives(found)


def _is(path: str, value: Any, negated: bool, slot: int | None) -> Any:
    if path in FIXED:
        return _constant(FIXED[path] == value, negated)
    (name,) = carriers(path, slot if path.startswith("users[]") else None)
    found = equals(name, cfn_text(value))
    return not_(found) if negated else found


def _finished(node: Any) -> Any:
    """A list key's slots standing alone: their Or."""
    return any_of(*node) if isinstance(node, _Alternatives) else node


def _all(items: list[Any]) -> Any:
    if False in items:
        return False
    kept = [_finished(item) for item in items if item is not True]
    return all_of(*kept) if kept else True


def _any(items: list[Any]) -> Any:
    if True in items:
        return True
    kept = [part for item in items if item is not False
            for part in (item if isinstance(item, _Alternatives) else [item])]
    return any_of(*kept) if kept else False


def _users(inner: Expr, negated: bool, every: bool) -> Any:
    """``inner`` for every used user slot (``every``), or for some; slot 1 is always used."""
    def used(i: int, expr: Any) -> Any:
        if i == 1:
            return expr
        name = _expression(Given(USERNAME), every, i)  # every: unused or ...; some: used and ...
        return _any([name, expr]) if every else _all([name, expr])

    items = [used(i, _expression(inner, negated, i)) for i in slots(ph.USER_SLOTS)]
    return _all(items) if every else _any(items)


def _expression(expr: Expr, negated: bool, slot: int | None) -> Any:
    match expr:
        case Given(path):
            return _given(path, negated, slot)
        case Is(path, value):
            return _is(path, value, negated, slot)
        case Not(inner):
            return _expression(inner, not negated, slot)
        case AllOf(exprs) | AnyOf(exprs):
            items = [_expression(e, negated, slot) for e in exprs]
            return _all(items) if isinstance(expr, AllOf) != negated else _any(items)
        case EachUser(inner) | SomeUser(inner):
            return _users(inner, negated, every=isinstance(expr, EachUser) != negated)
        case ExactlyOne(first, second):
            cases = ((False, False), (True, True)) if negated else ((False, True), (True, False))
            return _any([_all([_expression(Given(first), a, slot), _expression(Given(second), b, slot)])
                         for a, b in cases])
        case AtMost():
            raise Unsayable("Rules compare for equality only, not numbers")
    raise TypeError(f"not a rule expression: {expr!r}")


def expression(expr: Expr, *, negated: bool = False) -> Any:
    """``expr`` (or its negation) in Rules' functions: a tree, or True/False where the product's
    fixed values decide it."""
    return _finished(_expression(expr, negated, None))
