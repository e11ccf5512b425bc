"""The proxy's log group, created before the proxy so it is encrypted and has a retention."""

from __future__ import annotations

from typing import Any

from troposphere.logs import LogGroup

from .. import aws_facts as facts
from ..config.model import EnvConfig
from . import names
from .common import keep_on_delete, tags, waiver_metadata
from .kms import key_arn
from .suppressions import merged, retention


def log_group_name(cfg: EnvConfig) -> str:
    return facts.LOG_GROUP_NAME_FORMAT.format(proxy_name=cfg.proxy.name)


def build_log_group(cfg: EnvConfig) -> LogGroup:
    return kept_log_group(cfg, names.LOG_GROUP, log_group_name(cfg))


def kept_log_group(cfg: EnvConfig, title: str, name: Any) -> LogGroup:
    """A log group of the stack: the proxy's retention, encrypted with the stack's key, kept like
    the secrets (secrets.retain_on_delete), with the waivers and suppressions that go with that."""
    return LogGroup(
        title,
        LogGroupName=name,
        RetentionInDays=cfg.proxy.log_retention_days,
        KmsKeyId=key_arn(cfg),
        Tags=tags(cfg),
        **keep_on_delete(cfg),
        **merged(waiver_metadata(cfg, "retain_on_delete", "log_retention"), retention(cfg.proxy.log_retention_days)),
    )
