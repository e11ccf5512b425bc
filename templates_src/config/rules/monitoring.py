"""Rules of the ``monitoring`` section and the database's size keys."""

from __future__ import annotations

from collections.abc import Callable

from ...facts import connections as connection_facts
from ..errors import KeyPath
from ..schema.model import EnvConfig
from .single_key import suggest

Report = Callable[[KeyPath, str], None]

def _instance_class_known(cfg: EnvConfig, report: Report) -> None:
    target = cfg.target
    cluster = target.db_cluster_identifier is not None
    if target.instance_class == connection_facts.SERVERLESS_INSTANCE_CLASS and not cluster:
        report(("target", "instance_class"),
               f"{target.instance_class!r} is Aurora Serverless v2: it needs a cluster target (target.db_cluster_identifier)")
        return
    if target.instance_class is None or target.max_connections is not None:
        return
    if target.instance_class == connection_facts.SERVERLESS_INSTANCE_CLASS:
        if target.serverless_max_acu is None:  # Aurora sizes max_connections on the maximum ACU
            report(("target", "instance_class"),
                   f"{target.instance_class!r}: give target.serverless_max_acu (the cluster's maximum ACU) "
                   "or target.max_connections")
        return
    known = connection_facts.known_instance_classes(cfg.engine_family, cluster)
    if target.instance_class not in known:
        report(("target", "instance_class"),
               f"{target.instance_class!r}: its default max_connections is not known here"
               f"{suggest(target.instance_class, list(known))}; give target.max_connections instead")



def _serverless_max_acu_applies(cfg: EnvConfig, report: Report) -> None:
    """The maximum ACU sizes only an Aurora Serverless v2 cluster's instances."""
    target = cfg.target
    if target.serverless_max_acu is None:
        return
    if target.db_cluster_identifier is None:
        report(("target", "serverless_max_acu"), "only for an Aurora cluster (target.db_cluster_identifier)")
    elif target.instance_class != connection_facts.SERVERLESS_INSTANCE_CLASS:
        report(("target", "serverless_max_acu"),
               f"only with target.instance_class {connection_facts.SERVERLESS_INSTANCE_CLASS} (Aurora Serverless v2)")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (_instance_class_known, _serverless_max_acu_applies)
