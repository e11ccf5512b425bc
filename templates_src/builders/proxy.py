"""The DBProxy and its `default` target group (its other endpoints, the read-only one included:
``endpoints``)."""

from __future__ import annotations

from typing import Any

from troposphere import Ref
from troposphere.rds import AuthFormat, ConnectionPoolConfigurationInfoFormat, DBProxy, DBProxyTargetGroup

from ..facts import aws as facts
from ..config.schema.model import EnvConfig
from . import names
from .common import listed, tags, waiver_metadata
from .iam import proxy_role_arn
from .logs import log_group_id
from .security_groups import proxy_security_groups
from .secrets import secret_arn
from .users_ready import waits_for_users


def network_types(endpoint: facts.EndpointNetworkType,
                  target: facts.TargetConnectionNetworkType | None = None) -> dict[str, str]:
    """The network type properties other than AWS's default (IPV4), for a proxy (both) or an
    endpoint (``target`` None: DBProxyEndpoint has no TargetConnectionNetworkType). Both are
    create-only in the provider schemas: writing ``IPV4`` into the template of a proxy deployed
    without it would be a property added to a create-only set, which CloudFormation answers with a
    replacement, so the default is left out rather than spelt. (The Service Catalog product passes
    placeholders, never the IPV4 member: it always gets the property, and decides by condition.)"""
    types: dict[str, str] = {}
    if endpoint is not facts.EndpointNetworkType.IPV4:
        types["EndpointNetworkType"] = endpoint.value
    if target is not None and target is not facts.TargetConnectionNetworkType.IPV4:
        types["TargetConnectionNetworkType"] = target.value
    return types


def _authentication(cfg: EnvConfig) -> dict[str, Any]:
    """End-to-end IAM: DefaultAuthScheme IAM_AUTH and no Auth list (the CloudFormation schema
    requires Auth only without it). Otherwise one SECRETS entry per user."""
    if cfg.end_to_end_iam:
        return {"DefaultAuthScheme": cfg.proxy.default_auth_scheme.value}
    return {"Auth": [
        AuthFormat(
            AuthScheme="SECRETS",
            SecretArn=secret_arn(user),
            IAMAuth=user.iam_auth.value,
            ClientPasswordAuthType=user.client_password_auth_type.value,
            **({"Description": user.description} if user.description else {}),
        )
        for user in cfg.users
    ]}


def build_proxy(cfg: EnvConfig) -> DBProxy:
    return DBProxy(
        names.PROXY,
        DBProxyName=cfg.proxy.name,
        EngineFamily=cfg.engine_family.value,
        RoleArn=proxy_role_arn(cfg),
        **_authentication(cfg),
        RequireTLS=cfg.proxy.require_tls,
        IdleClientTimeout=cfg.proxy.idle_client_timeout,
        DebugLogging=cfg.proxy.debug_logging,
        VpcSubnetIds=listed(cfg.network.subnet_ids),
        VpcSecurityGroupIds=proxy_security_groups(cfg),
        **network_types(cfg.network.endpoint_network_type, cfg.network.target_connection_network_type),
        Tags=tags(cfg),
        # The proxy writes to /aws/rds/proxy/<name> as soon as it exists; the group must come
        # first or RDS creates it unencrypted and without retention.
        DependsOn=[log_group_id(cfg)],
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
        MaxConnectionsPercent=cfg.pool.max_connections_percent,
        MaxIdleConnectionsPercent=cfg.pool.max_idle_connections_percent,
        ConnectionBorrowTimeout=cfg.pool.connection_borrow_timeout,
        **extra,
    )


def build_target_group(cfg: EnvConfig) -> DBProxyTargetGroup:
    # Its create handler registers the target and then waits until every RDS_INSTANCE target is
    # AVAILABLE, failing with "Timed out waiting for target group to become available" otherwise
    # (aws-cloudformation-resource-providers-rds-proxy, aws-rds-dbproxytargetgroup CreateHandler,
    # Utility.validateHealth). A target whose users do not exist yet is UNAVAILABLE/AUTH_FAILURE:
    # the deploy order (deploy_order.py) creates the users before this resource.
    if cfg.target.db_cluster_identifier:
        target = {"DBClusterIdentifiers": [cfg.target.db_cluster_identifier]}
    else:
        target = {"DBInstanceIdentifiers": [cfg.target.db_instance_identifier]}
    return DBProxyTargetGroup(
        names.TARGET_GROUP,
        TargetGroupName=facts.PROXY_TARGET_GROUP_NAME,
        DBProxyName=Ref(names.PROXY),
        ConnectionPoolConfigurationInfo=connection_pool(cfg),
        **waits_for_users(cfg),
        **target,
    )
