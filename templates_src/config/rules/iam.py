"""Rules of the ``iam:`` section (schema/iam.py) that relate it to the rest of the params."""

from __future__ import annotations

from collections.abc import Callable

from ...facts.partitions import region_partition
from ..errors import KeyPath
from ..schema.model import EnvConfig

Report = Callable[[KeyPath, str], None]

# HostedRotationLambda has no property for its function's role: no boundary, no path
# (AWS::SecretsManager::RotationSchedule HostedRotationLambda, CloudFormation Template Reference;
# the transform deploys the Serverless Application Repository template, whose role it names).
_ROTATION_ROLE = ("the hosted rotation function's role, made by the AWS::SecretsManager transform, cannot carry %s "
                  "(HostedRotationLambda has no property for it); drop secrets.rotation_days (waivers.rotation "
                  "says why) or this key")


def _not_with_rotation(cfg: EnvConfig, report: Report) -> None:
    if cfg.secrets.rotation_days is None:
        return
    iam = cfg.iam
    if iam.permissions_boundary_arn:
        report(("iam", "permissions_boundary_arn"), _ROTATION_ROLE % "a permissions boundary")
    if iam.role_path:
        report(("iam", "role_path"), _ROTATION_ROLE % "a path")
    if iam.secret_reader_arns:
        # The function reads each secret with that role, whose ARN the stack cannot know, and a
        # resource policy cannot name it by function instead: "You can't use the
        # lambda:SourceFunctionArn condition key in resource-based policies" (Lambda Developer
        # Guide, "Using source function ARN to control function access behavior").
        report(("iam", "secret_reader_arns"),
               "secret resource policies would lock out the hosted rotation function, whose role the stack cannot "
               "name; drop secrets.rotation_days (waivers.rotation says why) or this key")


def _applies_to_something(cfg: EnvConfig, report: Report) -> None:
    iam = cfg.iam
    if iam.proxy_role_arn and cfg.secrets.rotation_days is None:
        for name in ("permissions_boundary_arn", "role_path"):
            if getattr(iam, name):
                report(("iam", name), "the stack creates no role with iam.proxy_role_arn (and no rotation): "
                                      "set it on the existing role, and drop it here")
    if iam.key_admin_arns and cfg.secrets.kms_key_arn:
        report(("iam", "key_admin_arns"), "the stack creates no key with secrets.kms_key_arn: name the "
                                          "administrators in that key's policy, and drop it here")
    generates = cfg.generates_secrets
    if iam.secret_reader_arns and not generates:
        report(("iam", "secret_reader_arns"), "the stack generates no secret (end-to-end IAM, or every user has "
                                              "secret_arn): a brought secret's policy is its owner's")


def _partition_matches_region(cfg: EnvConfig, report: Report) -> None:
    partition = region_partition(cfg.region)
    iam = cfg.iam
    arns: list[tuple[KeyPath, str]] = [
        (("iam", name), value) for name in ("permissions_boundary_arn", "proxy_role_arn")
        if (value := getattr(iam, name))
    ]
    for name in ("key_admin_arns", "secret_reader_arns"):
        arns += [(("iam", name, index), arn) for index, arn in enumerate(getattr(iam, name))]
    for path, arn in arns:
        named = arn.split(":", 2)[1]
        if named != partition:
            report(path, f"names partition {named}, but region {cfg.region} is in partition {partition}")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _not_with_rotation, _applies_to_something, _partition_matches_region,
)
