"""A launch parameter of the product, and how one that carries a params key takes that key's
constraints and default from the schema instead of restating them.

``keyed`` reads the key's field (config/key_paths.py): its type and choices (a boolean, an enum,
``choices``), ``pattern``, ``minimum``/``maximum`` and ``max_length`` from the field's metadata
(config/model.py and friends), and its default as every env that leaves the key out gets it:
the field's default, or the derived one as ``derive.resolve`` fills it in. What the product says
in its own words (label, description, constraint description) is given by the caller.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..config import derive
from ..config.schema.key_paths import ITEM, field_at, type_at, value_at
from ..config.schema.model import EnvConfig, NetworkParams, ProxyParams, TargetParams, UserParams
from ..facts.aws import EngineFamily

BOOLEAN = ("true", "false")


@dataclass(frozen=True)
class ProductParameter:
    name: str
    label: str
    description: str
    type: str = "String"
    default: str | None = None  # None: the launch must give a value
    allowed_values: tuple[str, ...] | None = None
    pattern: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    constraint_description: str | None = None
    key: str | None = None  # the params key whose value it carries (``pool.init_query``); None: the product's own
    slot: int | None = None  # which item of a list key it carries (1: the first)


def optional(pattern: str) -> str:
    """The pattern, or empty."""
    return "^$|" + pattern


def cfn_text(value: Any) -> str:
    """A params value as a launch parameter's text ("" for an absent value, a list comma-separated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return BOOLEAN[0] if value else BOOLEAN[1]
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ",".join(cfn_text(item) for item in value)
    return str(value)


@cache
def _defaults(engine: EngineFamily) -> EnvConfig:
    """A config with every key at its default, resolved. Required keys hold stand-ins, which no
    default is derived from but the stack name's and the environment's (no product default)."""
    stand_in = "defaults"
    return derive.resolve(EnvConfig(
        engine_family=engine, proxy=ProxyParams(name=stand_in), network=NetworkParams(vpc_id=stand_in, subnet_ids=()),
        target=TargetParams(), users=(UserParams(username=stand_in),), env=stand_in))


def schema_default(key: str) -> Any:
    """The key's default as every env that leaves it out gets it. LookupError for a required key,
    and for one whose default depends on the engine: the product serves every engine."""
    if field_at(key).default is dataclasses.MISSING:
        raise LookupError(f"{key} is required: it has no default")
    values = {engine: value_at(_defaults(engine), key, 0 if ITEM in key else None) for engine in EngineFamily}
    if len(set(values.values())) != 1:
        raise LookupError(f"{key}'s default depends on the engine ({values}): the product needs its own")
    return next(iter(values.values()))


def _item_type(key: str) -> Any:
    """The type of one value the parameter holds (a list key's parameter holds one item)."""
    tp = type_at(key)
    return typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else tp


def schema_choices(key: str) -> tuple[str, ...] | None:
    """The values the schema allows for the key, as text (None: any, within its other constraints)."""
    tp, choices = _item_type(key), field_at(key).metadata.get("choices")
    if tp is bool:
        return BOOLEAN
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tuple(str(member.value) for member in tp)
    return tuple(cfn_text(c) for c in choices) if choices is not None else None


def _default_text(key: str) -> str:
    value = schema_default(key)
    if value is None:  # absent by default: "" (empty) or the launch's value (at_launch), but say which
        raise LookupError(f"{key} is absent by default: its parameter is empty or given at launch")
    return cfn_text(value)


def keyed(name: str, label: str, key: str, description: str | None = None, *, empty: bool = False,
          at_launch: bool = False, aws_type: str | None = None, choices: tuple[str, ...] | None = None,
          slot: int | None = None, **own: Any) -> ProductParameter:
    """The parameter that carries ``key`` (``description``: the key's doc when None).

    ``empty``: "" stands for the key left out (the default, allowed beside the pattern or
    choices); ``at_launch``: no default, the launch gives it (the schema's default depends on the
    env: its engine, its name); ``aws_type``: an AWS-specific type, which CloudFormation checks
    (no pattern then); ``choices``: fewer choices than the schema's (the product's engines);
    ``own``: the product's own words (``constraint_description``) or a default of its own.
    """
    meta = field_at(key).metadata
    values = schema_choices(key)
    if choices is not None:
        assert values is not None and set(choices) <= set(values), f"{name}: {choices} are not {key}'s choices"
        values = choices
    pattern = None if aws_type else meta.get("pattern")
    required = field_at(key).default is dataclasses.MISSING
    if "default" in own:
        default = own.pop("default")
    else:
        default = "" if empty else None if at_launch or required else _default_text(key)
    return ProductParameter(
        name, label, meta["doc"] if description is None else description,
        type=aws_type or ("Number" if _item_type(key) is int else "String"),
        default=default,
        allowed_values=values and (("", *values) if empty else values),
        pattern=optional(pattern) if pattern and empty else pattern,
        min_value=meta.get("minimum"), max_value=meta.get("maximum"), max_length=meta.get("max_length"),
        key=key, slot=slot, **own)


def cfn_parameter(p: ProductParameter) -> dict[str, Any]:
    """The parameter as the template's Parameters entry."""
    props: dict[str, Any] = {"Type": p.type, "Description": p.description}
    for name, value in (("Default", p.default), ("AllowedValues", p.allowed_values and list(p.allowed_values)),
                        ("AllowedPattern", p.pattern), ("MinValue", p.min_value), ("MaxValue", p.max_value),
                        ("MaxLength", p.max_length), ("ConstraintDescription", p.constraint_description)):
        if value is not None:
            props[name] = value
    return props
