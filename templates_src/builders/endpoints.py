"""Every endpoint the stack makes besides the proxy's default one (``EnvConfig.stack_endpoints``):
an AWS::RDS::DBProxyEndpoint each. An ``endpoints:`` entry has its own subnets and VPC, a security
group there that lets its clients in, and one ingress rule per client; the read-only endpoint
(``target.read_only_endpoint``) shares the proxy's subnets and security groups.

An endpoint's network interfaces only answer connections that clients open (the proxy reaches the
database through its own interfaces, in the proxy's VPC), and a security group lets the replies
to a connection it let in go out whatever its egress rules say (security groups are stateful:
Amazon VPC User Guide, "Security group rules"). So the endpoint's group needs no outbound path.
A group created without egress rules allows all outbound traffic; naming one removes that default
(AWS::EC2::SecurityGroup, SecurityGroupEgress). The one rule named is scoped as the proxy's own
group's is (TCP, one port: the proxy's, one destination), and its destination is the loopback
address, where no packet from an interface goes: the destination the CloudFormation User Guide's
example "Remove the default rule" names (AWS::EC2::SecurityGroup).
"""

from __future__ import annotations

from troposphere import GetAtt, Ref
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.rds import DBProxyEndpoint

from ..facts import aws as facts
from ..config.schema.model import EnvConfig
from ..config.schema.network import StackEndpoint
from . import names
from .common import listed, tags
from .security_groups import client_ingress, proxy_port, proxy_security_groups
from .proxy import network_types

EndpointResource = DBProxyEndpoint | SecurityGroup | SecurityGroupIngress


def build_endpoints(cfg: EnvConfig) -> list[EndpointResource]:
    return [resource for endpoint in cfg.stack_endpoints for resource in build_endpoint(cfg, endpoint)]


def build_endpoint(cfg: EnvConfig, endpoint: StackEndpoint) -> list[EndpointResource]:
    """One endpoint: its security group and ingress rules unless it shares the proxy's, then itself."""
    if endpoint.shares_proxy_network:
        return [_endpoint(cfg, endpoint, proxy_security_groups(cfg))]
    own_group: list[GetAtt | str] = [GetAtt(names.endpoint_security_group(endpoint.name), "GroupId")]
    return [_group(cfg, endpoint), *_ingress(cfg, endpoint), _endpoint(cfg, endpoint, own_group)]


def _group(cfg: EnvConfig, endpoint: StackEndpoint) -> SecurityGroup:
    return SecurityGroup(
        names.endpoint_security_group(endpoint.name),
        GroupDescription=f"RDS Proxy {cfg.proxy.name} endpoint {endpoint.name} ({cfg.environment})",
        VpcId=endpoint.vpc_id,
        SecurityGroupEgress=[no_outbound(cfg)],
        Tags=tags(cfg, Name=f"{endpoint.name}-endpoint"),
    )


def no_outbound(cfg: EnvConfig) -> SecurityGroupRule:
    """The endpoint group's only egress rule, which lets nothing out (the module says why)."""
    port = proxy_port(cfg)
    return SecurityGroupRule(IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp=facts.LOOPBACK_IPV4,
                             Description="No outbound path (loopback only): the endpoint only answers its clients")


def _ingress(cfg: EnvConfig, endpoint: StackEndpoint) -> list[SecurityGroupIngress]:
    name = endpoint.name
    return client_ingress(cfg, names.endpoint_security_group(name), f"endpoint {name}",
                          endpoint.client_security_group_ids,
                          lambda group: names.endpoint_ingress_from_security_group(name, group),
                          endpoint.allowed_cidrs, lambda cidr: names.endpoint_ingress_from_cidr(name, cidr))


def _endpoint(cfg: EnvConfig, endpoint: StackEndpoint, groups: list[GetAtt | str]) -> DBProxyEndpoint:
    assert endpoint.endpoint_network_type is not None  # config.derive.resolve fills it in
    return DBProxyEndpoint(
        names.stack_endpoint(endpoint),
        DBProxyEndpointName=endpoint.name,
        DBProxyName=Ref(names.PROXY),
        TargetRole=endpoint.target_role.value,
        VpcSubnetIds=listed(endpoint.subnet_ids),
        VpcSecurityGroupIds=groups,
        **network_types(endpoint.endpoint_network_type),
        Tags=tags(cfg),
        # An endpoint serves only once the target group has registered the database.
        DependsOn=[names.TARGET_GROUP],
    )
