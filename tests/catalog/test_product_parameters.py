"""The product's parameters take what the params schema holds from it, through the key each one
carries: defaults, choices, patterns, ranges and lengths are the schema's, never restated."""

from __future__ import annotations

import enum
import types
from typing import Any

import pytest

from builders.envs import POSTGRES, make_cfg
from templates_src.catalog import parameters, placeholders as ph, product_parameter
from templates_src.catalog.product_parameter import ProductParameter, cfn_text, optional, schema_choices
from templates_src.config.schema import key_paths
from templates_src.facts import aws as facts

from .helpers import product_body

pytestmark = pytest.mark.unit

KEYED = [p for p in parameters.ALL.values() if p.key]
# The product's own parameters: what no params key holds as one value.
OWN = {ph.ARTIFACT_KEY, *(ph.tag_key(i) for i in ph.slots(ph.TAG_SLOTS)), *(ph.tag_value(i) for i in ph.slots(ph.TAG_SLOTS))}
# Defaults the product chooses itself, and why the schema's will not do.
OWN_DEFAULTS = {ph.EXCLUDE_CHARACTERS: "the schema's is the engine's; a launch may pick any engine"}
SCHEMA_DEFAULT = product_parameter.schema_default  # the real one, while a test plants another


def _meta(p: ProductParameter) -> Any:
    return key_paths.field_at(p.key).metadata


def _aws_typed(p: ProductParameter) -> bool:
    return p.type.startswith(("AWS::", "List<AWS::"))


def test_every_parameter_carries_a_schema_key_or_is_the_products_own() -> None:
    assert {p.name for p in parameters.ALL.values() if p.key is None} == OWN
    for p in KEYED:
        assert key_paths.is_key(p.key), f"{p.name}: {p.key} is not a params key"


@pytest.mark.parametrize("p", KEYED, ids=lambda p: p.name)
def test_constraints_are_the_schemas(p: ProductParameter) -> None:
    meta = _meta(p)
    assert (p.min_value, p.max_value, p.max_length) == (meta["minimum"], meta["maximum"], meta["max_length"])
    if meta["pattern"]:
        assert p.pattern == (None if _aws_typed(p) else optional(meta["pattern"]) if p.default == "" else meta["pattern"])
    choices = schema_choices(p.key)
    if choices is not None:
        assert p.allowed_values and set(p.allowed_values) - {""} <= set(choices), p.allowed_values
        assert ("" in p.allowed_values) == (p.default == "")


def _env_default(key: str, cfg: Any) -> Any:
    """What an env that leaves the key out gets, through the real loader (test_envs' BASE gives
    only the required keys, a client group, the database's group and a description)."""
    return key_paths.value_at(cfg, key, 0 if key_paths.ITEM in key else None)


@pytest.mark.parametrize("p", [p for p in KEYED if p.default and p.name not in OWN_DEFAULTS], ids=lambda p: p.name)
def test_defaults_are_what_an_env_that_leaves_the_key_out_gets(p: ProductParameter) -> None:
    for cfg in (make_cfg(), make_cfg(POSTGRES)):
        assert p.default == cfn_text(_env_default(p.key, cfg)), f"{p.name} ({p.key}) on {cfg.engine_family.value}"


@pytest.mark.parametrize("p", [p for p in KEYED if p.default == ""], ids=lambda p: p.name)
def test_an_empty_default_stands_for_a_key_left_out(p: ProductParameter) -> None:
    field = key_paths.field_at(p.key)
    later_slot = p.slot is not None and p.slot > 1 or p.key == "network.allowed_cidrs"
    assert field.default in (None, ()) or later_slot, f"{p.name}: {p.key} defaults to {field.default!r}"


def _planted_default(key: str) -> Any:
    """A default unlike the schema's, of its type."""
    real = SCHEMA_DEFAULT(key)
    if isinstance(real, bool):
        return not real
    if isinstance(real, enum.Enum):
        return next(member for member in type(real) if member is not real)
    return real + 1


