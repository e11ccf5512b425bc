"""The proxy's log group, created before the proxy so it is encrypted and has a retention."""

from __future__ import annotations

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
    return LogGroup(
        names.LOG_GROUP,
        LogGroupName=log_group_name(cfg),
        RetentionInDays=cfg.proxy.log_retention_days,
        KmsKeyId=key_arn(cfg),
        Tags=tags(cfg),
        **keep_on_delete(cfg),
        **merged(waiver_metadata(cfg, "retain_on_delete", "log_retention"), retention(cfg.proxy.log_retention_days)),
    )
