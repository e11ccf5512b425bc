"""Every security group and rule: the proxy's, and the rotation function's when rotation is on.

Each rule is a separate described resource.
Separate rule resources (rather than inline rules) keep the proxy's group and the database's
group from referring to each other inside one resource, which is what causes dependency cycles.
"""

from __future__ import annotations

import ipaddress

from troposphere import GetAtt
from troposphere.ec2 import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress, SecurityGroupRule

from ..aws_facts import ENGINES, HTTPS_PORT
from ..config.model import EnvConfig
from . import names
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


NetworkResource = SecurityGroup | SecurityGroupIngress | SecurityGroupEgress


def _locked_down_group(cfg: EnvConfig, title: str, description: str, name: str) -> SecurityGroup:
    return SecurityGroup(
        title,
        GroupDescription=description,
        VpcId=cfg.network.vpc_id,
        SecurityGroupEgress=[_NO_OTHER_EGRESS],
        Tags=tags(cfg, Name=name),
    )


def build_network(cfg: EnvConfig) -> list[NetworkResource]:
    group = _locked_down_group(cfg, names.SECURITY_GROUP, f"RDS Proxy {cfg.proxy.name} ({cfg.env})",
                               f"{cfg.proxy.name}-proxy")
    database_rules = _database_rules(cfg, names.SECURITY_GROUP, names.EGRESS_TO_DATABASE, names.DATABASE_INGRESS,
                                     "Proxy", f"RDS Proxy {cfg.proxy.name}")
    return [group, *_client_ingress(cfg), *database_rules]


def build_rotation_network(cfg: EnvConfig) -> list[NetworkResource]:
    """The rotation functions' group: to the database, and HTTPS to the Secrets Manager API."""
    if cfg.secrets.rotation_days is None:
        return []
    group = _locked_down_group(cfg, names.ROTATION_SECURITY_GROUP,
                               f"Secret rotation for RDS Proxy {cfg.proxy.name} ({cfg.env})",
                               f"{cfg.proxy.name}-rotation")
    # The functions call Secrets Manager's API; the destination is its VPC endpoint or a NAT,
    # neither known here, so the rule is limited by port.
    https = SecurityGroupEgress(
        names.ROTATION_EGRESS_TO_API,
        GroupId=GetAtt(names.ROTATION_SECURITY_GROUP, "GroupId"),
        IpProtocol="tcp", FromPort=HTTPS_PORT, ToPort=HTTPS_PORT, CidrIp="0.0.0.0/0",
        Description="Rotation functions to the Secrets Manager API (VPC endpoint or NAT)",
    )
    database_rules = _database_rules(cfg, names.ROTATION_SECURITY_GROUP, names.ROTATION_EGRESS_TO_DATABASE,
                                     names.DATABASE_INGRESS_FROM_ROTATION, "Rotation functions",
                                     f"Secret rotation of RDS Proxy {cfg.proxy.name}")
    return [group, https, *database_rules]


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


def _database_rules(cfg: EnvConfig, group: str, egress_title: str, ingress_title: str, who: str,
                    who_long: str) -> list[SecurityGroupIngress | SecurityGroupEgress]:
    """Egress from ``group`` to the database port; ingress on the database's group when given."""
    port = cfg.target.port
    database_group, database_cidr = cfg.network.database_security_group_id, cfg.network.database_cidr
    # The database's group is the narrowest destination, then the range its addresses are in.
    # With neither the destination is unknown here, so egress is limited by port only.
    if database_group:
        destination = {"DestinationSecurityGroupId": database_group}
    elif database_cidr:
        family = "CidrIpv6" if ipaddress.ip_network(database_cidr).version == 6 else "CidrIp"
        destination = {family: database_cidr}
    else:
        destination = {"CidrIp": "0.0.0.0/0"}
    rules: list[SecurityGroupIngress | SecurityGroupEgress] = [SecurityGroupEgress(
        egress_title,
        GroupId=GetAtt(group, "GroupId"),
        IpProtocol="tcp", FromPort=port, ToPort=port,
        Description=f"{who} to the database port",
        **destination,
    )]
    if database_group:
        rules.append(SecurityGroupIngress(
            ingress_title,
            GroupId=database_group,
            IpProtocol="tcp", FromPort=port, ToPort=port,
            SourceSecurityGroupId=GetAtt(group, "GroupId"),
            Description=f"{who_long} to the database",
        ))
    return rules