def _planted_field(key: str) -> Any:
    real = key_paths.field_at(key)
    meta = dict(real.metadata)
    for name in ("minimum", "maximum", "max_length"):
        if meta[name] is not None:
            meta[name] += 1000
    if meta["pattern"]:
        meta["pattern"] = f"^planted {key}$"
    return types.SimpleNamespace(metadata=meta, default=real.default)


def test_each_value_is_read_from_the_schema_through_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Change the schema under the parameters and make them again: every value the schema holds
    follows (a literal in their definitions would not)."""
    monkeypatch.setattr(product_parameter, "field_at", _planted_field)
    monkeypatch.setattr(product_parameter, "schema_default", _planted_default)
    made = {p.name: p for _, group in parameters.groups() for p in group}
    for p in KEYED:
        planted, got, meta = _planted_field(p.key).metadata, made[p.name], _meta(p)
        for name, value in (("minimum", got.min_value), ("maximum", got.max_value), ("max_length", got.max_length)):
            assert value == planted[name], f"{p.name}.{name}"
        if meta["pattern"] and not _aws_typed(p):
            assert got.pattern in (planted["pattern"], optional(planted["pattern"])), p.name
        if p.default and p.name not in OWN_DEFAULTS:
            assert got.default == cfn_text(_planted_default(p.key)), p.name


def test_init_query_takes_the_keys_length_limit() -> None:
    spec = product_body()["Parameters"][ph.INIT_QUERY]
    assert spec["MaxLength"] == key_paths.field_at("pool.init_query").metadata["max_length"] == facts.INIT_QUERY_MAX


def test_the_default_product_offers_only_the_secure_defaults() -> None:
    body = product_body()["Parameters"]
    assert body[ph.REQUIRE_TLS]["AllowedValues"] == [cfn_text(product_parameter.schema_default("proxy.require_tls"))]
    for i in ph.slots(ph.USER_SLOTS):
        assert body[ph.user_param(i, "IamAuth")]["AllowedValues"] == [
            cfn_text(product_parameter.schema_default("users[].iam_auth"))]


@pytest.mark.parametrize("key, problem", [
    ("proxy.name", "required"),
    ("target.port", "depends on the engine"),
    ("secrets.exclude_characters", "depends on the engine"),
])
def test_no_default_for_a_required_key_or_one_of_the_engine(key: str, problem: str) -> None:
    with pytest.raises(LookupError, match=problem):
        product_parameter.schema_default(key)


def test_a_key_absent_by_default_must_say_empty_or_at_launch() -> None:
    with pytest.raises(LookupError, match="absent by default"):
        product_parameter.keyed("X", "X", "pool.init_query")


def test_fewer_choices_than_the_schemas_only() -> None:
    with pytest.raises(AssertionError):
        product_parameter.keyed("X", "X", "engine_family", choices=("ORACLE",))


def test_slots_of_a_list_key_are_its_items_in_order() -> None:
    groups = [p for p in KEYED if p.key == "network.client_security_group_ids"]
    assert [p.slot for p in groups] == list(ph.slots(ph.CLIENT_SECURITY_GROUP_SLOTS))
    for i in ph.slots(ph.USER_SLOTS):
        assert {p.key for p in KEYED if p.slot == i and p.key.startswith("users")} == {
            f"users[].{field}" for field in ("username", "description", "iam_auth", "client_password_auth_type", "role")}


def test_key_paths_name_schema_fields_and_read_configs() -> None:
    cfg = make_cfg()
    assert key_paths.field_at("users[].role").name == "role"
    assert key_paths.value_at(cfg, "users[].username", 0) == cfg.users[0].username
    assert key_paths.value_at(cfg, "provisioner.admin_secret_arn") is None  # no provisioner: no value
    assert key_paths.inherited_from("users[].iam_auth") == "proxy.iam_auth"
    assert key_paths.inherited_from("pool.max_idle_connections_percent") is None  # derived, but not a key
    for bad in ("pool.nothing", "pool[].init_query", "users.role"):
        with pytest.raises(KeyError):
            key_paths.field_at(bad)
