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
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import __version__
from ..facts.aws import ENGINES, EndpointNetworkType, EngineFamily, TargetConnectionNetworkType
from ..builders import suppressions
from ..builders.common import METADATA_NAMESPACE
from ..config.model import EnvConfig
from ..config.product_settings import DEFAULT_SETTINGS, ProductSettings
from ..builders.stack import TEMPLATE_FORMAT_VERSION, build_template
from . import conditions as C
from . import placeholders as ph
from . import tree as T
from . import twins
from . import users_sql
from ..builders import names
from .parameters import PRODUCT_ENGINES, interface, parameters
from .rules import rules

SECTIONS = ("Resources", "Outputs")
ENGINE_MAPPING = "Engines"


def engine_mapping() -> dict[str, dict[str, str]]:
    return {engine.value: {"Port": str(facts.port), "DefaultClientPasswordAuthType": facts.default_auth_type.value}
            for engine, facts in ENGINES.items() if engine in PRODUCT_ENGINES}


@dataclass(frozen=True)
class Feature:
    """An optional part: on in the maximal config, off in ``variant``; ``condition`` says on."""

    condition: str
    variant: Callable[[EnvConfig], EnvConfig]


def _user_features(i: int) -> list[Feature]:
    return [Feature(C.has_description(i), lambda cfg: ph.with_user(cfg, i, description=None))]


FEATURES = [
    Feature(C.CREATE_KEY, lambda cfg: ph.replace(cfg, "secrets", kms_key_arn=ph.ph(ph.KMS_KEY))),
    Feature(C.HAS_DATABASE_NAME, lambda cfg: ph.replace(cfg, "target", database_name=None)),
    Feature(C.HAS_ADMIN_SECRET_KEY, lambda cfg: ph.replace(cfg, "provisioner", admin_secret_kms_key_arn=None)),
    Feature(C.IS_CLUSTER, lambda cfg: ph.replace(cfg, "target", db_cluster_identifier=None,
                                                 db_instance_identifier=ph.ph(ph.DB_INSTANCE))),
    Feature(C.HAS_READ_ONLY_ENDPOINT, lambda cfg: ph.replace(cfg, "target", read_only_endpoint=False)),
    Feature(C.HAS_INIT_QUERY, lambda cfg: ph.replace(cfg, "pool", init_query=None)),
    Feature(C.HAS_SESSION_PINNING, lambda cfg: ph.replace(cfg, "pool", session_pinning_filters=())),
    Feature(C.CREATE_ALARM_TOPIC, lambda cfg: ph.replace(cfg, "monitoring", alarm_topic_arn=ph.ph(ph.ALARM_TOPIC))),
    Feature(C.HAS_ALARMS, lambda cfg: ph.replace(cfg, "monitoring", alarms=False)),
    Feature(C.HAS_PERMISSIONS_BOUNDARY, lambda cfg: ph.replace(cfg, "iam", permissions_boundary_arn=None)),
    Feature(C.HAS_ENDPOINT_NETWORK_TYPE,
            lambda cfg: ph.replace(cfg, "network", endpoint_network_type=EndpointNetworkType.IPV4)),
    Feature(C.HAS_TARGET_CONNECTION_NETWORK_TYPE,
            lambda cfg: ph.replace(cfg, "network", target_connection_network_type=TargetConnectionNetworkType.IPV4)),
    *(f for i in ph.slots(ph.USER_SLOTS) for f in _user_features(i)),
]


# Stand in for what catalog/users_sql.py writes once the slots are in place (the builders' values
# for a placeholder config would differ per engine in ways one Fn::If per path cannot say).
SQL_MARKER = "rds-proxy-cfn:product-sql"
DISABLE_MARKER = "rds-proxy-cfn:product-disable"
PASSWORD_FORM_MARKER = "rds-proxy-cfn:product-password-form"


def build(cfg: EnvConfig) -> dict[str, Any]:
    """Resources and Outputs of the builders' template for a placeholder config, with slot ids."""
    body = build_template(cfg).to_dict()
    if "Transform" in body:
        raise ValueError(f"the builders ask for the {body['Transform']} transform, which a product launch cannot expand")
    result = {section: body.get(section, {}) for section in SECTIONS}
    _mark_users(result["Resources"])
    renames = {old: new for slot in ph.all_slots() for old, new in slot.ids.items()}
    result = T.rename_ids(result, renames)
    # No sentinel is part of another or of a placeholder, so replacing them all at once is
    # replacing them one after another.
    return T.replace_strings(result, {sentinel: ph.ph(name) for name, sentinel in ph.SENTINELS.items()})


