"""The extra endpoints (``endpoints:``): per endpoint an AWS::RDS::DBProxyEndpoint in its own
subnets and VPC, a security group there that lets its clients in, and one ingress rule per client.

An endpoint's network interfaces only answer connections that clients open (the proxy reaches the
database through its own interfaces, in the proxy's VPC), so the endpoint's group needs no
outbound path. A group created without egress rules allows all outbound traffic
(AWS::EC2::SecurityGroup, SecurityGroupEgress), so it carries the one rule that matches nothing
(ICMP type 252-86 to 255.255.255.255/32), as AWS CDK writes for ``allowAllOutbound: false``.
"""

from __future__ import annotations

import ipaddress

from troposphere import GetAtt, Ref
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.rds import DBProxyEndpoint

from ..config.model import EndpointParams, EnvConfig
from . import names
from .common import listed, tags
from .network import proxy_port

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
    port = proxy_port(cfg)
    group = GetAtt(names.endpoint_security_group(endpoint.name), "GroupId")
    rules = [SecurityGroupIngress(
        names.endpoint_ingress_from_security_group(endpoint.name, group_id),
        GroupId=group, IpProtocol="tcp", FromPort=port, ToPort=port, SourceSecurityGroupId=group_id,
        Description=f"Clients in {group_id} to endpoint {endpoint.name}",
    ) for group_id in endpoint.client_security_group_ids]
    for cidr in endpoint.allowed_cidrs:
        family = "CidrIpv6" if ipaddress.ip_network(cidr).version == 6 else "CidrIp"
        rules.append(SecurityGroupIngress(
            names.endpoint_ingress_from_cidr(endpoint.name, cidr),
            GroupId=group, IpProtocol="tcp", FromPort=port, ToPort=port,
            Description=f"Clients in {cidr} to endpoint {endpoint.name}", **{family: cidr},
        ))
    return rules


def _endpoint(cfg: EnvConfig, endpoint: EndpointParams) -> DBProxyEndpoint:
    assert endpoint.endpoint_network_type is not None  # config.endpoint_rules.resolve fills it in
    # Written only when not AWS's default, as on the proxy (builders.proxy.network_types).
    network_type = {} if endpoint.endpoint_network_type.value == "IPV4" else \
        {"EndpointNetworkType": endpoint.endpoint_network_type.value}
    return DBProxyEndpoint(
        names.endpoint(endpoint.name),
        DBProxyEndpointName=endpoint.name,
        DBProxyName=Ref(names.PROXY),
        TargetRole=endpoint.target_role.value,
        VpcSubnetIds=listed(endpoint.subnet_ids),
        VpcSecurityGroupIds=[GetAtt(names.endpoint_security_group(endpoint.name), "GroupId")],
        **network_type,
        Tags=tags(cfg),
        # An endpoint serves only once the target group has registered the database.
        DependsOn=[names.TARGET_GROUP],
    )
