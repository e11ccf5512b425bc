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
    if target.instance_class is None or target.max_connections is not None:
        return
    cluster = target.db_cluster_identifier is not None
    known = connection_facts.known_instance_classes(cfg.engine_family, cluster)
    if target.instance_class not in known:
        report(("target", "instance_class"),
               f"{target.instance_class!r}: its default max_connections is not known here"
               f"{suggest(target.instance_class, list(known))}; give target.max_connections instead")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (_instance_class_known,)
