"""Lifecycle scenarios: every step predicted to work, or flagged (and refused) before deploy.

For every example environment and a few fixtures: create the stack (another stack imports every
export), then change each params key alone to another valid value (``impact.variants``) and
back, then delete the stack and create it again. Before each step the change analysis predicts
it; the model of CloudFormation (``lifecycle``) then plays it, and the two must agree:
- the model fails the update on a name taken by the resource being replaced exactly when the
  analysis says update-fails (and the build refuses it: it is not deployed);
- secrets get new values exactly where it says regenerates-secret (refused too);
- proxies and endpoints get new physical ids exactly where it says changes-endpoint;
- exports change exactly where it says breaks-export, and the importing stack stops the update
  (the reviewer then moves it off, as the advice says, and the step is deployed);
- resources are orphaned exactly where it says replaces-retained; a later step that fails on a
  name held by an orphan fails only on one that was flagged so (the reviewer deletes it);
- after deleting the stack, creating it again fails exactly when a retained resource with a fixed
  name is left behind (``analysis.deletion_leftovers``);
- the stack is created with its stack policy (stack-policy.json): an update without an override
  fails on the policy exactly where the analysis says denied-by-policy, and every update deployed
  runs under the build's stack-policy-during-update.json, which lets the step through (never an
  allow-all: it allows only what the step removes or replaces of the protected resources).
"""

from __future__ import annotations

import dataclasses

import copy
from typing import Any

import pytest

from templates_src.facts import aws as facts
from templates_src.facts import cloudformation
from templates_src.config.schema.model import EnvConfig
from templates_src.facts.hazards import Hazard
from templates_src.impact.analysis import OUTPUT_TYPE, analyse, deletion_leftovers
from templates_src.impact.assess import EnvImpact, refusals
from templates_src.docgen.key_table import NEW_STACK
from templates_src.impact.policy import allowances, during_update_text
from templates_src.render.files import policy_body, protected_ids
from templates_src.impact.template import Template
from templates_src.impact.variants import key_paths, shown

from .cases import case, case_names, cases, template_of
from .lifecycle import Cloud, Outcome, Stack

pytestmark = pytest.mark.lifecycle

CONSUMER = "consumer-stack"


def shipped_policy(template: Template) -> dict[str, Any]:
    """stack-policy.json of a template."""
    return policy_body(protected_ids({lid: r.type for lid, r in template.resources.items()}))


def during_update(changes: Any, new: Template) -> dict[str, Any]:
    """stack-policy-during-update.json as the build writes it for this change."""
    import json

    protected = protected_ids({lid: r.type for lid, r in new.resources.items()})
    return json.loads(during_update_text(protected, *allowances(changes)))


def predicted(changes: Any) -> dict[Hazard, set[str]]:
    found: dict[Hazard, set[str]] = {h: set() for h in Hazard}
    for change in changes:
        for finding in change.findings:
            found[finding.hazard].add(change.logical_id)
    return found


