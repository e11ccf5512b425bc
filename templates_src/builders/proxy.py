"""The DBProxy, its `default` target group and the optional READ_ONLY endpoint."""

from __future__ import annotations

from troposphere import GetAtt, Ref
from troposphere.rds import AuthFormat, ConnectionPoolConfigurationInfoFormat, DBProxy, DBProxyEndpoint, DBProxyTargetGroup

from .. import aws_facts as facts
from ..config.model import EnvConfig
from . import names, parameters
from .common import tags, waiver_metadata
from .secrets import secret_arn

def build_proxy(cfg: EnvConfig) -> DBProxy:
    auth = [
        AuthFormat(
            AuthScheme="SECRETS",
            SecretArn=secret_arn(user),
            IAMAuth=user.iam_auth.value,
            ClientPasswordAuthType=user.client_password_auth_type.value,
            **({"Description": user.description} if user.description else {}),
        )
        for user in cfg.users
    ]
    return DBProxy(
        names.PROXY,
        DBProxyName=cfg.proxy.name,
        EngineFamily=cfg.engine_family.value,
        RoleArn=GetAtt(names.ROLE, "Arn"),
        Auth=auth,
        RequireTLS=cfg.proxy.require_tls,
        IdleClientTimeout=Ref(parameters.IDLE_CLIENT_TIMEOUT),
        DebugLogging=cfg.proxy.debug_logging,
        VpcSubnetIds=Ref(parameters.SUBNET_IDS),
        VpcSecurityGroupIds=[GetAtt(names.SECURITY_GROUP, "GroupId")],
        Tags=tags(cfg),
        # The proxy writes to /aws/rds/proxy/<name> as soon as it exists; the group must come
        # first or RDS creates it unencrypted and without retention.
        DependsOn=[names.LOG_GROUP],
        **waiver_metadata(cfg, "require_tls", "iam_auth"),
    )


def connection_pool(cfg: EnvConfig) -> ConnectionPoolConfigurationInfoFormat:
    """The friendly pool options as the target group's ConnectionPoolConfigurationInfo."""
    extra = {}
    if cfg.pool.init_query:
        extra["InitQuery"] = cfg.pool.init_query
    if cfg.pool.session_pinning_filters:
        extra["SessionPinningFilters"] = [f.value for f in cfg.pool.session_pinning_filters]
    return ConnectionPoolConfigurationInfoFormat(
        MaxConnectionsPercent=Ref(parameters.MAX_CONNECTIONS),
        MaxIdleConnectionsPercent=Ref(parameters.MAX_IDLE_CONNECTIONS),
        ConnectionBorrowTimeout=Ref(parameters.BORROW_TIMEOUT),
        **extra,
    )


def build_target_group(cfg: EnvConfig) -> DBProxyTargetGroup:
    if cfg.target.db_cluster_identifier:
        target = {"DBClusterIdentifiers": [Ref(parameters.DB_CLUSTER)]}
    else:
        target = {"DBInstanceIdentifiers": [Ref(parameters.DB_INSTANCE)]}
    return DBProxyTargetGroup(
        names.TARGET_GROUP,
        TargetGroupName=facts.PROXY_TARGET_GROUP_NAME,
        DBProxyName=Ref(names.PROXY),
        ConnectionPoolConfigurationInfo=connection_pool(cfg),
        **target,
    )


def build_read_only_endpoint(cfg: EnvConfig) -> list[DBProxyEndpoint]:
    if not cfg.target.read_only_endpoint:
        return []
    return [DBProxyEndpoint(
        names.READ_ONLY_ENDPOINT,
        DBProxyEndpointName=cfg.proxy.name + facts.READ_ONLY_ENDPOINT_SUFFIX,
        DBProxyName=Ref(names.PROXY),
        TargetRole="READ_ONLY",
        VpcSubnetIds=Ref(parameters.SUBNET_IDS),
        VpcSecurityGroupIds=[GetAtt(names.SECURITY_GROUP, "GroupId")],
        Tags=tags(cfg),
        # The endpoint only serves once the target group has registered the cluster.
        DependsOn=[names.TARGET_GROUP],
    )]
