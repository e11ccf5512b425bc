"""For each params key, another valid value: what the key table (``docgen.key_table``) and the lifecycle
scenarios (tests/impact) change, one key at a time.

Keys come from the schema (``config.model``), so a new key is covered without touching this
file when its type says what another value is (a boolean, a choice, a number in a range, an
identifier to vary, a list). ``WHEN_ABSENT`` gives a value for an optional key an environment
does not set; a key with no valid alternative for an environment is skipped for that one.
Every candidate goes through the real loader and rules, so only valid configs come out.
"""

from __future__ import annotations

import dataclasses
import enum
import tempfile
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..config import PARAMS_SUFFIX, ParamsErrors, load_environments
from ..config.reading.layers import load_layers
from ..config.reading.merge import merge_documents
from ..config.reading.yaml_loader import load as load_document
from ..config.schema.model import EnvConfig, WaiverParams
from ..config.schema.keys import field_types, params_fields, unwrap_optional

KeyPath = tuple[str, ...]  # "users[]" stands for the first user
ITEM = "[]"
# accept says what a change may do and changes no template; stack_set makes another template
# (stack-set.yaml, whose instances are the env's own stack moved: tests/catalog/test_stack_instances).
SKIPPED = {("accept",), ("stack_set",)}
PLANTED_REASON = "changed by the key table and lifecycle scenarios"

# Values for optional keys an environment leaves out (the type alone cannot invent them).
WHEN_ABSENT: dict[KeyPath, tuple[Any, ...]] = {
    ("stack_name",): ("rds-proxy-renamed",),
    ("ssm_parameter_path",): ("/rds-proxy/other",),
    ("tags",): ({"owner": "team-x"},),
    ("network", "client_security_group_ids"): (["sg-0a1b2c3d4e5f60701"],),
    ("network", "allowed_cidrs"): (["10.99.0.0/16"],),
    ("network", "proxy_security_group_ids"): (["sg-0a1b2c3d4e5f60703"],),
    ("network", "database_security_group_id"): ("sg-0a1b2c3d4e5f60702",),
    ("network", "database_cidr"): ("10.98.0.0/16",),
    ("network", "endpoint_network_type"): ("DUAL", "IPV6"),
    ("network", "target_connection_network_type"): ("IPV6",),
    ("endpoints" + ITEM, "allowed_cidrs"): (["10.97.0.0/16"],),
    ("endpoints" + ITEM, "endpoint_network_type"): ("DUAL",),
    ("target", "db_instance_identifier"): ("orders-other-db",),
    ("target", "db_cluster_identifier"): ("orders-other-aurora",),
    ("target", "database_name"): ("orders_other",),
    ("target", "schema_name"): ("other",),
    ("pool", "init_query"): ("SET TIME ZONE 'UTC'",),
    ("pool", "session_pinning_filters"): (["EXCLUDE_VARIABLE_SETS"],),
    ("secrets", "kms_key_arn"): ("arn:aws:kms:{region}:111122223333:key/1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",),
    ("secrets", "exclude_characters"): ("\"'@/\\`;",),
    ("secrets", "rotation_days"): (30,),
    ("secrets", "rotation_superuser_secret_arn"): ("arn:aws:secretsmanager:{region}:111122223333:secret:admin-AbCdEf",),
    ("target", "instance_class"): ("db.r6g.large",),
    ("target", "max_connections"): (500,),
    ("target", "serverless_max_acu"): (16,),
    ("monitoring", "alarm_topic_arn"): ("arn:aws:sns:{region}:111122223333:ops-alarms",),
    ("monitoring", "alarms"): (False,),
    ("iam", "proxy_trust_source_account"): (True,),
    ("monitoring", "min_availability_percent"): (99,),
    ("monitoring", "pool_saturation_percent"): (80,),
    ("monitoring", "borrow_latency_ms"): (500,),
    ("monitoring", "pinned_percent"): (30,),
    ("monitoring", "failed_auth_per_5_minutes"): (20,),
    ("monitoring", "database_setup_failures_per_5_minutes"): (5,),
    ("iam", "permissions_boundary_arn"): ("arn:aws:iam::111122223333:policy/Boundary",),
    ("iam", "role_path"): ("/platform/",),
    ("iam", "proxy_role_arn"): ("arn:aws:iam::111122223333:role/existing-proxy-role",),
    ("iam", "key_admin_arns"): (["arn:aws:iam::111122223333:role/KeyAdmins"],),
    ("iam", "secret_reader_arns"): (["arn:aws:iam::111122223333:role/deployer"],),
    ("users[]", "description"): ("Planted description",),
    ("users[]", "secret_arn"): ("arn:aws:secretsmanager:{region}:111122223333:secret:legacy-AbCdEf",),
    ("users[]", "secret_kms_key_arn"): ("arn:aws:kms:{region}:111122223333:key/8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b",),
    ("users[]", "master"): (True,),
    ("users[]", "role"): ("readonly",),
    ("users[]", "privileges"): (["SELECT"],),
}


