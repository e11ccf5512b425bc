"""Small helpers every builder shares: tags, retention policies, export names."""

from __future__ import annotations

from typing import Any

from troposphere import AWSHelperFn, Join, Select, Split, StackId, Sub, Tags

from ..facts import aws as facts
from ..config.schema.model import EnvConfig
from ..facts.provisioner import LOG_GROUP_PREFIX as PROVISIONER_LOG_GROUP_PREFIX

RETAIN, DELETE = "Retain", "Delete"
# Retain, except when the operation that created the resource rolls back: then CloudFormation
# deletes it, so a failed first create leaves no named log group or orphaned secret behind to
# block the retry ("already exists"). DeletionPolicy attribute, CloudFormation User Guide;
# UpdateReplacePolicy has no such value, and keeps Retain.
RETAIN_EXCEPT_ON_CREATE = "RetainExceptOnCreate"


def tags(cfg: EnvConfig, **extra: str) -> Tags:
    """The env's tags (Environment included) plus per-resource ones, sorted for stable output."""
    merged = {**cfg.tags, **extra}
    return Tags(dict(sorted(merged.items())))  # a dict, not **: a tag key may be any word, even self


# The Guard rules (policies/*.guard) each params waiver exempts. The reason is written on the
# weakened resource itself, so review shows it next to what it weakens.
WAIVED_POLICY_RULES = {
    "require_tls": "rds_proxy_requires_tls",
    "iam_auth": "rds_proxy_auth_iam_required",
    "retain_on_delete": "secrets_key_and_logs_retained",
    "log_retention": "cloudwatch_log_group_retention_period_check",  # Control Tower CT.CLOUDWATCH.PR.2
    "world_egress": "no_world_open_egress",
    "rotation": "generated_secrets_rotated",
}
# The AWS Control Tower proactive controls and AWS Guard Rules Registry rules (their Guard rule
# names) a waiver turns off, recorded where cfn-guard reads suppressions: the resource's
# Metadata.guard.SuppressedRules (each registry rule skips a resource listing its name there).
SUPPRESSED_CONTROLS = {
    "log_retention": ("cloudwatch_log_group_retention_period_check",),  # CT.CLOUDWATCH.PR.2
    "require_tls": ("rds_proxy_tls_check",),  # CT.RDS.PR.26
    "world_egress": ("EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE",),  # registry, amazon_ec2/
    "rotation": ("SECRETSMANAGER_ROTATION_ENABLED_CHECK",),  # registry, secrets_manager/
}
# The checkov check ids a waiver turns off, recorded where checkov reads
# skips: the resource's Metadata.checkov.skip, [{id, comment}] with the waiver's reason as the
# comment. checkov 3.3.30 (pinned) has no CloudFormation check that any waiver weakens: its
# egress, rotation and retention checks are CKV_AWS_23 (rule descriptions), CKV_AWS_7 (KMS key
# rotation, always on) and CKV_AWS_66 (a retention is set, any length), all still passing;
# tests/test_security.py fails when a checkov upgrade starts failing a waived variant.
CHECKOV_SKIPS: dict[str, tuple[str, ...]] = {}
METADATA_NAMESPACE = "RdsProxyCfn"
# Metadata.RdsProxyCfn.Example: true on the template of a shipped example (params ``example``).
# The next build reads it from this output to know that no stack was made from it.
EXAMPLE_MARK = "Example"


def waiver_metadata(cfg: EnvConfig, *waivers: str) -> dict[str, dict]:
    """``Metadata=...`` for a resource weakened by these waivers; nothing when none is given."""
    given = [name for name in waivers if getattr(cfg.waivers, name)]
    if not given:
        return {}
    metadata: dict[str, dict] = {METADATA_NAMESPACE: {"Waivers": {
        WAIVED_POLICY_RULES[name]: getattr(cfg.waivers, name) for name in given}}}
    suppressed = sorted(rule for name in given for rule in SUPPRESSED_CONTROLS.get(name, ()))
    if suppressed:
        metadata["guard"] = {"SuppressedRules": suppressed}
    skips = sorted((check, getattr(cfg.waivers, name)) for name in given for check in CHECKOV_SKIPS.get(name, ()))
    if skips:
        metadata["checkov"] = {"skip": [{"id": check, "comment": reason} for check, reason in skips]}
    return {"Metadata": metadata}


def keep_on_delete(cfg: EnvConfig) -> dict[str, str]:
    """DeletionPolicy and UpdateReplacePolicy for data that must outlive the stack."""
    if not cfg.secrets.retain_on_delete:
        return {"DeletionPolicy": DELETE, "UpdateReplacePolicy": DELETE}
    return {"DeletionPolicy": RETAIN_EXCEPT_ON_CREATE, "UpdateReplacePolicy": RETAIN}


def listed(values: Any) -> Any:
    """A list params value as a template list; a CloudFormation expression (the Service Catalog
    product's placeholder configs pass ``Ref`` of a List parameter) as it is."""
    return values if isinstance(values, AWSHelperFn) else list(values)


def comma_joined(values: Any) -> Any:
    """A list params value as one comma-separated string (or an ``Fn::Join`` of an expression)."""
    return Join(",", values) if isinstance(values, AWSHelperFn) else ",".join(values)


def export_name(output: str) -> Sub:
    return Sub(facts.EXPORT_NAME_SUB % output)


def provisioner_log_group_name(proxy_name: str) -> Join:
    """The provisioner's log group: its proxy's name, then the UUID at the end of the stack's
    StackId (arn:...:stack/<name>/<uuid>), which a new stack of the same name does not share."""
    return Join("", [PROVISIONER_LOG_GROUP_PREFIX.format(proxy_name=proxy_name),
                     Select(2, Split("/", StackId))])
