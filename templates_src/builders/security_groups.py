"""Every security group and rule the stack makes: the proxy's, the rotation functions' when rotation is on, and the
database-users provisioner's.

Each rule is a separate described resource.
Separate rule resources (rather than inline rules) keep the proxy's group and the database's
group from referring to each other inside one resource, which is what causes dependency cycles.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from troposphere import GetAtt
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule

from ..facts.aws import ENGINES, HTTPS_PORT, TargetConnectionNetworkType
from ..config.schema.model import EnvConfig
from ..facts.provisioner import AwsApiRoute
from . import names
from .common import tags, waiver_metadata
from .suppressions import cidr_clients

# A security group created without egress rules allows all outbound traffic; naming egress rules
# in the group itself removes that default (AWS::EC2::SecurityGroup, SecurityGroupEgress), so
# the rules below are the only outbound paths. They sit inline: their destination (the database's
# group or range, an HTTPS range) is never a group of this template, so no dependency cycle can
# arise (the ingress rule on the database's group stays a separate resource for that reason).
def proxy_port(cfg: EnvConfig) -> int:
    """The proxy listens on the engine's default port, whatever the database's port is."""
    return ENGINES[cfg.engine_family].port


SecurityGroupResource = SecurityGroup | SecurityGroupIngress


def _locked_down_group(cfg: EnvConfig, title: str, description: str, name: str,
                       egress: list[SecurityGroupRule], to_any_address: bool) -> SecurityGroup:
    """A group with exactly these egress rules; one reaching any address records the
    world_egress waiver that allowed it (validation refuses such a group without one)."""
    return SecurityGroup(
        title,
        GroupDescription=description,
        VpcId=cfg.network.vpc_id,
        SecurityGroupEgress=egress,
        Tags=tags(cfg, Name=name),
        **(waiver_metadata(cfg, "world_egress") if to_any_address else {}),
    )


def proxy_security_groups(cfg: EnvConfig) -> list[GetAtt | str]:
    """VpcSecurityGroupIds of the proxy and its read-only endpoint: the built group first (unless
    network.create_security_group is false), then network.proxy_security_group_ids in params order.
    The provider schemas mark the list updatable (not createOnlyProperties; ModifyDBProxy and
    ModifyDBProxyEndpoint take VpcSecurityGroupIds), so changing it modifies the proxy in place."""
    built = [GetAtt(names.SECURITY_GROUP, "GroupId")] if cfg.network.create_security_group else []
    return [*built, *cfg.network.proxy_security_group_ids]


def build_proxy_groups(cfg: EnvConfig) -> list[SecurityGroupResource]:
    if not cfg.network.create_security_group:
        # The proxy has only the given groups, whose own rules decide who may connect and where it
        # may go; the database's group gets no rule from this stack (DEPLOY.md says so).
        return []
    # With TargetConnectionNetworkType IPV6 the proxy reaches the database over IPv6 only. The
    # rotation functions (Lambda, IPv4 unless told otherwise) keep the IPv4 rule: a database in
    # dual-stack mode has both addresses.
    over_ipv6 = cfg.network.target_connection_network_type is TargetConnectionNetworkType.IPV6
    group = _locked_down_group(cfg, names.SECURITY_GROUP, f"RDS Proxy {cfg.proxy.name} ({cfg.environment})",
                               f"{cfg.proxy.name}-proxy", [_database_egress(cfg, "Proxy", over_ipv6)],
                               to_any_address=not cfg.database_destination_known)
    return [group, *_client_ingress(cfg),
            *_database_ingress(cfg, names.SECURITY_GROUP, names.DATABASE_INGRESS, f"RDS Proxy {cfg.proxy.name}")]


def build_rotation_groups(cfg: EnvConfig) -> list[SecurityGroupResource]:
    """The rotation functions' group: to the database, and HTTPS to the Secrets Manager API."""
    if cfg.secrets.rotation_days is None:
        return []
    # The functions call Secrets Manager's API: at its interface VPC endpoint when its group is
    # given (and a rule on that group lets them in), else at whatever the subnets route to (the
    # endpoint or a NAT gateway), so the rule is limited by port only (waivers.world_egress).
    endpoint = cfg.network.secrets_manager_endpoint_security_group_id
    https = SecurityGroupRule(
        IpProtocol="tcp", FromPort=HTTPS_PORT, ToPort=HTTPS_PORT,
        Description="Rotation functions to the Secrets Manager API " + ("(its VPC endpoint)" if endpoint else
                                                                       "(VPC endpoint or NAT)"),
        **({"DestinationSecurityGroupId": endpoint} if endpoint else {"CidrIp": "0.0.0.0/0"}),
    )
    group = _locked_down_group(cfg, names.ROTATION_SECURITY_GROUP,
                               f"Secret rotation for RDS Proxy {cfg.proxy.name} ({cfg.environment})",
                               f"{cfg.proxy.name}-rotation", [_database_egress(cfg, "Rotation functions"), https],
                               to_any_address=not (endpoint and cfg.database_destination_known))
    endpoint_ingress = [SecurityGroupIngress(
        names.ENDPOINT_INGRESS_FROM_ROTATION,
        GroupId=endpoint, IpProtocol="tcp", FromPort=HTTPS_PORT, ToPort=HTTPS_PORT,
        SourceSecurityGroupId=GetAtt(names.ROTATION_SECURITY_GROUP, "GroupId"),
        Description=f"Secret rotation of RDS Proxy {cfg.proxy.name} to the Secrets Manager endpoint",
    )] if endpoint else []
    return [group, *_database_ingress(cfg, names.ROTATION_SECURITY_GROUP, names.DATABASE_INGRESS_FROM_ROTATION,
                                      f"Secret rotation of RDS Proxy {cfg.proxy.name}"), *endpoint_ingress]


