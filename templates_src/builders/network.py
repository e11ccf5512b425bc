"""The proxy's security group and every rule around it, each rule a separate described resource.

Separate rule resources (rather than inline rules) keep the proxy's group and the database's
group from referring to each other inside one resource, which is what causes dependency cycles.
"""

from __future__ import annotations

import ipaddress

from troposphere import GetAtt, Ref
from troposphere.ec2 import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress, SecurityGroupRule

from ..aws_facts import ENGINES
from ..config.model import EnvConfig
from . import names, parameters
from .common import tags

# A security group created without egress rules allows all outbound traffic. One inline rule
# that matches nothing (ICMP type 252 to the broadcast address, as AWS CDK does) removes that
# default, so the only outbound path is the explicit rule to the database below.
_NO_OTHER_EGRESS = SecurityGroupRule(
    CidrIp="255.255.255.255/32", IpProtocol="icmp", FromPort=252, ToPort=86,
    Description="Disallow all other outbound traffic",
)


def proxy_port(cfg: EnvConfig) -> int:
    """The proxy listens on the engine's default port, whatever the database's port is."""
    return ENGINES[cfg.engine_family].port


def build_network(cfg: EnvConfig) -> list[SecurityGroup | SecurityGroupIngress | SecurityGroupEgress]:
    group = SecurityGroup(
        names.SECURITY_GROUP,
        GroupDescription=f"RDS Proxy {cfg.proxy.name} ({cfg.env})",
        VpcId=Ref(parameters.VPC_ID),
        SecurityGroupEgress=[_NO_OTHER_EGRESS],
        Tags=tags(cfg, Name=f"{cfg.proxy.name}-proxy"),
    )
    return [group, *_client_ingress(cfg), *_database_rules(cfg)]


def _client_ingress(cfg: EnvConfig) -> list[SecurityGroupIngress]:
    port = proxy_port(cfg)
    rules = [
        SecurityGroupIngress(
            names.ingress_from_security_group(group_id),
            GroupId=GetAtt(names.SECURITY_GROUP, "GroupId"),
            IpProtocol="tcp", FromPort=port, ToPort=port,
            SourceSecurityGroupId=group_id,
            Description=f"Clients in {group_id} to the proxy",
        )
        for group_id in cfg.network.client_security_group_ids
    ]
    for cidr in cfg.network.allowed_cidrs:
        family = "CidrIpv6" if ipaddress.ip_network(cidr).version == 6 else "CidrIp"
        rules.append(SecurityGroupIngress(
            names.ingress_from_cidr(cidr),
            GroupId=GetAtt(names.SECURITY_GROUP, "GroupId"),
            IpProtocol="tcp", FromPort=port, ToPort=port,
            Description=f"Clients in {cidr} to the proxy",
            **{family: cidr},
        ))
    return rules


def _database_rules(cfg: EnvConfig) -> list[SecurityGroupIngress | SecurityGroupEgress]:
    """Egress from the proxy to the database port; ingress on the database's group when given."""
    port = Ref(parameters.DATABASE_PORT)
    database_group = cfg.network.database_security_group_id
    # Without the database's group the destination is unknown here, so egress is limited by port
    # only; naming database_security_group_id narrows it to the database itself.
    destination = {"DestinationSecurityGroupId": database_group} if database_group else {"CidrIp": "0.0.0.0/0"}
    rules: list[SecurityGroupIngress | SecurityGroupEgress] = [SecurityGroupEgress(
        names.EGRESS_TO_DATABASE,
        GroupId=GetAtt(names.SECURITY_GROUP, "GroupId"),
        IpProtocol="tcp", FromPort=port, ToPort=port,
        Description="Proxy to the database port",
        **destination,
    )]
    if database_group:
        rules.append(SecurityGroupIngress(
            names.DATABASE_INGRESS,
            GroupId=database_group,
            IpProtocol="tcp", FromPort=port, ToPort=port,
            SourceSecurityGroupId=GetAtt(names.SECURITY_GROUP, "GroupId"),
            Description=f"RDS Proxy {cfg.proxy.name} to the database",
        ))
    return rules
