"""A small model of CloudFormation's create, update, rollback and delete, for the scenarios.

It is independent of the change analysis (``templates_src.impact.analysis``) except for what
both read from the provider schemas (which properties are create-only, which one is a name):
it resolves every Ref and GetAtt to the physical resource behind it, so a replacement shows in
every property that refers to it by itself, and it keeps an account-wide registry of names,
orphans and exports. Behaviours modelled, with their sources:
- create in dependency order; a failure rolls the operation back: resources it created are
  deleted, except DeletionPolicy Retain (kept even then); RetainExceptOnCreate "behaves like
  Retain for stack operations, except for the stack operation that initially created the
  resource", which rolls back by deleting it
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html);
- update: a changed create-only property creates the replacement first (its name must be
  free), references move to it, and the old one is deleted or, by UpdateReplacePolicy, kept
  in the cleanup phase; resources left out of the template go in the cleanup too, by their
  DeletionPolicy (.../aws-attribute-updatereplacepolicy.html, using-cfn-updating-stacks-update-behaviors.html);
- a name is held by a resource until it is deleted, orphans included (aws-properties-name.html);
- exports: a stack cannot remove, rename or change an export another stack imports, nor be
  deleted while one is imported; export names are unique in the account and region
  (using-cfn-stack-exports.html);
- a secret's GenerateSecretString: a new value when it changes or the secret is new;
- the stack policy: an update runs under the policy set on the stack, or the one it brings for
  that update only (StackPolicyDuringUpdateBody); each modified, replaced and removed resource
  must be allowed (Update:Modify/Replace/Delete) by it: an explicit Deny wins, and what no
  statement allows is denied; a denial fails the update, which rolls back ("Prevent updates to
  stack resources", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html).
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
from dataclasses import dataclass, field
from typing import Any

from templates_src.facts import aws as facts
from templates_src.facts import cloudformation
from templates_src.impact.analysis import MISSING, schema_for, value_at
from templates_src.impact.template import Template, references

_ids = itertools.count(1)


@dataclass
class Physical:
    pid: str
    stack: str | None          # None once orphaned
    logical_id: str
    type: str
    properties: dict[str, Any]
    names: tuple[tuple[Any, ...], ...]
    deletion_policy: str | None
    secret_generation: int = 0


@dataclass
class Outcome:
    ok: bool
    failure: str = ""
    cause: tuple[str, str] | None = None          # (kind, detail): name-taken / export-in-use / type-change
    holder: Physical | None = None                # who held a taken name
    regenerated: set[str] = field(default_factory=set)
    orphaned: set[str] = field(default_factory=set)          # logical ids kept outside the stack
    new_endpoints: set[str] = field(default_factory=set)
    changed_exports: set[str] = field(default_factory=set)   # output names whose export breaks
    rollback_orphans: set[str] = field(default_factory=set)


@dataclass
class Stack:
    name: str
    region: str
    template: Template | None = None
    physical: dict[str, str] = field(default_factory=dict)   # logical id -> pid
    policy: dict[str, Any] | None = None                      # the stack policy; None: none set


def policy_denies(policy: dict[str, Any] | None, action: str, logical_id: str) -> bool:
    """A stack policy's answer for ``action`` on a resource (no policy: everything allowed)."""
    if policy is None:
        return False
    resource = f"LogicalResourceId/{logical_id}"

    def hits(patterns: Any, value: str) -> bool:
        return any(fnmatch.fnmatchcase(value, p) for p in ([patterns] if isinstance(patterns, str) else patterns))

    matching = [s for s in policy["Statement"] if hits(s["Action"], action) and hits(s["Resource"], resource)]
    return any(s["Effect"] == "Deny" for s in matching) or not any(s["Effect"] == "Allow" for s in matching)


