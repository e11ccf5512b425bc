"""Health: the stack's status, the proxy's status and each target's TargetHealth, each with what
it means and the fix in one line (the words are ``facts``'s tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .facts import (AUTH_FAILURE_ADVICE, HEALTHY_STATE, NEUTRAL_STATES, PROXY_STATUS_ADVICE,
                    PROXY_TRANSIENT_STATUSES, REASON_ADVICE, STACK_SETTLED, STATE_ADVICE, UNKNOWN_ADVICE, AuthMode)


@dataclass(frozen=True)
class TargetStatus:
    """One target of DescribeDBProxyTargets, judged."""

    target: str  # RdsResourceId
    type: str
    role: str | None
    state: str | None
    reason: str | None
    description: str | None
    healthy: bool
    advice: str | None  # the fix, one line (None when healthy)

    def lines(self) -> list[str]:
        what = " ".join(filter(None, (self.state or "NO HEALTH REPORTED", self.reason)))
        head = f"target {self.target} ({', '.join(filter(None, (self.type, self.role)))}): {what}"
        if self.description:
            head += f": {self.description}"
        return [head, *([f"  fix: {self.advice}"] if self.advice else [])]

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "type": self.type, "role": self.role, "state": self.state,
                "reason": self.reason, "description": self.description, "healthy": self.healthy,
                "advice": self.advice}


def advice(state: str | None, reason: str | None, mode: AuthMode, script: str, port: int | None) -> str:
    """The fix for a target's health, one line."""
    if reason == "AUTH_FAILURE":
        text = AUTH_FAILURE_ADVICE[mode]
    elif reason in REASON_ADVICE:
        text = REASON_ADVICE[reason]
    elif state in STATE_ADVICE:
        text = STATE_ADVICE[state]
    else:
        text = UNKNOWN_ADVICE
    return text.format(script=script, port=port if port is not None else "the database's port")


def target_statuses(targets: Sequence[Mapping[str, Any]], mode: AuthMode, script: str) -> list[TargetStatus]:
    """Each target's health. A TRACKED_CLUSTER entry stands for the cluster (its instances are the
    RDS_INSTANCE entries beside it) and reports no health of its own."""
    statuses = []
    for target in sorted(targets, key=lambda t: (t.get("Type", ""), t.get("RdsResourceId", ""))):
        if target.get("Type") == "TRACKED_CLUSTER":
            continue
        health = target.get("TargetHealth") or {}
        state, reason = health.get("State"), health.get("Reason")
        healthy = state == HEALTHY_STATE or state in NEUTRAL_STATES
        fix = None if state == HEALTHY_STATE else advice(state, reason, mode, script, target.get("Port"))
        statuses.append(TargetStatus(str(target.get("RdsResourceId", target.get("Endpoint", "?"))),
                                     str(target.get("Type", "")), target.get("Role"), state, reason,
                                     health.get("Description"), healthy, fix))
    return statuses


def stack_problem(status: str, reason: str | None) -> str | None:
    """What is wrong with the stack's status (None: settled)."""
    if status in STACK_SETTLED:
        return None
    because = f" ({reason})" if reason else ""
    if status.endswith("_IN_PROGRESS"):
        return f"stack {status}{because}: an operation is under way; run status again when it ends"
    return f"stack {status}{because}: read the stack's events (aws cloudformation describe-stack-events)"


def proxy_problem(status: str) -> str | None:
    """What is wrong with DBProxy.Status (None: available)."""
    if status == "available":
        return None
    if status in PROXY_TRANSIENT_STATUSES:
        return f"proxy {status}: a change is under way; run status again in a few minutes"
    return f"proxy {status}: {PROXY_STATUS_ADVICE.get(status, UNKNOWN_ADVICE)}"


def free_ip_line(subnets: Sequence[Mapping[str, Any]]) -> str:
    """The proxy's subnets and their free addresses (DescribeSubnets AvailableIpAddressCount)."""
    parts = [f"{s['SubnetId']} {s.get('AvailableIpAddressCount', '?')}" for s in
             sorted(subnets, key=lambda s: s["SubnetId"])]
    return "  free IP addresses in the proxy's subnets: " + ", ".join(parts)
