"""Outputs, each exported as <stack>-<OutputName> for other stacks to import."""

from __future__ import annotations

from typing import Any

from troposphere import Export, GetAtt, Output, Ref

from ..config.schema.model import EnvConfig
from ..config.schema.network import StackEndpoint
from .names import resource_name
from . import names
from .common import export_name
from .iam import proxy_resource_id
from .kms import key_arn
from .security_groups import proxy_port
from .secrets import secret_arn


def secret_output_name(username: str) -> str:
    return f"{resource_name(username)}SecretArn"


def client_policy_output_name(username: str) -> str:
    return f"{resource_name(username)}ClientPolicyArn"


def endpoint_output_name(name: str) -> str:
    """The output (and export suffix) of an extra endpoint's address: EndpointOrdersAppsAddress."""
    return names.endpoint(name) + "Address"


def _endpoint_outputs(endpoint: StackEndpoint) -> list[Output]:
    """An endpoint's address and, when it has one of its own, its security group. The read-only
    endpoint keeps the output (and export) its stacks were deployed with: ProxyReadOnlyEndpoint."""
    address = GetAtt(names.stack_endpoint(endpoint), "Endpoint")
    if endpoint.shares_proxy_network:
        return [_output("ProxyReadOnlyEndpoint", "Read-only endpoint (Aurora readers)", address)]
    return [
        _output(endpoint_output_name(endpoint.name), f"Endpoint {endpoint.name} ({endpoint.target_role.value}, "
                f"in {endpoint.vpc_id}) clients there connect to", address),
        _output(names.endpoint_security_group(endpoint.name) + "Id",
                f"Security group of endpoint {endpoint.name}: its clients' egress may name it",
                GetAtt(names.endpoint_security_group(endpoint.name), "GroupId")),
    ]


def _output(name: str, description: str, value: Any) -> Output:
    return Output(name, Description=description, Value=value, Export=Export(export_name(name)))


def build_outputs(cfg: EnvConfig) -> list[Output]:
    outputs = [
        _output("ProxyEndpoint", "Read/write endpoint clients connect to (also the host for IAM tokens)",
                GetAtt(names.PROXY, "Endpoint")),
        _output("ProxyPort", "Port the proxy listens on", str(proxy_port(cfg))),
        _output("ProxyName", "Name of the proxy", Ref(names.PROXY)),
        _output("ProxyArn", "ARN of the proxy", GetAtt(names.PROXY, "DBProxyArn")),
        _output("ProxyResourceId", "The proxy's prx-... id, used in rds-db:connect ARNs", proxy_resource_id()),
        # Only for the group the stack builds: given groups have their ids already.
        *([_output("ProxySecurityGroupId", "Security group of the proxy", GetAtt(names.SECURITY_GROUP, "GroupId"))]
          if cfg.network.create_security_group else []),
        _output("SecretsKeyArn", "KMS key that encrypts the "
                + ("logs" if cfg.end_to_end_iam else "secrets and logs"), key_arn(cfg)),
    ]
    for endpoint in cfg.stack_endpoints:
        outputs += _endpoint_outputs(endpoint)
    outputs += [
        _output(client_policy_output_name(user.username),
                f"Managed policy a caller attaches to connect as {user.username} (and as no other user)",
                Ref(names.client_policy(user.username)))
        for user in cfg.policy_users
    ]
    if not cfg.end_to_end_iam:
        outputs += [
            _output(secret_output_name(user.username), f"Secret holding the credentials of {user.username}",
                    secret_arn(user))
            for user in cfg.users
        ]
    return outputs
