"""Small helpers every builder shares: tags, retention policies, export names."""

from __future__ import annotations

from troposphere import Sub, Tags

from .. import aws_facts as facts
from ..config.model import EnvConfig

RETAIN, DELETE = "Retain", "Delete"


def tags(cfg: EnvConfig, **extra: str) -> Tags:
    """The env's tags (Environment included) plus per-resource ones, sorted for stable output."""
    merged = {**cfg.tags, **extra}
    return Tags(**dict(sorted(merged.items())))


def keep_on_delete(cfg: EnvConfig) -> dict[str, str]:
    """DeletionPolicy and UpdateReplacePolicy for data that must outlive the stack."""
    policy = RETAIN if cfg.secrets.retain_on_delete else DELETE
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def export_name(output: str) -> Sub:
    return Sub(facts.EXPORT_NAME_SUB % output)