class Scenario:
    def __init__(self, cfg: EnvConfig) -> None:
        self.cfg = cfg
        self.cloud = Cloud()
        self.stack = Stack(cfg.stack_name or cfg.env, cfg.region)
        self.flagged_orphans: set[str] = set()   # logical ids a deployed step left, flagged replaces-retained
        self.log: list[str] = []
        self.policy: dict[str, Any] | None = None   # the during-update policy of the step being played

    def consume_every_export(self) -> None:
        for export in self.cloud.exports:
            self.cloud.importers.setdefault(export, set()).add(CONSUMER)

    def _trial(self, new: Template, policy: dict[str, Any] | None = None) -> Outcome:
        cloud, stack = self.cloud.copy(), copy.deepcopy(self.stack)
        return cloud.update(stack, new, during_update=policy)

    def step(self, label: str, new: Template, cfg: EnvConfig) -> bool:
        """Predict, play and (unless refused) deploy one update; whether it was deployed."""
        assert self.stack.template is not None
        changes = analyse(self.stack.template, new, cfg.region, stack_policy=self.stack.policy).changes
        hazards = predicted(changes)
        self.policy = during_update(changes, new)
        # Without the override the stack's own policy is in force: it stops the update on a change
        # flagged denied-by-policy, and only on one (the model may meet another failure first).
        plain = self._trial(new, None)
        if plain.cause and plain.cause[0] == "stack-policy":
            assert plain.cause[1] in hazards[Hazard.DENIED_BY_POLICY], (label, plain.failure)
        if hazards[Hazard.DENIED_BY_POLICY]:
            assert not plain.ok, label
        else:
            assert not (plain.cause and plain.cause[0] == "stack-policy"), (label, plain.failure)
        exports = {c.logical_id for c in changes if c.type == OUTPUT_TYPE and c.findings}
        refused = refusals([EnvImpact(cfg.env, cfg.source, frozenset(), changes)])
        trial = self._trial(new, self.policy)
        if hazards[Hazard.UPDATE_FAILS]:
            # Predicted to fail: the model fails on a name the replaced resource still holds.
            assert not trial.ok and trial.cause, label
            assert trial.cause[0] in ("name-taken", "type-change"), (label, trial.failure)
            if trial.cause[0] == "name-taken":
                assert trial.holder and trial.holder.stack == self.stack.name, (label, trial.failure)
                assert trial.cause[1] in hazards[Hazard.UPDATE_FAILS], (label, trial.failure)
            assert refused, label  # the build refuses it: never deployed
            self.log.append(f"{label}: refused (update-fails)")
            return False
        if trial.cause and trial.cause[0] == "export-in-use":
            assert exports, (label, trial.failure)  # flagged breaks-export
        # The reviewer moves the importers off the flagged exports (the advice), then it must pass
        # or fail only on a flagged orphan's name.
        cloud_without = self.cloud.copy()
        for export in list(cloud_without.importers):
            cloud_without.importers[export].discard(CONSUMER) if exports else None
        trial = cloud_without.update(copy.deepcopy(self.stack), new, during_update=self.policy)
        if not trial.ok:
            assert trial.cause and trial.cause[0] == "name-taken", (label, trial.failure)
            assert trial.holder and trial.holder.stack is None and trial.holder.logical_id in self.flagged_orphans, \
                (label, trial.failure)
        else:
            assert trial.regenerated == hazards[Hazard.REGENERATES_SECRET], label
            assert trial.new_endpoints == hazards[Hazard.CHANGES_ENDPOINT], label
            assert trial.orphaned == hazards[Hazard.REPLACES_RETAINED], label
            assert trial.changed_exports == exports, label
        if refused:
            assert hazards[Hazard.REGENERATES_SECRET], label
            self.log.append(f"{label}: refused (regenerates-secret)")
            return False
        self.deploy(label, new, move_importers=bool(exports))
        return True

    def new_stack(self, label: str, new: Template, cfg: EnvConfig) -> None:
        """region / stack_name: not an update but another stack. In another region it is created
        in an account of its own; beside the old one, it fails exactly when it fixes a name."""
        cloud = Cloud() if cfg.region != self.cfg.region else self.cloud.copy()
        outcome = cloud.create(Stack(cfg.stack_name or cfg.env, cfg.region), new)
        named = any(cloud._names(r.type, r.properties, cfg.region) for r in new.resources.values())
        assert outcome.ok == (cfg.region != self.cfg.region or not named), (label, outcome.failure)
        self.log.append(f"{label}: another stack ({'created' if outcome.ok else outcome.failure})")

    def deploy(self, label: str, new: Template, move_importers: bool) -> None:
        if move_importers:
            for importers in self.cloud.importers.values():
                importers.discard(CONSUMER)
        outcome = self.cloud.update(self.stack, new, during_update=self.policy)
        while not outcome.ok and outcome.holder is not None and outcome.holder.stack is None:
            # a flagged orphan holds the name: the reviewer deletes it by hand (each of them)
            assert outcome.holder.logical_id in self.flagged_orphans, (label, outcome.failure)
            del self.cloud.resources[outcome.holder.pid]
            self.flagged_orphans.discard(outcome.holder.logical_id)
            outcome = self.cloud.update(self.stack, new, during_update=self.policy)
        assert outcome.ok, (label, outcome.failure)
        self.stack.policy = shipped_policy(new)  # deploy.sh: set-stack-policy after the update
        self.flagged_orphans |= outcome.orphaned
        self.consume_every_export()
        self.log.append(f"{label}: deployed")

    def delete_and_create_again(self, base: Template) -> None:
        assert self.stack.template is not None
        leftovers = {lid for lid, _, _ in deletion_leftovers(self.stack.template, self.cfg.region)}
        retained = {lid for lid, r in self.stack.template.resources.items()
                    if r.attributes.get("DeletionPolicy") in cloudformation.RETAIN_POLICIES}
        for importers in self.cloud.importers.values():
            importers.discard(CONSUMER)
        deleted = self.cloud.delete(self.stack)
        assert deleted.ok and deleted.orphaned == retained
        again = self.cloud.create(self.stack, base, shipped_policy(base))
        if not leftovers:
            assert again.ok, again.failure
            return
        assert not again.ok and again.cause and again.cause[0] == "name-taken", again.failure
        assert again.holder is not None and again.holder.logical_id in leftovers
        # Rolling back the creating operation: RetainExceptOnCreate resources go, Retain ones stay.
        for lid in again.rollback_orphans:
            assert base.resources[lid].attributes.get("DeletionPolicy") == "Retain", lid
        for orphan in [o for o in self.cloud.orphans() if o.names]:
            del self.cloud.resources[orphan.pid]   # what to do: delete the named leftovers by hand
        assert self.cloud.create(self.stack, base, shipped_policy(base)).ok


