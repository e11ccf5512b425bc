"""The Service Catalog product: one template for every environment, made from the env builders.

``stack.build_template`` runs on placeholder configs (see ``placeholders``): the maximal one
(every optional part on) and one variant per optional part. Where a variant's tree differs from
the maximal one, the product gets an ``Fn::If`` on that part's condition (or a ``Condition`` on a
resource only one of them has). Slot pieces (one user, one client group, one tag) are wrapped in
their slot's condition, placeholders become ``Ref`` / ``Fn::Sub``, and what CloudFormation cannot
choose at launch (DeletionPolicy) becomes two copies of a resource, one of which is created.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from .. import __version__
from ..builders import names, plain, suppressions
from ..builders.common import METADATA_NAMESPACE
from ..builders.stack import TEMPLATE_FORMAT_VERSION, build_template
from ..config.schema.model import EnvConfig
from ..config.product_settings import DEFAULT_SETTINGS, ProductSettings
from ..facts.aws import ENGINES, EngineFamily
from . import conditions as C
from . import placeholders as ph
from . import tree as T
from . import twins, users_sql
from .parameters import PRODUCT_ENGINES, interface, parameters
from .placeholder_functions import check_refs, output_text, to_function
from .rules import rules
from .slot_guards import wrap_slots
from .variants import FEATURES, add_client_policy, apply_feature

ENGINE_MAPPING = "Engines"


def engine_mapping() -> dict[str, dict[str, str]]:
    return {engine.value: {"Port": str(facts.port), "DefaultClientPasswordAuthType": facts.default_auth_type.value}
            for engine, facts in ENGINES.items() if engine in PRODUCT_ENGINES}


def _engine_defaults(node: Any) -> Any:
    """An empty ClientPasswordAuthType means the engine's default."""
    defaults = {}
    for i in ph.slots(ph.USER_SLOTS):
        defaults[ph.user_param(i, "ClientPasswordAuthType")] = (C.default_auth_type(i), "DefaultClientPasswordAuthType")
    if isinstance(node, dict) and T.is_function(node) and node.get("Ref") in defaults:
        condition, attribute = defaults[node["Ref"]]
        return T.if_(condition, {"Fn::FindInMap": [ENGINE_MAPPING, {"Ref": ph.ENGINE}, attribute]}, node)
    return node


# Stand in for what catalog/users_sql.py writes once the slots are in place (the builders' values
# for a placeholder config would differ per engine in ways one Fn::If per path cannot say).
SQL_MARKER = "rds-proxy-cfn:product-sql"
DISABLE_MARKER = "rds-proxy-cfn:product-disable"
PASSWORD_FORM_MARKER = "rds-proxy-cfn:product-password-form"


def build(cfg: EnvConfig, placeholders: bool = True) -> dict[str, Any]:
    """Resources and Outputs of the builders' template for a placeholder config, with slot ids
    (and with ``placeholders``, its sentinels made placeholders: ``with_placeholders``)."""
    body = plain.body(build_template(cfg))
    if "Transform" in body:
        raise ValueError(f"the builders ask for the {body['Transform']} transform, which a product launch cannot expand")
    result = {section: body.get(section, {}) for section in T.SECTIONS}
    _mark_users(result["Resources"])
    renames = {old: new for slot in ph.all_slots() for old, new in slot.ids.items()}
    result = T.rename_ids(result, renames)
    return with_placeholders(result) if placeholders else result


def with_placeholders(tree: Any) -> Any:
    """The sentinels in ``tree`` made the placeholders they stand for. No sentinel is part of
    another or of a placeholder, so replacing them all at once is replacing them one after
    another; and the builders write no placeholder of a sentinel's parameter themselves, so two
    trees differ where they differ before this as after it: the builds are merged with their
    sentinels (``shared_product_body``) and the result made placeholders once."""
    return T.replace_strings(tree, {sentinel: ph.ph(name) for name, sentinel in ph.SENTINELS.items()})


