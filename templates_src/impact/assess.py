"""The impact of a build on the environments already in the out folder, and what it refuses.

The out folder is what is committed, so what is deployed: for every environment whose template
is there and differs from the new build, the two templates are compared (``analysis``). An
unchanged template costs one read and one comparison of bytes, so this runs on every build.

The one exception is output that a shipped example made (its template says so:
``template.made_from_example``): no stack was made from it, so the env's build is a first
deploy, as if the folder held nothing of it. Anything else that is there counts as deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config.schema.model import EnvConfig
from ..facts.hazards import REFUSED_BY_BUILD, Hazard
from ..render.files import STACK_POLICY_DURING_UPDATE_FILE, STACK_POLICY_FILE, TEMPLATE_FILE
from . import OUTPUT_TYPE
from .changes import Action, Change, Finding
from .deployed import Deployed

# The analysis is imported when a template differs from the committed one: a build that changes
# nothing (most builds) pays for a read and a comparison of bytes only.


@dataclass(frozen=True)
class EnvImpact:
    env: str
    source: str                     # the params file, for "accept it in ..." hints
    accepted: frozenset[Hazard]
    changes: tuple[Change, ...] = ()
    error: str | None = None        # the committed template could not be read
    # Where the previous output is, when a shipped example made it: a first deploy, nothing compared.
    example_output: str | None = None
    still_example: bool = False     # the new build is an example's too: nothing deployed either side, no note

    def findings(self) -> list[tuple[Change, Finding]]:
        return [(change, finding) for change in self.changes for finding in change.findings]


def assess_texts(cfg: EnvConfig, old_text: str, new_text: str, stack_policy: str | bytes | None = None) -> EnvImpact:
    """``stack_policy``: the policy in force on the deployed stack (its committed stack-policy.json)."""
    accepted = frozenset(Hazard(h.value) for h in cfg.accept)
    if old_text == new_text:
        return EnvImpact(cfg.env, cfg.source, accepted)
    from .partial import impact_of_texts
    from .policy import with_policy_findings
    from .template import TemplateError

    try:
        impact = impact_of_texts(old_text, new_text, cfg.region)
    except TemplateError as exc:  # the new text is the build's own: only the committed one can be broken
        return EnvImpact(cfg.env, cfg.source, accepted, error=f"cannot read the committed template: {exc}")
    try:
        policy = json.loads(stack_policy) if stack_policy is not None else None
    except ValueError:
        policy = None  # a hand-broken policy file: CloudFormation would not have taken it either
    changes = with_policy_findings(impact.changes, policy if isinstance(policy, dict) else None)
    return EnvImpact(cfg.env, cfg.source, accepted, changes)


def _deployed(where: Path | Deployed) -> Deployed:
    return where if isinstance(where, Deployed) else Deployed.folder(where)


def assess(configs: Sequence[EnvConfig], files: Mapping[str, str], where: Path | Deployed) -> list[EnvImpact]:
    """The impact for each environment of ``configs`` that the deployed state holds: the out
    folder (committed) or a git revision's copy of it. A folder without the build's marker was
    not written by a build: nothing in it is deployed."""
    deployed = _deployed(where)
    if not deployed.has_marker():
        return []
    impacts = []
    for cfg in configs:
        path = f"{cfg.env}/{TEMPLATE_FILE}"
        try:
            old = deployed.read(path)
            policy = deployed.read(f"{cfg.env}/{STACK_POLICY_FILE}") if old is not None else None
        except OSError as exc:  # a link (never followed: config.safe_files) or a special file
            accepted = frozenset(Hazard(h.value) for h in cfg.accept)
            impacts.append(EnvImpact(cfg.env, cfg.source, accepted,
                                     error=f"cannot read the committed template: {exc.strerror or exc}"))
            continue
        if old is None:
            continue  # a new environment: its first deploy creates everything
        new = files[path]
        if old == new.encode():
            continue
        old_text = old.decode("utf-8", errors="replace")
        from .template import made_from_example

        if made_from_example(old_text):
            accepted = frozenset(Hazard(h.value) for h in cfg.accept)
            impacts.append(EnvImpact(cfg.env, cfg.source, accepted, example_output=f"{deployed.shown}/{cfg.env}/",
                                     still_example=cfg.example))
            continue
        impacts.append(assess_texts(cfg, old_text, new, policy))
    return impacts


def update_policies(configs: Sequence[EnvConfig], files: Mapping[str, str], impacts: Iterable[EnvImpact],
                    where: Path | Deployed | None) -> dict[str, str]:
    """Each env's stack-policy-during-update.json (``policy``): for a changed template, what this
    change removes and replaces of the protected resources; for an unchanged one, what the
    deployed state's file allows (the change it was built for is still the one to deploy); for
    a new env or an unreadable template, nothing (the shipped policy)."""
    from .policy import allowances, allowed_in, during_update_text, protected_in

    by_env = {impact.env: impact for impact in impacts}
    deployed = _deployed(where) if where is not None else None
    known = deployed is not None and deployed.has_marker()
    result = {}
    for cfg in configs:
        protected = protected_in(files[f"{cfg.env}/{STACK_POLICY_FILE}"])
        allow: tuple[list[str], list[str]] = ([], [])
        impact = by_env.get(cfg.env)
        if impact is not None:
            if impact.error is None:
                allow = allowances(impact.changes)
        elif known:
            assert deployed is not None
            try:
                if deployed.read(f"{cfg.env}/{TEMPLATE_FILE}") is not None:  # unchanged: carried forward
                    allow = allowed_in(deployed.read(f"{cfg.env}/{STACK_POLICY_DURING_UPDATE_FILE}"))
            except OSError:
                pass  # a link or special file: allow nothing
        result[f"{cfg.env}/{STACK_POLICY_DURING_UPDATE_FILE}"] = during_update_text(protected, *allow)
    return result


def refusals(impacts: Iterable[EnvImpact], refused: frozenset[Hazard] = REFUSED_BY_BUILD) -> list[str]:
    """One line per refused hazard that the env's params do not accept."""
    return [_line(impact, change, finding, accept_hint=True)
            for impact in impacts for change, finding in impact.findings()
            if finding.hazard in refused and finding.hazard not in impact.accepted]