@pytest.mark.parametrize("name", case_names())
def test_create_change_each_key_delete_and_create_again(name: str) -> None:
    _, cfg, variants = case(name)
    scenario = Scenario(cfg)
    base = template_of(cfg)
    assert scenario.cloud.create(scenario.stack, base, shipped_policy(base)).ok
    scenario.consume_every_export()
    assert variants
    for path, value, new_cfg in variants:
        label = f"{shown(path)} -> {value!r}"
        if path in NEW_STACK:
            scenario.new_stack(label, template_of(new_cfg), new_cfg)
        elif scenario.step(label, template_of(new_cfg), new_cfg):
            scenario.step(f"{shown(path)} back", base, cfg)
    scenario.delete_and_create_again(base)
    assert any(line.endswith("deployed") for line in scenario.log)


# Keys no example or fixture can change on its own (a weakening needs its waiver with it, a
# waiver needs the weakening, rotation settings need rotation_days). A new key belongs here only
# if that is true of it too; otherwise give it a value in impact/variants.py (WHEN_ABSENT).
# proxy.default_auth_scheme turns end-to-end IAM on or off, which needs (or forbids)
# target.database_resource_id in the same change. network.create_security_group false refuses the
# client keys that true requires, so it switches only with them (test_security_groups replays it).
# provisioner.aws_apis_via: vpc_endpoints needs the endpoints' group and prefix list that nat
# refuses (tests/builders/test_provisioner.py builds both).
CHANGE_ONLY_WITH_OTHERS = {"proxy.require_tls", "users[].iam_auth", "users[].privileges", "secrets.rotation_strategy",
                           "secrets.rotation_superuser_secret_arn", "waivers.iam_auth", "waivers.require_tls", "waivers.alarms",
                           "proxy.default_auth_scheme", "network.create_security_group", "provisioner.aws_apis_via"}


def test_the_scenarios_change_every_key_and_plant_every_hazard() -> None:
    """Across the examples and fixtures every key changes alone (but those that cannot), and the
    key changes flag each hazard at least once."""
    seen: set[str] = set()
    changed: set[str] = set()
    for _, cfg, variants in cases():
        base = template_of(cfg)
        for path, _, new_cfg in variants:
            changed.add(shown(path))
            for change in analyse(base, template_of(new_cfg), cfg.region, shipped_policy(base)).changes:
                seen.update(change.hazards)
        if cfg.provisioner is not None:  # the section removed as a whole, which no one key's change does
            without = template_of(dataclasses.replace(cfg, provisioner=None))
            seen.update(h for change in analyse(base, without, cfg.region).changes for h in change.hazards)
    assert seen == {h.value for h in Hazard}
    assert {shown(p) for p in key_paths()} - changed == CHANGE_ONLY_WITH_OTHERS
