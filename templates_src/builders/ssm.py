"""SSM parameters (``ssm_parameter_path``): what a function needs to connect, where a deploy tool
reads it by name without importing the stack's exports (an SSM parameter can be read across
stacks, accounts' pipelines and tools that have no CloudFormation import).

Plain String parameters: none holds a secret (an endpoint, a port, security group ids, a policy
ARN), and CloudFormation cannot create a SecureString ("AWS::SSM::Parameter", CloudFormation User
Guide: Type String or StringList only).
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref
from troposphere.ssm import Parameter

from ..config.schema.model import EnvConfig
from . import names
from .common import tags
from .security_groups import proxy_port


def parameter_names(cfg: EnvConfig) -> dict[str, str]:
    """{full parameter name: description} of every parameter the stack makes (none without the path)."""
    if not cfg.ssm_parameter_path:
        return {}
    return {f"{cfg.ssm_parameter_path}/{what}": description for what, description, _ in _values(cfg)}


def _values(cfg: EnvConfig) -> list[tuple[str, str, Any]]:
    """(name below the path, description, value) of each parameter."""
    values: list[tuple[str, str, Any]] = [
        ("endpoint", "Read/write endpoint of the proxy", GetAtt(names.PROXY, "Endpoint")),
        ("port", "Port the proxy listens on", str(proxy_port(cfg))),
    ]
    if cfg.target.read_only_endpoint:
        values.insert(1, ("read-only-endpoint", "Read-only endpoint of the proxy (Aurora readers)",
                          GetAtt(names.READ_ONLY_ENDPOINT, "Endpoint")))
    if cfg.network.create_security_group and cfg.network.client_security_group_ids:
        values.append(("client-security-groups", "Security groups whose members may connect to the proxy",
                       ",".join(cfg.network.client_security_group_ids)))
    values += [(f"users/{user.username}/client-policy-arn",
                f"Managed policy a caller attaches to connect as {user.username}",
                Ref(names.client_policy(user.username))) for user in cfg.policy_users]
    return values


def build_parameters(cfg: EnvConfig) -> list[Parameter]:
    """No parameter unless ``ssm_parameter_path`` is given."""
    if not cfg.ssm_parameter_path:
        return []
    return [
        Parameter(
            names.ssm_parameter(what), Name=f"{cfg.ssm_parameter_path}/{what}", Description=description,
            Type="StringList" if what == "client-security-groups" else "String", Value=value,
            Tags={tag["Key"]: tag["Value"] for tag in tags(cfg).to_dict()},  # a map here, not a list
        )
        for what, description, value in _values(cfg)
    ]
