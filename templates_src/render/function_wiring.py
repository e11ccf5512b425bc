"""What DEPLOY.md's function snippets (AWS SAM, AWS CDK, Terraform) name: the env's exports, the
proxy's subnets, the client security group, the user, and the pool limits that keep a client
under RDS Proxy's own (facts/drivers.py).

Every name a snippet uses is one the env's template exports or its params give: the snippets are
checked against the template (tests/test_function_snippets.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..builders import ssm
from ..builders.outputs import client_policy_output_name
from ..config.schema.model import EnvConfig
from ..facts.drivers import (CLIENT_CONNECTION_MAX_SECONDS, DEFAULT_DATABASE, IDLE_MARGIN_DIVISOR,
                             LIFETIME_MARGIN_SECONDS, POOL_SETTINGS)
from ..facts.sql import UserRole

# The headings of DEPLOY.md's snippets, each followed by its one fenced block: the tests find
# the snippets by them.
SAM_HEADING = "AWS SAM"
CDK_HEADING = "AWS CDK (Python)"
TERRAFORM_HEADING = "Terraform"


@dataclass(frozen=True)
class PoolLimits:
    """Seconds: a pooled connection's maximum lifetime and idle time, each under the proxy's."""

    lifetime: int
    idle: int

    @property
    def recycle(self) -> int:
        """One age limit for a pool that has no idle limit (SQLAlchemy's pool_recycle)."""
        return min(self.lifetime, self.idle)


def pool_limits(cfg: EnvConfig) -> PoolLimits:
    """The pool's limits for this env: an hour under 24 hours, a tenth under the idle timeout."""
    timeout = cfg.proxy.idle_client_timeout
    return PoolLimits(lifetime=CLIENT_CONNECTION_MAX_SECONDS - LIFETIME_MARGIN_SECONDS,
                      idle=max(1, timeout - max(1, timeout // IDLE_MARGIN_DIVISOR)))


@dataclass(frozen=True)
class Wiring:
    """One function's wiring: it logs in as ``user`` through the endpoint its role should use."""

    user: str
    endpoint_export: str
    port_export: str
    policy_export: str
    subnet_ids: tuple[str, ...]
    security_group: str
    database: str
    pool: PoolLimits
    python_pool: str
    node_pool: str

    @property
    def environment(self) -> dict[str, str]:
        """The function's variables that are plain values (DB_HOST and DB_PORT are imported)."""
        return {"DB_USER": self.user, "DB_NAME": self.database,
                "DB_POOL_MAX_LIFETIME_SECONDS": str(self.pool.lifetime),
                "DB_POOL_IDLE_TIMEOUT_SECONDS": str(self.pool.idle)}


def wiring(cfg: EnvConfig) -> Wiring | None:
    """None when a function cannot be wired from the template alone: no user signs in with IAM
    (no client policy), or no client security group is named (the proxy lets in CIDR ranges or
    only the rules of groups the stack does not make)."""
    users = cfg.policy_users
    if not users or not cfg.network.create_security_group or not cfg.network.client_security_group_ids:
        return None
    user = users[0]
    reader = cfg.target.read_only_endpoint and user.role is UserRole.READONLY
    pool = pool_limits(cfg)
    values = {"lifetime": pool.lifetime, "idle": pool.idle, "idle_ms": pool.idle * 1000, "recycle": pool.recycle}
    settings = POOL_SETTINGS[cfg.engine_family]
    return Wiring(
        user=user.username,
        endpoint_export=f"{cfg.stack_name}-{'ProxyReadOnlyEndpoint' if reader else 'ProxyEndpoint'}",
        port_export=f"{cfg.stack_name}-ProxyPort",
        policy_export=f"{cfg.stack_name}-{client_policy_output_name(user.username)}",
        subnet_ids=cfg.network.subnet_ids,
        security_group=cfg.network.client_security_group_ids[0],
        database=cfg.target.database_name or DEFAULT_DATABASE[cfg.engine_family],
        pool=pool,
        python_pool=settings["python"].format(**values),
        node_pool=settings["node"].format(**values),
    )


def guide_context(cfg: EnvConfig) -> dict[str, object]:
    """What DEPLOY.md's function snippets (function.md.j2) are rendered with."""
    return {"wiring": wiring(cfg), "ssm_parameters": ssm.parameter_names(cfg), "sam_heading": SAM_HEADING, "cdk_heading": CDK_HEADING,
            "terraform_heading": TERRAFORM_HEADING}
