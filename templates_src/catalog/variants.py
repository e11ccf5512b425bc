"""The optional parts of the product, and how a part's variant becomes ``Fn::If`` or ``Condition``.

The builders run on the maximal placeholder config (every part on) and once per part with it
off (``FEATURES``). Where the two templates differ, the product gets an ``Fn::If`` on the part's
condition, or a ``Condition`` on a resource or output only one of them has; where the part only
removes list items, each removed item gets its own ``Fn::If``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config.schema.model import EnvConfig
from ..facts.aws import EndpointNetworkType, TargetConnectionNetworkType
from . import conditions as C
from . import placeholders as ph
from . import tree as T


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


def apply_feature(result: dict[str, Any], base: dict[str, Any], variant: dict[str, Any], condition: str,
                  conditions: C.Conditions) -> None:
    """Where the part's variant (``variant``, the part off) differs from the maximal build (``base``)."""
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


def add_client_policy(result: dict[str, Any], with_iam: dict[str, Any], conditions: C.Conditions) -> None:
    """Each user's client policy and its output exist when that user has IAM auth."""
    for section in T.SECTIONS:
        for logical_id, entry in with_iam[section].items():
            if logical_id not in result[section]:
                result[section][logical_id] = {**entry, "Condition": C.uses_iam(_user_slot(entry))}


def _user_slot(node: Any) -> int:
    found = [i for i in ph.slots(ph.USER_SLOTS)
             if T.mentions(node, ph.ph(ph.user_param(i, "Name"))) or T.mentions(node, f'"User{i}')]
    if len(found) != 1:
        raise ValueError(f"expected one user's placeholder in {node}")
    return found[0]
