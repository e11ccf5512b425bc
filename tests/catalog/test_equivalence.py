"""The key test of the Service Catalog product: one product, same stacks.

For every example env (and shapes the examples do not cover), the product template resolved with
the env's provisioning parameters yields the env's dedicated template: the same resources with
the same logical ids, types, properties, DeletionPolicy, UpdateReplacePolicy, DependsOn and
Metadata, and the same outputs. Both templates are resolved by ``catalog.resolve``: Conditions,
Fn::If (AWS::NoValue removes), Refs to parameters (the dedicated template's own deploy-time
parameters with ``parameter_values(cfg)``), FindInMap, and Sub/Join/Select of known values;
Refs and GetAtts of resources and pseudo parameters stay as they are.

Normalised before comparing (``resolve.comparable``), and nothing else:
- slot logical ids: the product's ``User1Secret`` is the env's ``AppUserSecret`` and so on
  (``provisioning.logical_ids``); a ``<id>Deletable`` twin (RetainOnDelete false) is ``<id>``;
  export names follow the same renaming;
- ``DependsOn`` a WaitConditionHandle is written as ``DependsOn`` what its Metadata refers to;
- waiver Metadata (``RdsProxyCfn.Waivers``) is dropped: it records the params file's reasons;
- scalars compare as text (``true``/``"true"``, ``3306``/``"3306"``: CloudFormation passes both);
- tags compare in key order (the product cannot interleave its tag slots with fixed tags).
The per-user secret outputs' Description is not compared: an output's Description cannot use
functions, so the product's names the parameter (``User1Name``) instead of the username.
``verify.launch_differences`` is the comparison; the build runs it for every env too.
"""

from __future__ import annotations

import pytest

from templates_src.facts.aws import ENGINES
from templates_src.catalog import placeholders, provisioning, verify
from templates_src.catalog.resolve import Resolver
from templates_src.config.schema.model import EnvConfig

from builders.envs import END_TO_END_IAM, PROVISIONER, make_cfg

from .helpers import WAIVED, dedicated, dev, differences, examples, launched, product_body, settings_for, variants, weakens

pytestmark = pytest.mark.unit


def _assert_same_stack(cfg: EnvConfig) -> None:
    settings = settings_for(cfg)
    assert provisioning.product_limits(cfg, settings) == []
    differing = verify.launch_differences(cfg, product_body(settings))
    assert not differing, (f"{cfg.env}: the product launched with its provisioning parameters differs from "
                           f"the env's template:\n{verify.report(differing)}")


@pytest.mark.parametrize("cfg", examples(), ids=lambda c: c.env)
def test_the_product_launches_each_example_env_as_its_own_template(cfg: EnvConfig) -> None:
    assert not weakens(cfg), "the examples keep TLS and IAM auth: the default product launches them"
    _assert_same_stack(cfg)


def test_the_product_does_not_claim_to_launch_end_to_end_iam() -> None:
    """It has no IAM_AUTH slot: launching it for such an env would make secrets the env has not
    got, so the build gives that env a note, not a provisioning file."""
    cfg = make_cfg(END_TO_END_IAM, PROVISIONER)
    assert verify.launch_differences(cfg, product_body())
    # and the build's note says why, in one reason rather than a list of differing resources
    [limit] = provisioning.product_limits(cfg)
    assert limit.path == ("proxy", "default_auth_scheme") and "end-to-end IAM" in limit.message


@pytest.mark.parametrize("cfg", variants(), ids=lambda c: c.env)
def test_the_product_launches_shapes_the_examples_do_not_cover(cfg: EnvConfig) -> None:
    # own key + Delete policies (twins), PostgreSQL cluster + IPv6 + every role, PostgreSQL without
    # roles or database, MariaDB without TLS or IAM, MySQL pinning with mixed IAM auth, every slot
    # full and nothing kept (the last three through a product whose _product.yaml waives TLS and
    # IAM auth).
    _assert_same_stack(cfg)


def test_the_variants_cover_both_products() -> None:
    assert {weakens(cfg) for cfg in variants()} == {True, False}


@pytest.mark.parametrize("cfg", [c for c in variants() if weakens(c)], ids=lambda c: c.env)
def test_the_default_product_does_not_take_an_env_that_turns_tls_or_iam_auth_off(cfg: EnvConfig) -> None:
    """Its provisioning file would name a value outside the AllowedValues: no file, a reason instead."""
    limits = provisioning.product_limits(cfg)
    assert limits and all("_product.yaml has waivers." in limit.message for limit in limits)
    values = provisioning.provisioning_values(cfg)
    parameters = product_body()["Parameters"]
    refused = sorted(name for name, value in values.items()
                     if value not in parameters[name].get("AllowedValues", [value]))
    assert refused and all(name == "RequireTLS" or name.endswith("IamAuth") for name in refused)
    assert provisioning.product_limits(cfg, WAIVED) == []

def test_the_envs_compared_turn_every_optional_part_both_on_and_off() -> None:
    """So the comparisons above exercise each condition of the product both ways (the waived
    product's conditions are the default one's: the settings change parameters and rules only)."""
    body = product_body(WAIVED)
    assert body["Conditions"] == product_body()["Conditions"]
    seen: dict[str, set[bool]] = {name: set() for name in body["Conditions"]}
    for cfg in (*examples(), *variants()):
        resolver = Resolver(body, provisioning.provisioning_values(cfg))
        for name in seen:
            seen[name].add(resolver.condition(name))
    # Provisioning files always name the auth type; the engine's default is tested on its own below.
    one_way = {name for name, values in seen.items() if len(values) < 2 and not name.endswith("DefaultAuthType")}
    assert not one_way


def test_an_empty_password_auth_type_is_the_engines_default() -> None:
    """Launched by hand, a user's auth type may stay empty: the product looks up the engine's."""
    for cfg in examples():
        default = ENGINES[cfg.engine_family].default_auth_type
        values = provisioning.provisioning_values(cfg)
        emptied = [i for i, user in enumerate(cfg.users, start=1) if user.client_password_auth_type is default]
        assert emptied, cfg.env
        for i in emptied:
            values[placeholders.user_param(i, "ClientPasswordAuthType")] = ""
        assert not differences(dedicated(cfg)["Resources"], launched(cfg, values)["Resources"]), cfg.env


@pytest.mark.parametrize("key, value, changed", [
    ("ProxyName", "orders-other", "Proxy"),
    ("User2Description", "", "MigratorSecret"),
    ("RetainOnDelete", "false", "AppUserSecret"),
    ("Tag1Key", "", "Proxy"),
    ("DatabaseSecurityGroupId", "", "ProxySecurityGroup"),
])
def test_a_difference_fails_with_a_readable_diff(key: str, value: str, changed: str) -> None:
    cfg = dev()
    values = {**provisioning.provisioning_values(cfg), key: value}
    diff = differences(dedicated(cfg)["Resources"], launched(cfg, values)["Resources"])
    assert f"== {changed}" in diff
    assert "--- env template" in diff and "+++ product" in diff