def notices(impacts: Iterable[EnvImpact], refused: frozenset[Hazard] = REFUSED_BY_BUILD) -> list[str]:
    """The hazards a build prints without refusing: not refused here, or accepted by the params."""
    lines = []
    for impact in impacts:
        if impact.example_output and not impact.still_example:
            lines.append(f"note: {impact.env}: {impact.example_output} was a shipped example's output; "
                         "built as a first deploy")
        if impact.error:
            lines.append(f"warning: {impact.env}: {impact.error}; its change impact is unknown")
        for change, finding in impact.findings():
            if finding.hazard in impact.accepted:
                lines.append("accepted: " + _line(impact, change, finding))
            elif finding.hazard not in refused:
                lines.append("warning: " + _line(impact, change, finding))
    return lines


def unused_accepts(configs: Iterable[EnvConfig], impacts: Iterable[EnvImpact]) -> list[str]:
    """A note for each accepted hazard this build does not have: ``accept`` covers the next
    update only, and left in place it would let a later, unintended change of that kind through."""
    seen = {impact.env: {finding.hazard for _, finding in impact.findings()} for impact in impacts}
    lines = []
    for cfg in configs:
        unused = [h.value for h in cfg.accept if Hazard(h.value) not in seen.get(cfg.env, set())]
        if unused:
            lines.append(f"note: {cfg.source}: accept: {', '.join(unused)} accepts nothing in this build; "
                         "remove it once the change it was for is deployed")
    return lines


def _what(change: Change) -> str:
    return f"output {change.logical_id}" if change.type == OUTPUT_TYPE else change.logical_id


def _line(impact: EnvImpact, change: Change, finding: Finding, accept_hint: bool = False) -> str:
    where = f"{impact.env}: {_what(change)}" + (f": {finding.property}" if finding.property else "")
    hint = f" (or, if intended, add {finding.hazard.value} to accept in {impact.source})" if accept_hint else ""
    return f"{where}: {finding.hazard.value}: {finding.detail}; what to do: {finding.advice}{hint}"


def _summary(impact: EnvImpact) -> str:
    resources = [c for c in impact.changes if c.type != OUTPUT_TYPE]
    counts = ", ".join(f"{sum(c.action is a for c in resources)} {word}" for a, word in (
        (Action.REPLACE, "replaced"), (Action.MODIFY, "modified"), (Action.ADD, "added"), (Action.REMOVE, "removed")))
    hazards = sorted({f.hazard.value for _, f in impact.findings()})
    return (f"{impact.env}: updating the deployed stack: resources {counts}"
            + (f"; hazards: {', '.join(hazards)}" if hazards else "; no hazard"))


def _change_line(change: Change) -> str:
    kind = "" if change.type == OUTPUT_TYPE else f" ({change.type})"
    line = f"  {change.action.value} {_what(change)}{kind}"
    if change.action is Action.REPLACE:
        why = ", ".join(change.replacement_properties)
        line += f": {why} can only be set at creation"
        if change.caused_by:
            line += f" and refers to the replaced {', '.join(change.caused_by)}"
    elif change.changed_properties:
        line += f": {', '.join(change.changed_properties)}"
    return line


def describe(impacts: Iterable[EnvImpact], refused: frozenset[Hazard] = REFUSED_BY_BUILD) -> list[str]:
    """The impact in a reviewer's words: per env a summary, each change, each hazard and what to do."""
    lines = []
    for impact in impacts:
        if impact.error:
            lines.append(f"{impact.env}: {impact.error}; its change impact is unknown")
            continue
        if impact.example_output:
            lines.append(f"{impact.env}: {impact.example_output} is a shipped example's output, not a deployed "
                         "stack: a first deploy, nothing to compare")
            continue
        lines.append(_summary(impact))
        for change in impact.changes:
            lines.append(_change_line(change))
            for finding in change.findings:
                state = ("accepted in " + impact.source if finding.hazard in impact.accepted
                         else "a build refuses this" if finding.hazard in refused else "")
                prop = f" ({finding.property})" if finding.property else ""
                lines.append(f"    {finding.hazard.value}{prop}: {finding.detail}")
                lines.append(f"      what to do: {finding.advice}" + (f" [{state}]" if state else ""))
    return lines


def as_json(impacts: Iterable[EnvImpact]) -> str:
    """One JSON document: a list of {env, logical_id, type, action, replacement_properties, hazards}."""
    rows = [{"env": impact.env, "logical_id": change.logical_id, "type": change.type,
             "action": change.action.value, "replacement_properties": list(change.replacement_properties),
             "hazards": list(change.hazards)}
            for impact in impacts for change in impact.changes]
    return json.dumps(rows, indent=2)
