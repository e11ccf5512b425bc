"""The network policies: no security group admits traffic from the whole internet.

Neither as a separate SecurityGroupIngress resource nor as an inline rule of a SecurityGroup.
Guard form: ``policies/network.guard``, whose egress rules are the registry's intents
(``registry``). The table of rules and Guard's semantics: ``rules``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import WORLD, Path, at, each, get, resources_of, say

FIX_CIDR = "Fix: name the client security groups or ranges in network.allowed_cidrs"

MESSAGES = {
    "ingress_v4": "Violation: a SecurityGroupIngress is open to every IPv4 address (0.0.0.0/0)",
    "ingress_v6": "Violation: a SecurityGroupIngress is open to every IPv6 address (::/0)",
    "inline_v4": "Violation: a security group has an inline ingress rule open to 0.0.0.0/0",
    "inline_v6": "Violation: a security group has an inline ingress rule open to ::/0",
}


_say = partial(say, MESSAGES)


def _open_to_world(rule: Any, where: Path, v4: str, v6: str) -> Iterator[tuple[Path, str]]:
    for key, message in (("CidrIp", v4), ("CidrIpv6", v6)):
        if isinstance(rule, Mapping) and key in rule:
            value = rule[key]
            if not isinstance(value, str) or value.endswith(WORLD):
                yield (*where, key), message


def no_world_ingress_resources(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, resource in resources_of(template, ("AWS::EC2::SecurityGroupIngress",)):
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping):
            yield ("Resources", name), _say("ingress_v4", FIX_CIDR)
            continue
        yield from _open_to_world(properties, ("Resources", name, "Properties"),
                                  _say("ingress_v4", FIX_CIDR), _say("ingress_v6", FIX_CIDR))


def no_world_inline_ingress(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, group in resources_of(template, ("AWS::EC2::SecurityGroup",)):
        where = ("Resources", name, "Properties", "SecurityGroupIngress")
        rules = get(group.get("Properties"), "SecurityGroupIngress")
        for index, rule in (each(rules) or []) if rules is not None else []:
            yield from _open_to_world(rule, at(where, index), _say("inline_v4"), _say("inline_v6"))
