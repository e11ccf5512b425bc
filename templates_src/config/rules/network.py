"""Rules between the proxy's network types and the address ranges the params name.

An endpoint answers only on the IP versions of its ``EndpointNetworkType`` and the proxy reaches
the database only over its ``TargetConnectionNetworkType`` (RDS API CreateDBProxy): a client
range or a database range of the other version makes a security group rule that nothing can
use, and hides the mistake until the first connection fails. The prerequisites params cannot
show (IPv6 CIDR blocks on the VPC and subnets, a database in dual-stack mode) are listed in
DEPLOY.md instead.

Same shape as ``env``: each rule is ``(config, report)``, run after the single-key checks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from ...facts.aws import ENDPOINT_IP_VERSIONS, TARGET_IP_VERSION, EndpointNetworkType
from ..errors import KeyPath
from ..schema.model import EnvConfig

Report = Callable[[KeyPath, str], None]


def _version(cidr: str) -> int | None:
    """The IP version of a well-formed range other than /0 (None: ``env`` reports the range)."""
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        return None
    return network.version if network.prefixlen else None


def client_range_problem(cidr: str, endpoint: EndpointNetworkType, key: str) -> str | None:
    """Why an endpoint of this network type cannot be reached from ``cidr`` (None: it can);
    ``key`` is the network type's key, named in the fix."""
    versions = ENDPOINT_IP_VERSIONS[endpoint]
    version = _version(cidr)
    if version is None or version in versions:
        return None
    needs = "IPV6 or DUAL" if version == 6 else "IPV4 or DUAL"
    return (f"{cidr!r} is an IPv{version} range, but endpoint_network_type {endpoint.value} answers on IPv"
            f"{' and IPv'.join(map(str, versions))} only (set {key} to {needs})")


def _client_ranges_reach_the_endpoint(cfg: EnvConfig, report: Report) -> None:
    for index, cidr in enumerate(cfg.network.allowed_cidrs):
        problem = client_range_problem(cidr, cfg.network.endpoint_network_type, "network.endpoint_network_type")
        if problem:
            report(("network", "allowed_cidrs", index), problem)


def _database_range_matches_the_target_connection(cfg: EnvConfig, report: Report) -> None:
    cidr, target = cfg.network.database_cidr, cfg.network.target_connection_network_type
    version = _version(cidr) if cidr else None
    if version is not None and version != TARGET_IP_VERSION[target]:
        report(("network", "database_cidr"),
               f"{cidr!r} is an IPv{version} range, but the proxy reaches the database over IPv"
               f"{TARGET_IP_VERSION[target]} (target_connection_network_type {target.value}); give the database's "
               f"IPv{TARGET_IP_VERSION[target]} range or set target_connection_network_type to IPV{version}")


def _rotation_reaches_the_database(cfg: EnvConfig, report: Report) -> None:
    # The hosted rotation functions (the AWS::SecretsManager transform's Lambda functions) reach
    # the database over IPv4, whatever the proxy uses: an IPv6 database_cidr would be their only
    # egress to it, a rule they cannot use. The database's group serves both.
    cidr = cfg.network.database_cidr
    if cfg.secrets.rotation_days is not None and cidr and _version(cidr) == 6:
        report(("network", "database_cidr"),
               f"{cidr!r} is an IPv6 range, but the rotation functions reach the database over IPv4; give "
               "network.database_security_group_id instead (a group rule serves both IP versions)")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _client_ranges_reach_the_endpoint,
    _database_range_matches_the_target_connection,
    _rotation_reaches_the_database,
)
