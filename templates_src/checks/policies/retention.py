"""The retention policy: the secrets, their key and the proxy's log group outlive the stack.

Kept when the stack is deleted or a change replaces them (losing the key makes the secrets
unreadable). Guard form: ``policies/retention.guard``; the table of rules: ``rules``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import Path, resources_of, say, waived

RETAINED_TYPES = ("AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::Logs::LogGroup", "Custom::AdoptedLogGroup")
DELETION_POLICIES = ("Retain", "RetainExceptOnCreate")  # RetainExceptOnCreate: a failed create cleans up

FIX_RETAIN = "Fix: set secrets.retain_on_delete: true"

MESSAGES = {
    "deletion": "Violation: secrets, KMS keys and log groups must have DeletionPolicy: Retain or RetainExceptOnCreate",
    "replace": "Violation: secrets, KMS keys and log groups must have UpdateReplacePolicy: Retain",
}


_say = partial(say, MESSAGES)


def retained(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, resource in resources_of(template, RETAINED_TYPES):
        if waived(resource, "secrets_key_and_logs_retained"):
            continue
        if resource.get("DeletionPolicy") not in DELETION_POLICIES:
            yield ("Resources", name, "DeletionPolicy"), _say("deletion", FIX_RETAIN)
        if resource.get("UpdateReplacePolicy") != "Retain":
            yield ("Resources", name, "UpdateReplacePolicy"), _say("replace", FIX_RETAIN)
