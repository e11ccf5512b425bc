"""Rules and derived defaults of the ``monitoring`` section and the database's size keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..facts import connections as connection_facts
from .errors import KeyPath
from .model import EnvConfig, MonitoringParams, PoolParams
from .validate import suggest

Report = Callable[[KeyPath, str], None]

# A request that waits a tenth of the borrow timeout for a connection is well on its way to
# failing with a timeout: that is when someone should look. Below 100 ms is noise.
BORROW_LATENCY_SHARE = 10
MIN_DERIVED_BORROW_LATENCY_MS = 100


def _instance_class_known(cfg: EnvConfig, report: Report) -> None:
    target = cfg.target
    if target.instance_class is None or target.max_connections is not None:
        return
    cluster = target.db_cluster_identifier is not None
    known = connection_facts.known_instance_classes(cfg.engine_family, cluster)
    if target.instance_class not in known:
        report(("target", "instance_class"),
               f"{target.instance_class!r}: its default max_connections is not known here"
               f"{suggest(target.instance_class, list(known))}; give target.max_connections instead")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (_instance_class_known,)


def resolve(monitoring: MonitoringParams, pool: PoolParams) -> MonitoringParams:
    if monitoring.borrow_latency_ms is not None:
        return monitoring
    derived = max(MIN_DERIVED_BORROW_LATENCY_MS, pool.connection_borrow_timeout * 1000 // BORROW_LATENCY_SHARE)
    return dataclasses.replace(monitoring, borrow_latency_ms=derived)
