"""AWS Guard Rules Registry rules that a resource skips by design, each with its reason.

The registry (github aws-cloudformation/aws-guard-rules-registry, rules/aws/) is what platform
teams run in pipelines and Guard Hooks. Each of its rules skips a resource that lists the rule's
id in ``Metadata.guard.SuppressedRules`` (the registry's docs/Using-Guard-Rules-Registry.md,
"Guard Rules Registry Rule Suppression"); the reason goes beside it, in
``Metadata.RdsProxyCfn.Suppressions.<rule id>``, for review. A suppression that a params waiver
implies is written with that waiver (``common.waiver_metadata``); the ones here are choices of
the design, made whatever the params say, or implied by a value the params give on purpose.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ..facts import aws as facts
from .common import METADATA_NAMESPACE


@dataclass(frozen=True)
class Choice:
    rule: str  # the registry rule's id (its folder under rules/aws/ in the comment beside it)
    reason: str


# Clients in a range (network.allowed_cidrs, endpoints[].allowed_cidrs) have no security group to
# name: a VPN or another network. The registry wants a single address (/32, /128) per rule.
CIDR_CLIENTS = Choice(
    "SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE",  # amazon_ec2/
    "Clients in a range the params name in allowed_cidrs: they have no security group to name "
    "(a VPN or another network)")
# kms.py: the alarm topic's key lets CloudWatch use it only for alarms whose ARN matches
# <proxy>-* (aws:SourceArn), so the alarms cannot take generated names; a topic given in
# monitoring.alarm_topic_arn can have its key limited so too. cfn-guard 3 reports the registry rule
# on the alarms all the same while other resources of the types it covers (security groups, roles,
# managed policies) do not list it: its type blocks look past the suppression filter
# (aws-cloudformation/cloudformation-guard#636, #647).
NAMED_ALARM = Choice(
    "CFN_NO_EXPLICIT_RESOURCE_NAMES",  # aws_cloudformation/
    "Named <proxy>-<what>: a topic's key lets CloudWatch in for this proxy's alarms only by their "
    "names (aws:SourceArn), as the stack's own key does")
# CloudWatch Logs takes retention periods the registry's list predates (facts.aws.LOG_RETENTION_DAYS).
RETENTION_NOT_IN_REGISTRY = Choice(
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK",  # cloudwatch/
    "RetentionInDays is a period CloudWatch Logs accepts (PutRetentionPolicy) that the registry's "
    "list of periods does not have yet")
# The Service Catalog product: values are launch parameters, and rotation cannot be launched.
PRODUCT_RETENTION_PARAMETER = Choice(
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK",  # cloudwatch/
    "RetentionInDays is the LogRetentionInDays parameter, whose AllowedValues are the periods "
    "CloudWatch Logs accepts")
PRODUCT_NOT_ROTATED = Choice(
    "SECRETSMANAGER_ROTATION_ENABLED_CHECK",  # secrets_manager/
    "Password rotation needs the AWS::SecretsManager transform, which a Service Catalog launch "
    "cannot expand; an environment that rotates deploys its own template")
# The portfolio's launch role.
NAMED_LAUNCH_ROLE = Choice(
    "CFN_NO_EXPLICIT_RESOURCE_NAMES",  # aws_cloudformation/
    "The launch constraint finds the role by name (LocalRoleName), the name the factory file gives too")
INLINE_LAUNCH_POLICY = Choice(
    "IAM_NO_INLINE_POLICY_CHECK",  # iam/
    f"The launch policy is longer than a managed policy may be ({facts.MANAGED_POLICY_MAX_CHARACTERS:,} "
    f"characters; a role's inline policies {facts.ROLE_INLINE_POLICIES_MAX_CHARACTERS:,}) and serves this "
    "role alone")
UNSCOPED_LAUNCH_ACTIONS = Choice(
    "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE",  # iam/
    "Resource * only for actions IAM scopes to no resource type (List*, Describe*, kms:CreateKey, "
    "secretsmanager:GetRandomPassword, cloudformation:ValidateTemplate) and for the template in "
    "Service Catalog's own bucket, limited by its provisioning tag")


def suppressed(*choices: Choice) -> dict[str, Any]:
    """``Metadata=...`` for a resource that skips these registry rules; nothing for none."""
    if not choices:
        return {}
    return {"Metadata": {
        "guard": {"SuppressedRules": sorted({choice.rule for choice in choices})},
        METADATA_NAMESPACE: {"Suppressions": {choice.rule: choice.reason for choice in choices}},
    }}


def merged(*metadata: dict[str, Any]) -> dict[str, Any]:
    """``Metadata=...`` of several ``waiver_metadata`` / ``suppressed`` results, as one."""
    result: dict[str, Any] = {}
    for part in metadata:
        for namespace, entries in part.get("Metadata", {}).items():
            into = result.setdefault(namespace, {})
            for name, value in entries.items():
                if name == "SuppressedRules":
                    into[name] = sorted({*into.get(name, ()), *value})
                elif isinstance(value, dict):
                    into[name] = {**into.get(name, {}), **value}
                else:
                    into[name] = value
    return {"Metadata": result} if result else {}


def cidr_clients(cidr: str) -> dict[str, Any]:
    """``Metadata=...`` of an ingress rule from ``cidr``: CIDR_CLIENTS unless it is one address."""
    network = ipaddress.ip_network(cidr)
    return {} if network.prefixlen == network.max_prefixlen else suppressed(CIDR_CLIENTS)


def retention(days: Any) -> dict[str, Any]:
    """``Metadata=...`` of a log group kept ``days``: RETENTION_NOT_IN_REGISTRY for a period the
    registry's list lacks (a launch parameter is not judged here: the product says why)."""
    return suppressed(RETENTION_NOT_IN_REGISTRY) if isinstance(days, int) and \
        days not in facts.REGISTRY_LOG_RETENTION_DAYS else {}


# The Service Catalog product's resources, by type: what each skips, whatever is launched.
PRODUCT_CHOICES = {
    "AWS::Logs::LogGroup": PRODUCT_RETENTION_PARAMETER,
    "AWS::SecretsManager::Secret": PRODUCT_NOT_ROTATED,
}


def record(resources: dict[str, dict[str, Any]], choices: dict[str, Choice]) -> None:
    """Add to each resource (a template's Resources, as a dict) the choice its type has."""
    for resource in resources.values():
        choice = choices.get(resource.get("Type", ""))
        if choice:
            resource.update(merged({"Metadata": resource.get("Metadata", {})}, suppressed(choice)))


# The database-users provisioner's function (builders/provisioner.py): checkov checks it does not
# meet by design, with the reason, in checkov's own skip metadata (Metadata.checkov.skip). (Code
# signing, CKV_AWS_272, is no CloudFormation check of checkov 3.3.30: docs/provisioner.md.)
PROVISIONER_CHECKOV_SKIPS = {
    # CloudFormation invokes the function and waits for its answer at the response URL; a failed
    # invocation fails the stack operation, which a person sees in the stack's events. A queue of
    # failed requests would hold a pre-signed URL that expires with nobody to act on it.
    "CKV_AWS_116": "A custom resource's provisioner: CloudFormation waits for its answer and fails the stack "
                   "operation when none comes; a dead-letter queue would hold requests nobody acts on",
}


def provisioner_function() -> dict[str, Any]:
    """``Metadata=...`` of the provisioner's function: its checkov skips."""
    return {"Metadata": {"checkov": {"skip": [{"id": check, "comment": reason}
                                              for check, reason in sorted(PROVISIONER_CHECKOV_SKIPS.items())]}}}