def build_provisioner_groups(cfg: EnvConfig) -> list[SecurityGroupResource]:
    """The provisioner function's group: to the database, and HTTPS to Secrets Manager, the RDS API
    and S3 (the custom resource's response URL): the VPC's endpoints, or any address through a NAT
    gateway (waivers.world_egress)."""
    provisioner = cfg.provisioner
    if provisioner is None:
        return []
    who = f"The database-users provisioner of RDS Proxy {cfg.proxy.name}"
    https = dict(IpProtocol="tcp", FromPort=HTTPS_PORT, ToPort=HTTPS_PORT)
    if provisioner.aws_apis_via is AwsApiRoute.NAT:
        apis = [SecurityGroupRule(**https, CidrIp="0.0.0.0/0",
                                  Description="Provisioner to Secrets Manager, the RDS API and S3 (through a NAT)")]
    else:
        apis = [SecurityGroupRule(**https, DestinationSecurityGroupId=provisioner.endpoint_security_group_id,
                                  Description="Provisioner to the Secrets Manager and RDS VPC endpoints"),
                SecurityGroupRule(**https, DestinationPrefixListId=provisioner.s3_prefix_list_id,
                                  Description="Provisioner to S3 (the custom resource's response URL)")]
    group = _locked_down_group(cfg, names.PROVISIONER_SECURITY_GROUP, f"{who} ({cfg.environment})",
                               f"{cfg.proxy.name}-database-users", [_database_egress(cfg, "Provisioner"), *apis],
                               to_any_address=provisioner.aws_apis_via is AwsApiRoute.NAT
                               or not cfg.database_destination_known)
    endpoint_ingress = [SecurityGroupIngress(
        names.ENDPOINT_INGRESS_FROM_PROVISIONER,
        GroupId=provisioner.endpoint_security_group_id, IpProtocol="tcp", FromPort=HTTPS_PORT, ToPort=HTTPS_PORT,
        SourceSecurityGroupId=GetAtt(names.PROVISIONER_SECURITY_GROUP, "GroupId"),
        Description=f"{who} to the VPC endpoints",
    )] if provisioner.endpoint_security_group_id else []
    return [group, *_database_ingress(cfg, names.PROVISIONER_SECURITY_GROUP, names.DATABASE_INGRESS_FROM_PROVISIONER,
                                      who), *endpoint_ingress]


def cidr_property(cidr: str) -> dict[str, str]:
    """A range as a security group rule names it: CidrIp or CidrIpv6."""
    return {"CidrIpv6" if ipaddress.ip_network(cidr).version == 6 else "CidrIp": cidr}


def client_ingress(cfg: EnvConfig, group: str, to: str, groups: Sequence[str], group_title: Callable[[str], str],
                   cidrs: Sequence[str], cidr_title: Callable[[str], str]) -> list[SecurityGroupIngress]:
    """One rule per client group and range on ``group`` (a group of this template), on the proxy's
    port; the titles name each rule from its source, ``to`` says what it reaches. A rule from a
    range records why it is one (suppressions.CIDR_CLIENTS)."""
    port = proxy_port(cfg)
    sources = [*((g, group_title(g), {"SourceSecurityGroupId": g}, {}) for g in groups),
               *((c, cidr_title(c), cidr_property(c), cidr_clients(c)) for c in cidrs)]
    return [SecurityGroupIngress(
        title, GroupId=GetAtt(group, "GroupId"), IpProtocol="tcp", FromPort=port, ToPort=port,
        Description=f"Clients in {source} to {to}", **rule, **metadata,
    ) for source, title, rule, metadata in sources]


def _client_ingress(cfg: EnvConfig) -> list[SecurityGroupIngress]:
    net = cfg.network
    return client_ingress(cfg, names.SECURITY_GROUP, "the proxy", net.client_security_group_ids,
                          names.ingress_from_security_group, net.allowed_cidrs, names.ingress_from_cidr)


def _database_egress(cfg: EnvConfig, who: str, over_ipv6: bool = False) -> SecurityGroupRule:
    """Egress to the database port: to the database's group, else the range its addresses are
    in, else (neither given, which needs waivers.world_egress) any address of the IP version
    ``who`` reaches the database with."""
    port = cfg.target.port
    database_group, database_cidr = cfg.network.database_security_group_id, cfg.network.database_cidr
    if database_group:
        destination = {"DestinationSecurityGroupId": database_group}
    elif database_cidr:
        destination = cidr_property(database_cidr)
    elif over_ipv6:
        destination = {"CidrIpv6": "::/0"}
    else:
        destination = {"CidrIp": "0.0.0.0/0"}
    return SecurityGroupRule(IpProtocol="tcp", FromPort=port, ToPort=port,
                             Description=f"{who} to the database port", **destination)


def _database_ingress(cfg: EnvConfig, group: str, title: str, who: str) -> list[SecurityGroupIngress]:
    """The rule on the database's group that lets ``group`` in, when the group is given."""
    database_group = cfg.network.database_security_group_id
    if not database_group:
        return []
    port = cfg.target.port
    return [SecurityGroupIngress(
        title,
        GroupId=database_group,
        IpProtocol="tcp", FromPort=port, ToPort=port,
        SourceSecurityGroupId=GetAtt(group, "GroupId"),
        Description=f"{who} to the database",
    )]
