"""The extra endpoints (``endpoints:``): per endpoint an AWS::RDS::DBProxyEndpoint in its own
subnets and VPC, a security group there that lets its clients in, and one ingress rule per client.

An endpoint's network interfaces only answer connections that clients open (the proxy reaches the
database through its own interfaces, in the proxy's VPC), so the endpoint's group needs no
outbound path. A group created without egress rules allows all outbound traffic
(AWS::EC2::SecurityGroup, SecurityGroupEgress), so it carries the one rule that matches nothing
(ICMP type 252-86 to 255.255.255.255/32), as AWS CDK writes for ``allowAllOutbound: false``.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.rds import DBProxyEndpoint

from ..config.model import EndpointParams, EnvConfig
from . import names
from .common import listed, tags
from .network import client_ingress
from .proxy import network_types

NO_OUTBOUND = SecurityGroupRule(IpProtocol="icmp", FromPort=252, ToPort=86, CidrIp="255.255.255.255/32",
                                Description="No outbound traffic: the endpoint only answers its clients")

EndpointResource = DBProxyEndpoint | SecurityGroup | SecurityGroupIngress


def build_endpoints(cfg: EnvConfig) -> list[EndpointResource]:
    resources: list[EndpointResource] = []
    for endpoint in cfg.endpoints:
        resources += [_group(cfg, endpoint), *_ingress(cfg, endpoint), _endpoint(cfg, endpoint)]
    return resources


def _group(cfg: EnvConfig, endpoint: EndpointParams) -> SecurityGroup:
    return SecurityGroup(
        names.endpoint_security_group(endpoint.name),
        GroupDescription=f"RDS Proxy {cfg.proxy.name} endpoint {endpoint.name} ({cfg.environment})",
        VpcId=endpoint.vpc_id,
        SecurityGroupEgress=[NO_OUTBOUND],
        Tags=tags(cfg, Name=f"{endpoint.name}-endpoint"),
    )


def _ingress(cfg: EnvConfig, endpoint: EndpointParams) -> list[SecurityGroupIngress]:
    name = endpoint.name
    return client_ingress(cfg, names.endpoint_security_group(name), f"endpoint {name}",
                          endpoint.client_security_group_ids,
                          lambda group: names.endpoint_ingress_from_security_group(name, group),
                          endpoint.allowed_cidrs, lambda cidr: names.endpoint_ingress_from_cidr(name, cidr))


def _endpoint(cfg: EnvConfig, endpoint: EndpointParams) -> DBProxyEndpoint:
    assert endpoint.endpoint_network_type is not None  # config.endpoint_rules.resolve fills it in
    return DBProxyEndpoint(
        names.endpoint(endpoint.name),
        DBProxyEndpointName=endpoint.name,
        DBProxyName=Ref(names.PROXY),
        TargetRole=endpoint.target_role.value,
        VpcSubnetIds=listed(endpoint.subnet_ids),
        VpcSecurityGroupIds=[GetAtt(names.endpoint_security_group(endpoint.name), "GroupId")],
        **network_types(endpoint.endpoint_network_type),
        Tags=tags(cfg),
        # An endpoint serves only once the target group has registered the database.
        DependsOn=[names.TARGET_GROUP],
    )