class Cloud:
    """One account and region: every physical resource, the names they hold, the exports."""

    def __init__(self) -> None:
        self.resources: dict[str, Physical] = {}
        self.exports: dict[str, tuple[str, Any]] = {}   # export name -> (stack, value)
        self.importers: dict[str, set[str]] = {}        # export name -> importing stacks

    def copy(self) -> "Cloud":
        return copy.deepcopy(self)

    def holder(self, names: tuple[tuple[Any, ...], ...]) -> Physical | None:
        for res in self.resources.values():
            if set(res.names) & set(names):
                return res
        return None

    def orphans(self) -> list[Physical]:
        return [r for r in self.resources.values() if r.stack is None]

    # -- resolution ------------------------------------------------------------------------
    def _resolve(self, value: Any, stack: Stack, mapping: dict[str, str]) -> Any:
        if isinstance(value, dict):
            if "Ref" in value and isinstance(value["Ref"], str):
                ref = value["Ref"]
                if ref.startswith("AWS::"):
                    return f"{ref}={stack.name}" if ref == "AWS::StackName" else f"{ref}"
                return f"ref:{mapping.get(ref, '?' + ref)}"
            if "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                name, attribute = (target if isinstance(target, list) else str(target).split(".", 1))
                return f"att:{mapping.get(name, '?' + name)}:{attribute}"
            if "Fn::Sub" in value:
                sub = value["Fn::Sub"]
                text, variables = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
                resolved_vars = {k: self._resolve(v, stack, mapping) for k, v in (variables or {}).items()}
                for ref in sorted(set(references({"Fn::Sub": text})), key=len, reverse=True):
                    text = text.replace("${" + ref, "${" + self._resolve({"Ref": ref}, stack, mapping))
                text = text.replace("${AWS::StackName}", stack.name)
                return {"Fn::Sub": [text, resolved_vars]}
            return {k: self._resolve(v, stack, mapping) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, stack, mapping) for v in value]
        return value

    def _names(self, type_name: str, properties: dict[str, Any], region: str) -> tuple[tuple[Any, ...], ...]:
        """The names a resource would hold: (type, name property, value[, parent for scoped names])."""
        schema = schema_for(region, type_name)
        held = []
        for name in schema.name_properties:
            value = value_at(properties, name)
            if value is MISSING:
                continue
            if not isinstance(value, (str, int)):
                value = repr(value)
            if name in schema.primary_identifier:
                held.append((type_name, name, value))
            else:  # scoped by its parent: the other create-only references
                parents = tuple(repr(value_at(properties, p)) for p in schema.create_only if p != name)
                held.append((type_name, name, value, parents))
        return tuple(held)

    # -- operations ------------------------------------------------------------------------
    def create(self, stack: Stack, template: Template, policy: dict[str, Any] | None = None) -> Outcome:
        stack.policy = policy
        return self.update(stack, template, creating=True)

    def update(self, stack: Stack, new: Template, creating: bool = False,
               during_update: dict[str, Any] | None = None) -> Outcome:
        old = stack.template if not creating else Template({}, {})
        assert old is not None
        in_force = None if creating else (during_update if during_update is not None else stack.policy)
        mapping = dict(stack.physical)
        created: list[str] = []
        outcome = Outcome(ok=True)
        replaced_old: list[tuple[str, str]] = []   # (logical id, old pid)
        modified: dict[str, Physical] = {}
        for lid in _order(new):
            res = new.resources[lid]
            props = self._resolve(res.properties, stack, mapping)
            policy = res.attributes.get("DeletionPolicy")
            schema = schema_for(stack.region, res.type)
            current = self.resources.get(mapping.get(lid, ""))
            if current is not None and current.type != res.type:
                return self._fail(stack, outcome, created, modified, ("type-change", lid), None)
            if current is not None and not any(
                    value_at(current.properties, p) != value_at(props, p) for p in schema.create_only):
                if current.properties != props:
                    if policy_denies(in_force, "Update:Modify", lid):
                        return self._fail(stack, outcome, created, modified, ("stack-policy", lid), None)
                    modified[lid] = copy.deepcopy(current)
                    if (res.type == cloudformation.SECRET_TYPE and cloudformation.GENERATED_SECRET_PROPERTY in props
                            and current.properties.get(cloudformation.GENERATED_SECRET_PROPERTY)
                            != props.get(cloudformation.GENERATED_SECRET_PROPERTY)):
                        current.secret_generation += 1
                        outcome.regenerated.add(lid)
                    current.properties = props
                    current.deletion_policy = policy
                continue
            if current is not None and policy_denies(in_force, "Update:Replace", lid):
                return self._fail(stack, outcome, created, modified, ("stack-policy", lid), None)
            names = self._names(res.type, props, stack.region)
            if (holder := self.holder(names)) is not None:
                return self._fail(stack, outcome, created, modified, ("name-taken", lid), holder)
            pid = f"{res.type.rsplit('::', 1)[-1].lower()}-{next(_ids)}"
            self.resources[pid] = Physical(pid, stack.name, lid, res.type, props, names, policy)
            created.append(pid)
            if current is not None:
                replaced_old.append((lid, current.pid))
                if res.type == cloudformation.SECRET_TYPE and cloudformation.GENERATED_SECRET_PROPERTY in props:
                    outcome.regenerated.add(lid)
                if res.type in cloudformation.ENDPOINT_TYPES:
                    outcome.new_endpoints.add(lid)
            mapping[lid] = pid
        # Outputs: exports removed, renamed or changed while imported stop the update.
        exports_before = {n: e for n, e in self.exports.items() if e[0] == stack.name}
        exports_after: dict[str, tuple[str, Any]] = {}
        for name, output in new.outputs.items():
            if output.export is not None:
                export = str(self._resolve(output.export, stack, mapping))
                exports_after[export] = (stack.name, self._resolve(output.value, stack, mapping))
        for name, output in old.outputs.items():
            if output.export is None:
                continue
            export = str(self._resolve(output.export, stack, stack.physical))
            if exports_after.get(export) != exports_before.get(export):
                outcome.changed_exports.add(name)
                if self.importers.get(export):
                    return self._fail(stack, outcome, created, modified, ("export-in-use", export), None)
        for lid in sorted(set(old.resources) - set(new.resources)):
            if lid in stack.physical and policy_denies(in_force, "Update:Delete", lid):
                return self._fail(stack, outcome, created, modified, ("stack-policy", lid), None)
        # Cleanup: the replaced and the removed go, or stay as orphans by their policies.
        replace_policy = {lid: new.resources[lid].attributes.get("UpdateReplacePolicy") for lid, _ in replaced_old}
        gone = [(pid, replace_policy[lid]) for lid, pid in replaced_old]
        gone += [(stack.physical[lid], old.resources[lid].attributes.get("DeletionPolicy"))
                 for lid in old.resources if lid not in new.resources and lid in stack.physical]
        for pid, policy in gone:
            if policy in cloudformation.RETAIN_POLICIES:
                self.resources[pid].stack = None
                outcome.orphaned.add(self.resources[pid].logical_id)
            else:
                del self.resources[pid]
        for export in [e for e, (owner, _) in self.exports.items() if owner == stack.name]:
            del self.exports[export]
        self.exports.update(exports_after)
        stack.template = new
        stack.physical = {lid: mapping[lid] for lid in new.resources}
        return outcome

    def _fail(self, stack: Stack, outcome: Outcome, created: list[str], modified: dict[str, Physical],
              cause: tuple[str, str], holder: Physical | None) -> Outcome:
        """Roll back: what this operation created goes (RetainExceptOnCreate too; Retain stays),
        what it modified gets its old properties back. The stack keeps its old template."""
        for pid in created:
            if self.resources[pid].deletion_policy == "Retain":
                self.resources[pid].stack = None
                outcome.rollback_orphans.add(self.resources[pid].logical_id)
            else:
                del self.resources[pid]
        for lid, before in modified.items():
            self.resources[before.pid] = before
        outcome.ok, outcome.cause, outcome.holder = False, cause, holder
        outcome.failure = f"{cause[0]}: {cause[1]}" + (f" (held by {holder.logical_id})" if holder else "")
        return outcome

    def delete(self, stack: Stack) -> Outcome:
        outcome = Outcome(ok=True)
        for export, (owner, _) in self.exports.items():
            if owner == stack.name and self.importers.get(export):
                outcome.ok, outcome.cause = False, ("export-in-use", export)
                outcome.failure = f"export-in-use: {export}"
                return outcome
        for lid, pid in stack.physical.items():
            if self.resources[pid].deletion_policy in cloudformation.RETAIN_POLICIES:
                self.resources[pid].stack = None
                outcome.orphaned.add(lid)
            else:
                del self.resources[pid]
        self.exports = {e: v for e, v in self.exports.items() if v[0] != stack.name}
        stack.template, stack.physical = None, {}
        return outcome


def _order(template: Template) -> list[str]:
    """Logical ids so that each comes after what it refers to or depends on."""
    resources = template.resources
    deps = {lid: {r for r in references(res.properties) if r in resources}
            | {d for d in _list(res.attributes.get("DependsOn")) if d in resources}
            for lid, res in resources.items()}
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(lid: str) -> None:
        if lid in seen:
            return
        seen.add(lid)
        for dep in sorted(deps[lid]):
            visit(dep)
        ordered.append(lid)

    for lid in sorted(resources):
        visit(lid)
    return ordered


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])