@cache
def shared_product_body(version: str = __version__, settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """The product template as a dict, built once per process (per settings: ``_product.yaml``)
    and shared: read it, never change it."""
    conditions = C.define()
    start = ph.base_config()
    base = build(start, placeholders=False)  # the variants are merged in with their sentinels
    result = copy.deepcopy(base)
    _engine_values(result, base)
    for feature in FEATURES:
        apply_feature(result, base, build(feature.variant(start), placeholders=False), feature.condition, conditions)
    result = with_placeholders(result)
    add_client_policy(result, build(ph.with_iam_users(start)), conditions)
    wrap_slots(result, conditions)
    _fill_users(result["Resources"], conditions)
    result["Outputs"] = T.transform(result["Outputs"], output_text)
    result = to_function(result)
    result = T.transform(result, _engine_defaults)
    twins.split_retained(result, conditions)
    suppressions.record(result["Resources"], suppressions.PRODUCT_CHOICES)
    body = {
        "AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
        "Description": f"RDS Proxy in front of one RDS instance or Aurora cluster, for any environment: "
                       f"the Service Catalog product of rds-proxy-cfn {version}",
        "Metadata": _metadata(settings),
        "Parameters": parameters(settings),
        "Rules": rules(settings),
        "Mappings": {ENGINE_MAPPING: engine_mapping()},
        "Conditions": conditions.used_by(result),
        **result,
    }
    check_refs(body)
    return body


def product_body(version: str = __version__, settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """The product template as a dict (a fresh copy: callers may change it)."""
    return copy.deepcopy(shared_product_body(version, settings))


def _metadata(settings: ProductSettings) -> dict[str, Any]:
    """The parameter interface, and the portfolio owner's waivers (each weaker value the product
    offers, with its reason) where env templates record theirs: ``RdsProxyCfn.Waivers``."""
    metadata: dict[str, Any] = {"AWS::CloudFormation::Interface": interface()}
    if waived := settings.waived():
        metadata[METADATA_NAMESPACE] = {"Waivers": waived}
    return metadata


def _engine_values(result: dict[str, Any], base: dict[str, Any]) -> None:
    """Where the engine changes a value: ``Ref EngineFamily`` or a lookup in the Engines mapping."""
    mapping = engine_mapping()
    builds = {engine: build(ph.base_config(engine), placeholders=False)
              for engine in PRODUCT_ENGINES if engine is not EngineFamily.MYSQL}
    builds[EngineFamily.MYSQL] = base
    paths = {p for tree in builds.values() for p in T.diff_paths(base, tree)}
    for path in sorted(paths, key=str):
        values = {engine.value: T.get(tree, path) for engine, tree in builds.items()}
        if all(value == engine for engine, value in values.items()):
            T.put(result, path, ph.ph(ph.ENGINE))
            continue
        attribute = next((a for a in mapping[EngineFamily.MYSQL.value]
                          if all(str(v) == mapping[e][a] for e, v in values.items())), None)
        if attribute is None:
            raise ValueError(f"the engine changes {'.'.join(map(str, path))} in a way the product cannot "
                             f"express: {values}; add it to the Engines mapping")
        T.put(result, path, {"Fn::FindInMap": [ENGINE_MAPPING, {"Ref": ph.ENGINE}, attribute]})


def _mark_users(resources: dict[str, Any]) -> None:
    users = resources[names.DATABASE_USERS]["Properties"]
    users["Sql"] = SQL_MARKER
    for user in users["Users"]:
        user.update(Disable=DISABLE_MARKER, PasswordForm=PASSWORD_FORM_MARKER)
    # The code's key names the CA bundle's digest, which the portfolio owner stages (a parameter).
    resources[names.PROVISIONER_FUNCTION]["Properties"]["Code"]["S3Key"] = ph.ph(ph.ARTIFACT_KEY)


def _fill_users(resources: dict[str, Any], conditions: C.Conditions) -> None:
    """The SQL and each user's engine-dependent fields, in placeholders."""
    def placeholders(node: Any) -> Any:
        return T.replace_strings(node, {sentinel: ph.ph(name) for name, sentinel in users_sql.SENTINELS.items()})

    properties = resources[names.DATABASE_USERS]["Properties"]
    properties["Sql"] = placeholders(users_sql.sql(conditions))
    slot_of = {ph.ph(ph.user_param(i, "Name")): i for i in ph.slots(ph.USER_SLOTS)}

    def fill(node: Any) -> Any:
        if isinstance(node, dict) and node.get("Disable") == DISABLE_MARKER:
            i = slot_of[node["Username"]]
            return {**node, "Disable": placeholders(users_sql.disable(i)),
                    "PasswordForm": placeholders(users_sql.password_form(i))}
        if isinstance(node, dict):
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        return node

    properties["Users"] = fill(properties["Users"])
