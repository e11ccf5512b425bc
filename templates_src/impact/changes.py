"""What the change analysis says: each resource's or output's change, and its findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..facts.hazards import Hazard


class Action(str, enum.Enum):
    ADD = "add"
    REMOVE = "remove"
    MODIFY = "modify"
    REPLACE = "replace"


@dataclass(frozen=True)
class Finding:
    hazard: Hazard
    property: str   # the property (or output, policy) it is about; "" for the whole resource
    detail: str     # what would happen, for a reviewer
    advice: str     # what to do


@dataclass(frozen=True)
class Change:
    logical_id: str
    type: str
    action: Action
    replacement_properties: tuple[str, ...] = ()
    changed_properties: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    caused_by: tuple[str, ...] = ()  # replaced resources whose new ids alone force this replacement

    @property
    def hazards(self) -> tuple[str, ...]:
        return tuple(sorted({f.hazard.value for f in self.findings}))


@dataclass(frozen=True)
class Impact:
    """What updating the stack from one template to the other does."""

    changes: tuple[Change, ...] = ()
    replaced: frozenset[str] = field(default_factory=frozenset)

    def findings(self) -> list[tuple[Change, Finding]]:
        return [(change, finding) for change in self.changes for finding in change.findings]
