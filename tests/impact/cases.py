"""The environments the impact tests replay, and each key changed alone, computed once per run."""

from __future__ import annotations

from functools import cache
from typing import Any

from builders.envs import (ANY_DATABASE_ADDRESS, CLUSTER, LEGACY_SECRET_ARN, NO_RETAIN, ONLY_GIVEN_GROUPS, OWN_KEY,
                          ROTATION, merged)
from conftest import PARAMS
from templates_src.config.schema.model import EnvConfig
from templates_src.docgen.key_table import examples
from templates_src.impact.template import Template
from templates_src.impact.variants import KeyPath, key_paths, load_tree, variant
from templates_src.render.files import template_yaml
from templates_src.builders.stack import build_template

FIXTURES: dict[str, dict[str, Any]] = {
    "cluster-read-only": merged(CLUSTER, {"target": {"read_only_endpoint": True}}),
    "not-retained-own-key": merged(NO_RETAIN, OWN_KEY),
    "rotating": merged(ROTATION),
    # The database by its range, and egress to any address (waived): their keys change alone here.
    "database-range": merged({"network": {"database_security_group_id": None, "database_cidr": "10.20.0.0/22"}}),
    "egress-to-any-address": merged(ANY_DATABASE_ADDRESS),
    # Only existing groups on the proxy (no ProxySecurityGroup, no ProxySecurityGroupId export).
    "own-groups-only": merged(CLUSTER, {"target": {"read_only_endpoint": True}}, ONLY_GIVEN_GROUPS),
    # The first user brings its secret: its key (users[].secret_kms_key_arn) and whether it is the
    # master (users[].master) change alone here.
    "brought-secret": merged({"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN},
                                        {"username": "migrator"}]}),
}
Variant = tuple[KeyPath, Any, EnvConfig]


@cache
def cases() -> tuple[tuple[str, EnvConfig, tuple[Variant, ...]], ...]:
    """(name, config, its key variants) for every example env and every fixture."""
    found: list[tuple[str, EnvConfig, dict[str, Any]]] = [(cfg.env, cfg, tree) for cfg, tree in examples(PARAMS)]
    for name, tree in FIXTURES.items():
        cfg = load_tree(tree, "fixture")
        assert cfg is not None, name
        found.append((name, cfg, tree))
    return tuple((name, cfg, tuple((path, *v) for path in key_paths() if (v := variant(cfg, path, tree))))
                 for name, cfg, tree in found)


def example_cases() -> tuple[tuple[str, EnvConfig, tuple[Variant, ...]], ...]:
    return tuple(case for case in cases() if case[0] not in FIXTURES)


def case_names(examples_only: bool = False) -> list[str]:
    """The names of ``cases()`` (or ``example_cases()``) in their order, without computing the
    variants: tests parametrize on these, so collecting them (every run's, whatever tier it
    picks) takes no time."""
    names = [cfg.env for cfg, _ in examples(PARAMS)]
    return names if examples_only else [*names, *FIXTURES]


def case(name: str) -> tuple[str, EnvConfig, tuple[Variant, ...]]:
    """The case of that name (computing every case once)."""
    return next(found for found in cases() if found[0] == name)


_TEXTS: dict[str, tuple[str, dict[str, Any]]] = {}


def built(cfg: EnvConfig) -> tuple[str, dict[str, Any]]:
    """The template of ``cfg``, as the build writes it and as a dict (once per config)."""
    key = repr(cfg)
    if key not in _TEXTS:
        template = build_template(cfg)
        body = template.to_dict()
        _TEXTS[key] = (template_yaml(cfg, template, body), body)
    return _TEXTS[key]


def template_of(cfg: EnvConfig) -> Template:
    return Template.from_tree(built(cfg)[1])
