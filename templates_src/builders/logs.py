"""The proxy's log group, in place before the proxy so it is encrypted and has a retention.

RDS Proxy writes to /aws/rds/proxy/<proxy name> only, and the stack keeps that group when it is
deleted. A stack with the users provisioner has the group made or adopted by the provisioner's
function (Custom::AdoptedLogGroup, provisioner/runtime/log_groups.py), so a kept group never
blocks the next create of the env, a product launch or a stack set instance, with nobody there
to act. Without the provisioner a person runs deploy.sh, which finds a kept group before it
creates the stack and names the ways out; the group is then an AWS::Logs::LogGroup.
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSObject, GetAtt, Sub
from troposphere.cloudformation import CustomResource
from troposphere.logs import LogGroup

from ..facts import aws as facts
from ..facts import provisioner as pfacts
from ..config.schema.model import EnvConfig
from . import names
from .common import RETAIN, keep_on_delete, tags, waiver_metadata
from .kms import key_arn
from .suppressions import merged, retention


class AdoptedLogGroup(CustomResource):
    """troposphere passes any property of a Custom:: type through."""
    resource_type = pfacts.ADOPTED_LOG_GROUP_TYPE


def log_group_name(cfg: EnvConfig) -> str:
    return facts.LOG_GROUP_NAME_FORMAT.format(proxy_name=cfg.proxy.name)


def log_group_id(cfg: EnvConfig) -> str:
    """The logical id of the proxy's log group: a new id for the adopted one, because
    CloudFormation refuses to change the type of a resource it has ("Update of resource type is
    not permitted")."""
    return names.LOG_GROUP if cfg.provisioner is None else names.ADOPTED_LOG_GROUP


def build_log_group(cfg: EnvConfig) -> AWSObject:
    if cfg.provisioner is None:
        return kept_log_group(cfg, names.LOG_GROUP, log_group_name(cfg))
    return adopted_log_group(cfg)


def adopted_log_group(cfg: EnvConfig) -> AdoptedLogGroup:
    """Kept whatever secrets.retain_on_delete says: DeletionPolicy and UpdateReplacePolicy Retain,
    so CloudFormation never asks the function to delete it, not even when it rolls back a create
    (RetainExceptOnCreate would delete a group an earlier stack kept), and the next stack of the
    proxy name adopts it. Its retention bounds what it holds; the function never deletes a log
    group, and the Service Catalog product, whose policies cannot follow a launch parameter, is
    the same stack as the env's."""
    return AdoptedLogGroup(
        names.ADOPTED_LOG_GROUP,
        ServiceToken=GetAtt(names.PROVISIONER_FUNCTION, "Arn"),
        ServiceTimeout=pfacts.SERVICE_TIMEOUT_SECONDS,
        LogGroupName=log_group_name(cfg),
        LogGroupArn=Sub(facts.LOG_GROUP_ARN_SUB % log_group_name(cfg)),
        RetentionInDays=cfg.proxy.log_retention_days,
        KmsKeyId=key_arn(cfg),
        Tags=tags(cfg),
        DeletionPolicy=RETAIN,
        UpdateReplacePolicy=RETAIN,
        **waiver_metadata(cfg, "log_retention"),
    )


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
