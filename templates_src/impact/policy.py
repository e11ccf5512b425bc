"""The stack policy in the change analysis: what a policy denies of a change, and the policy one
update runs under (``stack-policy-during-update.json``).

CloudFormation checks every resource an update modifies, replaces or deletes against the stack
policy in force when the update starts; ``UpdateStack``'s ``StackPolicyDuringUpdateBody``
overrides it for that update only. A Deny overrides any Allow, and what no statement allows is
denied ("Prevent updates to stack resources",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html;
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html).

Why the build writes the during-update policy (and deploy.sh computes nothing): the policy must
let through exactly the deletions and replacements of the *reviewed* change, the one from the
committed (deployed) template to the new one, which only the build knows. Computed by deploy.sh
from a change set it would allow whatever the deploy does, reviewed or not, which is what the
policy is there to stop. The file is part of the reviewed diff; a deploy of another change than
the one it was built for fails under it and rolls back (nothing is lost).

A build that does not change an env's template keeps the committed file (re-rendered from what
it allows): the change it describes is still the one to deploy, and building twice writes the
same bytes.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..facts.hazards import Hazard
from ..render.files import PROTECTED_TYPES, STACK_POLICY_DURING_UPDATE_FILE, json_text, policy_body
from .changes import Action, Change, Finding

UPDATE_ACTION = {Action.MODIFY: "Update:Modify", Action.REPLACE: "Update:Replace", Action.REMOVE: "Update:Delete"}


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


def _matches(patterns: Iterable[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether a statement covers ``action`` on ``resource`` (LogicalResourceId/<id>). A
    Condition (on ResourceType) is taken to apply: the build's policies have none."""
    if "Action" in statement and not _matches(_listed(statement["Action"]), action):
        return False
    if "NotAction" in statement and _matches(_listed(statement["NotAction"]), action):
        return False
    if "Resource" in statement and not _matches(_listed(statement["Resource"]), resource):
        return False
    if "NotResource" in statement and _matches(_listed(statement["NotResource"]), resource):
        return False
    return True


def denies(body: Mapping[str, Any], action: str, logical_id: str) -> bool:
    """Whether the stack policy ``body`` denies ``action`` (Update:Modify/Replace/Delete) on a resource."""
    resource = f"LogicalResourceId/{logical_id}"
    applying = [s for s in body.get("Statement") or [] if isinstance(s, Mapping) and _applies(s, action, resource)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return True
    return not any(s.get("Effect") == "Allow" for s in applying)


def denied(changes: Iterable[Change], body: Mapping[str, Any]) -> list[tuple[Change, str]]:
    """Each resource change (and its action) that the stack policy ``body`` denies."""
    return [(change, UPDATE_ACTION[change.action]) for change in changes
            if change.action in UPDATE_ACTION and denies(body, UPDATE_ACTION[change.action], change.logical_id)]


def with_policy_findings(changes: Sequence[Change], body: Mapping[str, Any] | None) -> tuple[Change, ...]:
    """``changes`` with a denied-by-policy finding on each change the policy in force denies."""
    if body is None:
        return tuple(changes)
    found = {change.logical_id: action for change, action in denied(changes, body)}
    result = []
    for change in changes:
        if (action := found.get(change.logical_id)) is not None and change.type != "Output":
            finding = Finding(
                Hazard.DENIED_BY_POLICY, "",
                f"the stack policy in force denies {action} on it: an update that does not override the policy "
                "for its run (update-stack or a change set without --stack-policy-during-update-body, CodePipeline "
                "with template-configuration.json, the console) fails and rolls back",
                f"deploy with deploy.sh, which passes {STACK_POLICY_DURING_UPDATE_FILE} (it allows exactly this "
                "change's deletions and replacements of protected resources), or pass that file as "
                "--stack-policy-during-update-body")
            change = Change(change.logical_id, change.type, change.action, change.replacement_properties,
                            change.changed_properties, (*change.findings, finding), change.caused_by)
        result.append(change)
    return tuple(result)



def allowances(changes: Iterable[Change]) -> tuple[list[str], list[str]]:
    """(ids to allow Update:Delete on, ids to allow Update:Replace on): the protected resources
    that this change removes and replaces."""
    protected = [c for c in changes if c.type in PROTECTED_TYPES]
    return (sorted(c.logical_id for c in protected if c.action is Action.REMOVE),
            sorted(c.logical_id for c in protected if c.action is Action.REPLACE))


def allowed_in(text: str | bytes | None) -> tuple[list[str], list[str]]:
    """What a committed during-update policy allows by name (its Allow statements); nothing
    when it is missing or unreadable (then the update is as protected as the stack)."""
    try:
        body = json.loads(text) if text is not None else {}
    except ValueError:
        return [], []
    allowed: dict[str, list[str]] = {"Update:Delete": [], "Update:Replace": []}
    for statement in body.get("Statement") or [] if isinstance(body, dict) else []:
        if isinstance(statement, dict) and statement.get("Effect") == "Allow" and statement.get("Action") in allowed:
            allowed[statement["Action"]] += [r.split("/", 1)[1] for r in _listed(statement.get("Resource"))
                                             if r.startswith("LogicalResourceId/") and "*" not in r]
    return allowed["Update:Delete"], allowed["Update:Replace"]


def protected_in(shipped_policy: str) -> list[str]:
    """The protected logical ids of a rendered stack-policy.json (its Deny statements)."""
    body = json.loads(shipped_policy)
    return sorted({r.split("/", 1)[1] for s in body["Statement"] if s.get("Effect") == "Deny"
                   for r in _listed(s.get("Resource"))})


def during_update_text(protected: Sequence[str], allow_delete: Sequence[str], allow_replace: Sequence[str]) -> str:
    """stack-policy-during-update.json: the shipped policy, but for the deletions (of resources
    the new template no longer has) and replacements (of resources it keeps) of this change."""
    keep = set(protected)
    return json_text(policy_body(protected, [i for i in allow_delete if i not in keep],
                                 [i for i in allow_replace if i in keep]))
