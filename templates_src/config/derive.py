"""The defaults that depend on other keys (the ``derived`` notes in the schema), filled in once.

``resolve`` runs after every rule passed (``rules/``); what it returns is the config the builders,
the guides and the products read, so none of them works out a default again. Facts that are
asked of a config but never set by anyone (end-to-end IAM, the users who log in with IAM, ...)
are properties of ``EnvConfig`` itself.
"""

from __future__ import annotations

import dataclasses

from ..facts import aws as facts
from ..facts.aws import ENGINES
from ..facts.provisioner import AwsApiRoute
from ..facts.sql import DEFAULT_SCHEMA
from .schema.model import EndpointParams, EnvConfig, MonitoringParams, PoolParams
from .schema.provisioner import ProvisionerParams

# A request that waits a tenth of the borrow timeout for a connection is well on its way to
# failing with a timeout: that is when someone should look. Below 100 ms is noise.
BORROW_LATENCY_SHARE = 10
MIN_DERIVED_BORROW_LATENCY_MS = 100


def resolve(cfg: EnvConfig) -> EnvConfig:
    """Fill in every default that depends on other keys (see the ``derived`` notes in model)."""
    engine = ENGINES[cfg.engine_family]
    users = tuple(
        dataclasses.replace(
            user,
            iam_auth=user.iam_auth or cfg.proxy.iam_auth,
            client_password_auth_type=user.client_password_auth_type or engine.default_auth_type,
        )
        for user in cfg.users
    )
    pool = cfg.pool
    if pool.max_idle_connections_percent is None:
        pool = dataclasses.replace(pool, max_idle_connections_percent=pool.max_connections_percent // 2)
    secrets = cfg.secrets
    if secrets.exclude_characters is None:
        secrets = dataclasses.replace(secrets, exclude_characters=engine.excluded_password_characters)
    target = cfg.target
    if target.port is None:
        target = dataclasses.replace(target, port=engine.port)
    if target.engine is None:
        target = dataclasses.replace(target, engine=engine.engines[0])
    if target.schema_name is None:
        target = dataclasses.replace(target, schema_name=DEFAULT_SCHEMA[cfg.engine_family])
    stack_name = cfg.stack_name or f"rds-proxy-{cfg.env}"
    stack_set = cfg.stack_set
    if stack_set is not None and stack_set.name is None:
        stack_set = dataclasses.replace(stack_set, name=stack_name)
    monitoring = _monitoring(cfg.monitoring, pool)
    return dataclasses.replace(
        cfg,
        stack_set=stack_set,
        users=users,
        pool=pool,
        secrets=secrets,
        target=target,
        monitoring=monitoring,
        endpoints=_endpoints(cfg),
        provisioner=_provisioner(cfg),
        stack_name=stack_name,
        environment=cfg.environment or cfg.env,
        tags={facts.ENVIRONMENT_TAG: cfg.environment or cfg.env, **(cfg.tags or {})},
    )


def _monitoring(monitoring: MonitoringParams, pool: PoolParams) -> MonitoringParams:
    if monitoring.borrow_latency_ms is not None:
        return monitoring
    derived = max(MIN_DERIVED_BORROW_LATENCY_MS, pool.connection_borrow_timeout * 1000 // BORROW_LATENCY_SHARE)
    return dataclasses.replace(monitoring, borrow_latency_ms=derived)


def _endpoints(cfg: EnvConfig) -> tuple[EndpointParams, ...]:
    """Each endpoint with its VPC and network type filled in from ``network``."""
    return tuple(dataclasses.replace(e, vpc_id=e.vpc_id or cfg.network.vpc_id,
                                     endpoint_network_type=e.endpoint_network_type or cfg.network.endpoint_network_type)
                 for e in cfg.endpoints)


def _provisioner(cfg: EnvConfig) -> ProvisionerParams | None:
    """The endpoints' group defaults to the Secrets Manager endpoint's group the network names."""
    provisioner = cfg.provisioner
    if (provisioner is None or provisioner.aws_apis_via is not AwsApiRoute.VPC_ENDPOINTS
            or provisioner.endpoint_security_group_id):
        return provisioner
    return dataclasses.replace(provisioner,
                               endpoint_security_group_id=cfg.network.secrets_manager_endpoint_security_group_id)
