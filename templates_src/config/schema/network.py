"""The ``network`` section and the extra ``endpoints``: where the proxy and its endpoints run and who
may reach them (part of the params schema, ``model``); and ``StackEndpoint``, each endpoint the
stack makes (``EnvConfig.stack_endpoints``)."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts.aws import EndpointNetworkType, EndpointTargetRole, TargetConnectionNetworkType
from .keys import key


@dataclass(frozen=True)
class NetworkParams:
    vpc_id: str = key("The VPC of the database.", pattern=facts.VPC_ID_PATTERN)
    subnet_ids: tuple[str, ...] = key(
        "Subnets for the proxy, in at least two Availability Zones.",
        pattern=facts.SUBNET_ID_PATTERN, min_items=facts.MIN_SUBNETS, unique=True,
    )
    client_security_group_ids: tuple[str, ...] = key(
        "Security groups whose members may connect to the proxy.", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True,
    )
    allowed_cidrs: tuple[str, ...] = key(
        "Extra client CIDR ranges (IPv4 or IPv6); 0.0.0.0/0 and ::/0 are refused.", default=(), unique=True,
    )
    database_security_group_id: str | None = key(
        "The database's security group: when given, a rule lets the proxy in.", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    secrets_manager_endpoint_security_group_id: str | None = key(
        "With secrets.rotation_days: the security group of the VPC's Secrets Manager interface endpoint, the "
        "only destination of the rotation functions' HTTPS egress (otherwise any address; a rule lets them in).",
        default=None, pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    database_cidr: str | None = key(
        "Without database_security_group_id: the range (IPv4 or IPv6) the database's addresses are in, "
        "the only destination of the proxy's egress (otherwise any address on the database port).",
        default=None,
    )
    endpoint_network_type: EndpointNetworkType = key(
        "The IP versions the proxy's endpoints answer on: IPV4, IPV6 or DUAL (IPv6 and DUAL need IPv6 CIDR "
        "blocks on the VPC and every subnet). Set at creation: a change replaces the proxy.",
        default=EndpointNetworkType.IPV4,
    )
    target_connection_network_type: TargetConnectionNetworkType = key(
        "The IP version the proxy reaches the database with: IPV4 or IPV6 (IPV6 needs the database in "
        "dual-stack mode). Set at creation: a change replaces the proxy.",
        default=TargetConnectionNetworkType.IPV4,
    )
    proxy_security_group_ids: tuple[str, ...] = key(
        "Existing security groups attached to the proxy and its read-only endpoint after the one the stack "
        "builds (at most 4 then), or instead of it with create_security_group false (at least 1).", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True, max_items=facts.SECURITY_GROUPS_PER_NETWORK_INTERFACE,
    )
    create_security_group: bool = key(
        "Build the proxy's own security group. false: the proxy has only proxy_security_group_ids, whose own "
        "rules decide who may connect and where it may go (client and database keys are refused then).",
        default=True,
    )


@dataclass(frozen=True)
class EndpointParams:
    name: str = key(
        "The endpoint's name (DBProxyEndpointName), unique in the region's proxies; it names its resources "
        "and outputs too.", pattern=facts.PROXY_NAME_PATTERN, max_length=facts.PROXY_NAME_MAX,
    )
    subnet_ids: tuple[str, ...] = key(
        "The endpoint's subnets, in at least two Availability Zones: in vpc_id.",
        pattern=facts.SUBNET_ID_PATTERN, min_items=facts.MIN_SUBNETS, unique=True,
    )
    target_role: EndpointTargetRole = key(
        "READ_WRITE (the writer) or READ_ONLY (an Aurora cluster's readers; not SQL Server).",
        default=EndpointTargetRole.READ_WRITE,
    )
    vpc_id: str | None = key(
        "The VPC of the endpoint's subnets: another VPC lets its clients reach the proxy there.", default=None,
        pattern=facts.VPC_ID_PATTERN, derived="network.vpc_id",
    )
    client_security_group_ids: tuple[str, ...] = key(
        "Security groups (in vpc_id) whose members may connect to this endpoint.", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True,
    )
    allowed_cidrs: tuple[str, ...] = key(
        "Client CIDR ranges that may connect to this endpoint; 0.0.0.0/0 and ::/0 are refused.", default=(),
        unique=True,
    )
    endpoint_network_type: EndpointNetworkType | None = key(
        "IPV4, IPV6 or DUAL (IPv6 and DUAL need IPv6 CIDR blocks on vpc_id and the subnets).", default=None,
        derived="network.endpoint_network_type",
    )


def read_only_endpoint_name(proxy_name: str) -> str:
    """The name of the read-only endpoint ``target.read_only_endpoint`` asks for: <proxy>-ro."""
    return proxy_name + facts.READ_ONLY_ENDPOINT_SUFFIX


@dataclass(frozen=True)
class StackEndpoint:
    """A DBProxyEndpoint the stack makes besides the proxy's default one: an ``endpoints:`` entry,
    or the read-only endpoint ``target.read_only_endpoint`` asks for. Not a params key: derived
    from them (``EnvConfig.stack_endpoints``), with the entries' defaults as ``derive`` filled them."""

    name: str
    target_role: EndpointTargetRole
    subnet_ids: tuple[str, ...]
    vpc_id: str | None
    endpoint_network_type: EndpointNetworkType | None
    # Who may connect, through the endpoint's own security group (unused when it shares the proxy's).
    client_security_group_ids: tuple[str, ...] = ()
    allowed_cidrs: tuple[str, ...] = ()
    # In the proxy's subnets and behind the proxy's security groups, with no group of its own: the
    # read-only endpoint. It is older than ``endpoints:`` and keeps the logical id and output its
    # stacks were deployed with (builders/names.py, builders/outputs.py): another id would replace it.
    shares_proxy_network: bool = False

    @classmethod
    def of_entry(cls, entry: EndpointParams) -> StackEndpoint:
        """An ``endpoints:`` entry: its own subnets, VPC and clients, behind a group of its own."""
        return cls(entry.name, entry.target_role, entry.subnet_ids, entry.vpc_id, entry.endpoint_network_type,
                   entry.client_security_group_ids, entry.allowed_cidrs)

    @classmethod
    def read_only(cls, proxy_name: str, network: NetworkParams) -> StackEndpoint:
        """The read-only endpoint: the proxy's subnets, VPC, IP versions and security groups."""
        return cls(read_only_endpoint_name(proxy_name), EndpointTargetRole.READ_ONLY, network.subnet_ids,
                   network.vpc_id, network.endpoint_network_type, shares_proxy_network=True)
