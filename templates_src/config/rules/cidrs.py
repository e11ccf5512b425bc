"""What is wrong with a CIDR range a params key names (shared by the proxy's and the endpoints' rules)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable


def cidr_problem(cidr: str, whole_internet: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, str]:
    """The range a CIDR key names, and what is wrong with it ("" when nothing is)."""
    try:
        parsed = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None, f"{cidr!r} is not a CIDR range (like 10.0.0.0/16 or 2001:db8::/32)"
    if "/" not in cidr:
        return parsed, f"{cidr!r} has no prefix length (did you mean '{parsed}'?)"
    if parsed.prefixlen == 0:
        return parsed, f"{cidr!r} {whole_internet}"
    if not re.fullmatch(r"[1-9][0-9]*", cidr.rpartition("/")[2]):  # ipaddress also takes masks; EC2 does not
        return parsed, f"{cidr!r} gives a mask or a padded length; write the prefix length (did you mean '{parsed}'?)"
    if parsed.network_address != ipaddress.ip_interface(cidr).ip:
        return parsed, f"{cidr!r} has host bits set (did you mean '{parsed}'?)"
    return parsed, ""


def whole_internet(cidrs: Iterable[str]) -> str | None:
    """The whole address space ("0.0.0.0/0" or "::/0") that ranges cover together (0.0.0.0/1 +
    128.0.0.0/1 opens a group as surely as 0.0.0.0/0), or None. Ranges that do not parse, and a
    single /0, are cidr_problem's to report."""
    by_version: dict[int, list[ipaddress.IPv4Network | ipaddress.IPv6Network]] = {4: [], 6: []}
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if network.prefixlen:
            by_version[network.version].append(network)
    for version, whole in ((4, "0.0.0.0/0"), (6, "::/0")):
        if by_version[version] and ipaddress.ip_network(whole) in ipaddress.collapse_addresses(by_version[version]):
            return whole
    return None