@cache
def shared_product_body(version: str = __version__, settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """The product template as a dict, built once per process (per settings: ``_product.yaml``)
    and shared: read it, never change it."""
    conditions = C.define()
    start = ph.base_config()
    base = build(start)
    result = copy.deepcopy(base)
    _engine_values(result, base)
    for feature in FEATURES:
        _apply_feature(result, base, build(feature.variant(start)), feature.condition, conditions)
    _add_client_policy(result, build(ph.with_iam_users(start)), conditions)
    _wrap_slots(result, conditions)
    _fill_users(result["Resources"], conditions)
    result["Outputs"] = T.transform(result["Outputs"], _output_text)
    result = _to_function(result)
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
    _check_refs(body)
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
    builds = {engine: build(ph.base_config(engine)) for engine in PRODUCT_ENGINES if engine is not EngineFamily.MYSQL}
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


def _apply_feature(result: dict[str, Any], base: dict[str, Any], variant: dict[str, Any], condition: str,
                   conditions: C.Conditions) -> None:
    for path in T.diff_paths(base, variant):
        off = T.get(variant, path, None)
        if len(path) == 2:  # a whole resource or output that only one side has
            if off is None:
                entry = result[path[0]][path[1]]
                entry["Condition"] = conditions.conjoin(entry.get("Condition"), condition)
            else:
                negated = conditions.add(f"Not{condition}", C.not_(C.cond(condition)))
                result[path[0]][path[1]] = {**off, "Condition": negated}
            continue
        if path[0] == "Resources" and path[2] != "Properties":
            raise ValueError(f"{condition} changes {'.'.join(map(str, path))}: CloudFormation cannot choose it at launch")
        current = T.get(result, path, None)
        if _drop_items(current, T.get(base, path, None), off, condition):
            continue
        T.put(result, path, T.if_(condition, T.NO_VALUE if current is None else current,
                                  T.NO_VALUE if off is None else off))


def _drop_items(current: Any, on: Any, off: Any, condition: str) -> bool:
    """Where the part only removes items from a list (a key ARN among others), each removed item
    gets ``Fn::If [condition, item, NoValue]`` in place, so what other parts made of the list's
    remaining items stays. False (nothing done) for any other difference."""
    if not (isinstance(current, list) and isinstance(on, list) and isinstance(off, list)
            and len(current) == len(on) > len(off)):
        return False
    kept, k = [], 0
    for index, item in enumerate(on):
        if k < len(off) and item == off[k]:
            kept.append(index)
            k += 1
    if k != len(off):
        return False
    for index in set(range(len(on))) - set(kept):
        current[index] = T.if_(condition, current[index], T.NO_VALUE)
    return True


def _add_client_policy(result: dict[str, Any], with_iam: dict[str, Any], conditions: C.Conditions) -> None:
    """Each user's client policy and its output exist when that user has IAM auth."""
    for section in SECTIONS:
        for logical_id, entry in with_iam[section].items():
            if logical_id not in result[section]:
                result[section][logical_id] = {**entry, "Condition": C.uses_iam(_user_slot(entry))}


def _user_slot(node: Any) -> int:
    found = [i for i in ph.slots(ph.USER_SLOTS)
             if T.mentions(node, ph.ph(ph.user_param(i, "Name"))) or T.mentions(node, f'"User{i}')]
    if len(found) != 1:
        raise ValueError(f"expected one user's placeholder in {node}")
    return found[0]


def _wrap_slots(result: dict[str, Any], conditions: C.Conditions) -> None:
    """Slot resources get their slot's condition; list items of a slot are wrapped in it."""
    slots = ph.all_slots()
    for section in SECTIONS:
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


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def _to_function(node: Any) -> Any:
    """Text with placeholders: a whole placeholder becomes a Ref, other text an Fn::Sub (the
    text of an existing Fn::Sub is left alone: its placeholders already are Sub variables)."""
    if isinstance(node, str) and _PLACEHOLDER.search(node):
        whole = _PLACEHOLDER.fullmatch(node)
        return {"Ref": whole.group(1)} if whole else {"Fn::Sub": node}
    if isinstance(node, list):
        return [_to_function(item) for item in node]
    if isinstance(node, dict) and "Fn::Sub" in node and len(node) == 1:
        sub = node["Fn::Sub"]
        return node if isinstance(sub, str) else {"Fn::Sub": [sub[0], _to_function(sub[1])]}
    if isinstance(node, dict):
        return {key: _to_function(value) for key, value in node.items()}
    return node


def _output_text(node: Any) -> Any:
    """An output's Description must be plain text: name the parameter instead."""
    if isinstance(node, dict) and isinstance(node.get("Description"), str) and "Value" in node:
        return {**node, "Description": _PLACEHOLDER.sub(r"\1", node["Description"])}
    return node


def _engine_defaults(node: Any) -> Any:
    """An empty ClientPasswordAuthType means the engine's default."""
    defaults = {}
    for i in ph.slots(ph.USER_SLOTS):
        defaults[ph.user_param(i, "ClientPasswordAuthType")] = (C.default_auth_type(i), "DefaultClientPasswordAuthType")
    if isinstance(node, dict) and T.is_function(node) and node.get("Ref") in defaults:
        condition, attribute = defaults[node["Ref"]]
        return T.if_(condition, {"Fn::FindInMap": [ENGINE_MAPPING, {"Ref": ph.ENGINE}, attribute]}, node)
    return node


def _check_refs(body: dict[str, Any]) -> None:
    known = set(body["Parameters"]) | set(body["Resources"])
    for node in _walk(body["Resources"]) + _walk(body["Outputs"]):
        name = node.get("Ref") if isinstance(node, dict) else None
        if isinstance(name, str) and not name.startswith("AWS::") and name not in known:
            raise ValueError(f"the product refers to {name}, which is neither a parameter nor a resource")


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found