def key_paths(cls: type = EnvConfig, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every leaf key of the params schema, in the schema's order."""
    paths: list[KeyPath] = []
    for f in params_fields(cls):
        tp, _ = unwrap_optional(field_types(cls)[f.name])
        args = typing.get_args(tp)
        if prefix + (f.name,) in SKIPPED:
            continue
        if dataclasses.is_dataclass(tp):
            paths += key_paths(tp, prefix + (f.name,))
        elif typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
            paths += key_paths(args[0], prefix + (f.name + ITEM,))
        else:
            paths.append(prefix + (f.name,))
    return paths


def shown(path: KeyPath) -> str:
    return ".".join(path)


def raw_tree(params_dir: Path, env: str) -> dict[str, Any]:
    """An environment's params as written (its file over its defaults layers), derived keys left out."""
    doc = load_document(params_dir / f"{env}{PARAMS_SUFFIX}", env)[0]
    base = load_layers(params_dir, params_dir.name)[0].under(doc)
    return yaml.safe_load(yaml.safe_dump(merge_documents(base, doc).data))


def to_params(cfg: EnvConfig) -> dict[str, Any]:
    """A complete params tree for ``cfg`` (derived values written out): loading it gives ``cfg``."""
    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in params_fields(type(value))
                    if getattr(value, f.name) is not None}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return dict(value)
        return value
    tree = plain(cfg)
    tags = dict(tree.get("tags") or {})
    tags.pop("Environment", None)  # added by the build, refused in params
    tree["tags"] = tags
    return tree


def _get(tree: dict[str, Any], path: KeyPath) -> Any:
    node: Any = tree
    for part in path:
        part, item = (part[:-len(ITEM)], True) if part.endswith(ITEM) else (part, False)
        node = node.get(part) if isinstance(node, dict) else None
        if item:
            node = node[0] if node else None
    return node


def _set(tree: dict[str, Any], path: KeyPath, value: Any) -> None:
    node: Any = tree
    for part in path[:-1]:
        if part.endswith(ITEM):
            node = node[part[:-len(ITEM)]][0]
        else:
            node = node.setdefault(part, {})
    node[path[-1]] = value


def _vary_text(text: str) -> list[str]:
    """Texts close to ``text`` (identifiers keep their pattern when the last character changes)."""
    last = text[-1]
    swap = "0" if last == "1" else "1" if last.isdigit() else ("a" if last != "a" else "b")
    return [text[:-1] + swap, text + "x"]


def _meta(path: KeyPath) -> tuple[Any, dict[str, Any]]:
    cls: Any = EnvConfig
    for part in path[:-1]:
        tp, _ = unwrap_optional(field_types(cls)[part.removesuffix(ITEM)])
        cls = typing.get_args(tp)[0] if part.endswith(ITEM) else tp
    field = next(f for f in dataclasses.fields(cls) if f.name == path[-1])
    return unwrap_optional(field_types(cls)[path[-1]])[0], dict(field.metadata)


# Keys whose valid values a text variation cannot find (a region cfn-lint has schemas for).
ALTERNATIVES: dict[KeyPath, tuple[Any, ...]] = {("region",): ("us-west-2", "eu-west-1"),
                                                ("iam", "role_path"): ("/platform/", "/")}


def candidates(path: KeyPath, current: Any, region: str) -> Iterator[Any]:
    """Values to try instead of ``current`` (a params value, None when absent), best first."""
    if path in ALTERNATIVES and current is not None:
        yield from (value for value in ALTERNATIVES[path] if value != current)
        return
    tp, meta = _meta(path)
    origin = typing.get_origin(tp)
    if current is None or current in ((), [], {}):
        for value in WHEN_ABSENT.get(path, ()):
            yield value.format(region=region) if isinstance(value, str) else value
        if current is None:
            return
    if tp is bool:
        yield not current
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        yield from (m.value for m in tp if m.value != current)
    elif tp is int:
        if meta.get("choices"):
            choices = list(meta["choices"])
            at = choices.index(current) if current in choices else 0
            yield from (choices[i] for i in (at + 1, at - 1) if 0 <= i < len(choices))
        else:
            yield from (v for v in (current + 1, current - 1)
                        if (meta.get("minimum") is None or v >= meta["minimum"])
                        and (meta.get("maximum") is None or v <= meta["maximum"]))
    elif tp is float:
        step = meta.get("multiple_of") or 1
        yield from (v for v in (current + step, current - step)
                    if (meta.get("minimum") is None or v >= meta["minimum"])
                    and (meta.get("maximum") is None or v <= meta["maximum"]))
    elif tp is str:
        yield from _vary_text(current)
    elif origin is tuple and current:
        yield from ([*current[:-1], text] for text in _vary_text(str(current[-1])))
        if len(current) > 1:
            yield list(current[:-1])
        else:
            yield []
    elif origin is dict and current:
        first = sorted(current)[0]
        yield {**current, first: current[first] + "-x"}


def load_tree(tree: dict[str, Any], env: str) -> EnvConfig | None:
    """The config of a params tree, through the real loader and rules; None when it is invalid."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "params"
        folder.mkdir()
        (folder / f"{env}.yaml").write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
        try:
            [cfg] = load_environments(folder, "params", [env])
        except ParamsErrors:
            return None
    return cfg


def variant(cfg: EnvConfig, path: KeyPath, tree: dict[str, Any] | None = None) -> tuple[Any, EnvConfig] | None:
    """(the new value, the config) for the first valid other value of ``path``, or None.
    ``tree``: the params ``cfg`` was loaded from (keys left to their derived defaults stay so);
    without it, ``to_params(cfg)``, where every derived value is written out."""
    tree = to_params(cfg) if tree is None else tree
    if any(part.endswith(ITEM) and not _get(tree, path[:i + 1]) for i, part in enumerate(path[:-1])):
        return None  # an item of a list this env leaves empty (no endpoint to vary)
    waiver = path[-1] if path[-1] in {f.name for f in dataclasses.fields(WaiverParams)} else None
    for value in candidates(path, _get(tree, path), cfg.region):
        for with_waiver in ((False, True) if waiver else (False,)):
            changed = yaml.safe_load(yaml.safe_dump(tree))  # a deep copy of plain data
            _set(changed, path, value)
            if with_waiver:
                changed.setdefault("waivers", {})[waiver] = PLANTED_REASON
            if (new := load_tree(changed, cfg.env)) is not None and new != cfg:
                return value, dataclasses.replace(new, source=cfg.source)
    return None
