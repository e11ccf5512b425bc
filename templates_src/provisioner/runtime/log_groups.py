"""The proxy's log group, created or adopted: the Custom::AdoptedLogGroup resource.

RDS Proxy writes to /aws/rds/proxy/<proxy name> and nowhere else, and the stack keeps that group
when it is deleted (its logs outlive the stack), so the next stack of the same proxy name finds
it there: AWS::Logs::LogGroup would fail that create with "already exists". This resource
creates the group when it is missing and otherwise takes it as it is, then gives it the stack's
retention, key and tags either way, so a stack can be deleted and created again with nobody
acting in between (a Service Catalog launch, a stack set instance, a pipeline).

The template keeps the resource (DeletionPolicy and UpdateReplacePolicy Retain), so CloudFormation
never sends a Delete for it; one that comes anyway is answered without deleting anything: the
function never deletes a log group. Calls: CloudWatch Logs API Reference, CreateLogGroup,
PutRetentionPolicy, AssociateKmsKey, TagResource, UntagResource.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from failures import ProvisionError

TYPE = "Custom::AdoptedLogGroup"
# IAM is eventually consistent: a policy version created in the same stack operation may not be in
# force yet when the function first calls ("Troubleshooting IAM", IAM User Guide: changes "take
# time to become visible"), so an AccessDenied on the first call is tried again for a while.
DENIED_RETRIES = 6
DENIED_WAIT_S = 5.0


@dataclass(frozen=True)
class LogGroup:
    name: str
    arn: str  # without the trailing ':*' (TagResource's resourceArn)
    retention_days: int
    kms_key_arn: str
    tags: dict[str, str]


def parse(raw: Any) -> LogGroup:
    """CloudFormation passes scalars as strings ("Custom resources", request objects)."""
    if not isinstance(raw, dict):
        raise ProvisionError("ResourceProperties is missing")

    def text(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            raise ProvisionError(f"property {key} must be a non-empty string")
        return value

    try:
        retention = int(text("RetentionInDays"))
    except ValueError:
        raise ProvisionError("property RetentionInDays must be a number of days") from None
    tags = raw.get("Tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, dict) and isinstance(t.get("Key"), str)
                                             and isinstance(t.get("Value"), str) for t in tags):
        raise ProvisionError("property Tags must be a list of {Key, Value} strings")
    return LogGroup(text("LogGroupName"), text("LogGroupArn"), retention, text("KmsKeyId"),
                    {t["Key"]: t["Value"] for t in tags})


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code") or type(exc).__name__
    return type(exc).__name__


# Why a call fails, by error code, so the stack event says what to fix.
_HINTS = {
    "AccessDeniedException": "the function's role needs this logs action on the group",
    # CloudWatch Logs checks the key when it is given (CreateLogGroup, AssociateKmsKey): its policy
    # must let the logs service principal use it for this group ("Encrypt log data in CloudWatch
    # Logs using AWS Key Management Service", CloudWatch Logs User Guide).
    "InvalidParameterException": "is the key enabled, and does its policy let CloudWatch Logs use it for this group?",
    "OperationAbortedException": "another operation on the group was under way: retry the stack operation",
}
_UNREACHABLE = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError")


def _failure(action: str, group: str, exc: Exception) -> ProvisionError:
    code = _code(exc)
    if code in _UNREACHABLE:
        hint = ("the function cannot reach CloudWatch Logs: with aws_apis_via vpc_endpoints the VPC needs an "
                "interface endpoint for logs in the endpoints' security group")
    else:
        hint = _HINTS.get(code, "")
    return ProvisionError(f"logs:{action} on {group} failed: {code}" + (f" ({hint})" if hint else ""))


def _call(action: str, group: LogGroup, call: Any, **arguments: Any) -> None:
    try:
        call(**arguments)
    except Exception as exc:  # noqa: BLE001 - botocore's errors, network errors: named by code
        raise _failure(action, group.name, exc) from None


def keep(logs: Any, group: LogGroup, old: LogGroup | None, wait: Callable[[float], None] = time.sleep) -> str:
    """Create the group, or take the one there; then its retention, key and tags. ``old``: the
    properties before an Update (tags it no longer lists are removed)."""
    made = False
    for attempt in range(1, DENIED_RETRIES + 1):
        try:
            logs.create_log_group(logGroupName=group.name, kmsKeyId=group.kms_key_arn)
            made = True
            break
        except Exception as exc:  # noqa: BLE001
            code = _code(exc)
            if code == "ResourceAlreadyExistsException":
                break
            if code != "AccessDeniedException" or attempt == DENIED_RETRIES:
                raise _failure("CreateLogGroup", group.name, exc) from None
            wait(DENIED_WAIT_S)
    if not made:
        # A kept group still has the key of the stack that made it (kept too, so its old logs stay
        # readable); new events are encrypted with this stack's key from here on.
        _call("AssociateKmsKey", group, logs.associate_kms_key, logGroupName=group.name, kmsKeyId=group.kms_key_arn)
    _call("PutRetentionPolicy", group, logs.put_retention_policy, logGroupName=group.name,
          retentionInDays=group.retention_days)
    if group.tags:
        _call("TagResource", group, logs.tag_resource, resourceArn=group.arn, tags=group.tags)
    dropped = sorted(set(old.tags) - set(group.tags)) if old is not None and old.name == group.name else []
    if dropped:
        _call("UntagResource", group, logs.untag_resource, resourceArn=group.arn, tagKeys=dropped)
    return f"{'created' if made else 'adopted'} log group {group.name} (retention {group.retention_days} days)"
