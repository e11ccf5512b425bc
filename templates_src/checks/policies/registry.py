"""Project policies taken from the AWS Guard Rules Registry's intent (github
aws-cloudformation/aws-guard-rules-registry, rules/aws/): written here from what each registry
rule checks, because the registry ships in no package the build can install (neither PyPI nor
npm has it; the npm package of Control Tower's controls carries only those). Platform teams run
these registry rules in their pipelines and Guard Hooks:

- IAM_NO_INLINE_POLICY_CHECK (iam/): a role, user or group has no ``Policies`` (inline policies);
- EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE (amazon_ec2/): no egress to 0.0.0.0/0 or ::/0,
  inline in a security group or as an AWS::EC2::SecurityGroupEgress;
- SECRETSMANAGER_ROTATION_ENABLED_CHECK (secrets_manager/): every secret is the ``SecretId``
  (a ``Ref`` of it) of a rotation schedule;
- SECURITY_GROUP_MISSING_EGRESS_RULE (amazon_ec2/): every security group names its egress rules
  (a group created without any allows all outbound traffic);
- SECURITY_GROUP_EGRESS_PORT_RANGE_RULE and SECURITY_GROUP_EGRESS_ALL_PROTOCOLS_RULE (amazon_ec2/):
  an egress rule names one port, of one protocol; here TCP or UDP, so neither every protocol (-1)
  nor ICMP, whose "ports" are a type and a code.

The registry rules skip a resource listing their name in ``Metadata.guard.SuppressedRules``;
the build writes that name there with each waiver (builders/common.py SUPPRESSED_CONTROLS). The
project's twins honour ``Metadata.RdsProxyCfn.Waivers.<rule name>`` like every waivable policy.
Their Guard form is in ``policies/iam.guard``, ``network.guard`` and ``secrets.guard``. The
registry's rules on names, CIDR ingress and log retention stay the registry's: where this project
departs from them it says why on the resource (builders/suppressions.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import WORLD, Path, at, each, get, resources_of, say, waived

FIX_INLINE = "Fix: put the permissions in an AWS::IAM::ManagedPolicy attached to the role"
FIX_EGRESS = ("Fix: give network.database_security_group_id or network.database_cidr, or record the reason in "
              "waivers.world_egress")
FIX_ROTATION = "Fix: set secrets.rotation_days, or record the reason in waivers.rotation"
FIX_EGRESS_NAMED = ("Fix: name the egress the group's resources open connections with, or one that reaches nothing "
                    "(TCP to 127.0.0.1/32) if they open none")
FIX_EGRESS_PORT = "Fix: one rule per destination port, IpProtocol tcp or udp, FromPort equal to ToPort"
EGRESS_PROTOCOLS = ("tcp", "udp")

MESSAGES = {
    "inline_policy": "Violation: an IAM role, user or group must not carry inline policies (Policies)",
    "egress_v4": "Violation: a security group has an egress rule open to every IPv4 address (0.0.0.0/0)",
    "egress_v6": "Violation: a security group has an egress rule open to every IPv6 address (::/0)",
    "rotation": "Violation: a secret must be the SecretId (Ref) of an AWS::SecretsManager::RotationSchedule",
    "egress_named": "Violation: a security group must name its egress rules (without them it allows all outbound "
                    "traffic)",
    "egress_protocol": "Violation: an egress rule must name one protocol, tcp or udp",
    "egress_port": "Violation: an egress rule must name one port (FromPort equal to ToPort)",
}

PRINCIPAL_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")


_say = partial(say, MESSAGES)


def no_inline_policies(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, principal in resources_of(template, PRINCIPAL_TYPES):
        properties = principal.get("Properties")
        if isinstance(properties, Mapping) and "Policies" in properties and properties["Policies"] != []:
            yield ("Resources", name, "Properties", "Policies"), _say("inline_policy", FIX_INLINE)


def _open(rule: Any, where: Path) -> Iterator[tuple[Path, str]]:
    for key, message in (("CidrIp", "egress_v4"), ("CidrIpv6", "egress_v6")):
        if isinstance(rule, Mapping) and key in rule:
            value = rule[key]
            if not isinstance(value, str) or value.endswith(WORLD):
                yield (*where, key), _say(message, FIX_EGRESS)


def no_world_open_egress(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Inline egress rules of a security group and SecurityGroupEgress resources; a resource
    whose Metadata records the world_egress waiver is exempt."""
    for name, group in resources_of(template, ("AWS::EC2::SecurityGroup",)):
        rules = get(group.get("Properties"), "SecurityGroupEgress")
        if rules is None or waived(group, "no_world_open_egress"):
            continue
        where = ("Resources", name, "Properties", "SecurityGroupEgress")
        for index, rule in each(rules) or []:
            yield from _open(rule, at(where, index))
    for name, egress in resources_of(template, ("AWS::EC2::SecurityGroupEgress",)):
        if not waived(egress, "no_world_open_egress"):
            yield from _open(egress.get("Properties"), ("Resources", name, "Properties"))


def generated_secrets_rotated(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Each secret of the template is rotated by a schedule of the template, which names it by
    Ref (the registry looks for exactly that), unless its Metadata records the rotation waiver."""
    scheduled = {get(get(schedule.get("Properties"), "SecretId"), "Ref")
                 for _, schedule in resources_of(template, ("AWS::SecretsManager::RotationSchedule",))}
    for name, secret in resources_of(template, ("AWS::SecretsManager::Secret",)):
        if name not in scheduled and not waived(secret, "generated_secrets_rotated"):
            yield ("Resources", name), _say("rotation", FIX_ROTATION)


def security_groups_name_egress(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, group in resources_of(template, ("AWS::EC2::SecurityGroup",)):
        rules = get(group.get("Properties"), "SecurityGroupEgress")
        if rules is None or each(rules) is None:
            yield ("Resources", name, "Properties", "SecurityGroupEgress"), _say("egress_named", FIX_EGRESS_NAMED)


def _egress_rules(template: Mapping[str, Any]) -> Iterator[tuple[Path, Any]]:
    """Each egress rule: inline in a security group, or a SecurityGroupEgress resource's Properties."""
    for name, group in resources_of(template, ("AWS::EC2::SecurityGroup",)):
        where = ("Resources", name, "Properties", "SecurityGroupEgress")
        rules = get(group.get("Properties"), "SecurityGroupEgress")
        for index, rule in (each(rules) or []) if rules is not None else []:
            yield at(where, index), rule
    for name, egress in resources_of(template, ("AWS::EC2::SecurityGroupEgress",)):
        yield ("Resources", name, "Properties"), egress.get("Properties")


def egress_one_port(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for where, rule in _egress_rules(template):
        if get(rule, "IpProtocol") not in EGRESS_PROTOCOLS:
            yield (*where, "IpProtocol"), _say("egress_protocol", FIX_EGRESS_PORT)
        port = get(rule, "FromPort")
        if type(port) is not int or get(rule, "ToPort") != port:
            yield (*where, "FromPort"), _say("egress_port", FIX_EGRESS_PORT)
