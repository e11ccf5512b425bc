"""The lifecycle model's own semantics (what the scenarios rely on), on planted templates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from builders.envs import make_cfg
from templates_src.impact.template import Template, references
from templates_src.builders.stack import build_template

from .lifecycle import Cloud, Stack

pytestmark = pytest.mark.unit

BASE = build_template(make_cfg()).to_dict()


def _with_policies(policy: str) -> dict[str, Any]:
    tree = copy.deepcopy(BASE)
    for resource in tree["Resources"].values():
        if "DeletionPolicy" in resource:
            resource["DeletionPolicy"] = policy
    return tree


def _log_group(tree: dict[str, Any]) -> str:
    return next(lid for lid, r in tree["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup")


def _blocked_create(policy: str):
    """Create the stack while another stack already holds the log group's name: it rolls back."""
    tree = _with_policies(policy)
    cloud = Cloud()
    other = copy.deepcopy(tree)
    other["Resources"] = {_log_group(tree): tree["Resources"][_log_group(tree)]}
    other["Outputs"] = {}
    assert cloud.create(Stack("holder", "eu-west-1"), Template.from_tree(other)).ok
    outcome = cloud.create(Stack("new", "eu-west-1"), Template.from_tree(tree))
    return tree, cloud, outcome


def test_retain_except_on_create_is_deleted_when_its_creation_rolls_back() -> None:
    tree, cloud, outcome = _blocked_create("RetainExceptOnCreate")
    assert not outcome.ok and outcome.cause == ("name-taken", _log_group(tree))
    assert not outcome.rollback_orphans
    assert [r.stack for r in cloud.resources.values()] == ["holder"]  # nothing of "new" is left


def test_retain_is_kept_even_when_its_creation_rolls_back() -> None:
    tree, cloud, outcome = _blocked_create("Retain")
    assert not outcome.ok
    created_first = {lid for lid, r in tree["Resources"].items() if r.get("DeletionPolicy") == "Retain"} - {
        _log_group(tree)}
    assert outcome.rollback_orphans and outcome.rollback_orphans <= created_first
    assert {o.logical_id for o in cloud.orphans()} == outcome.rollback_orphans


def test_delete_keeps_both_retain_policies_and_is_blocked_by_an_import() -> None:
    for policy in ("Retain", "RetainExceptOnCreate"):
        tree = _with_policies(policy)
        cloud, stack = Cloud(), Stack("s", "eu-west-1")
        assert cloud.create(stack, Template.from_tree(tree)).ok
        export = next(iter(cloud.exports))
        cloud.importers[export] = {"consumer"}
        assert not cloud.delete(stack).ok
        cloud.importers[export] = set()
        deleted = cloud.delete(stack)
        assert deleted.ok
        assert deleted.orphaned == {lid for lid, r in tree["Resources"].items() if r.get("DeletionPolicy") == policy}


def test_a_replacement_moves_references_to_the_new_resource() -> None:
    cloud, stack = Cloud(), Stack("s", "eu-west-1")
    assert cloud.create(stack, Template.from_tree(BASE)).ok
    proxy = next(lid for lid, r in BASE["Resources"].items() if r["Type"] == "AWS::RDS::DBProxy")
    renamed = copy.deepcopy(BASE)
    renamed["Resources"][proxy]["Properties"]["DBProxyName"] = "orders-renamed"
    before = dict(stack.physical)
    outcome = cloud.update(stack, Template.from_tree(renamed))
    assert outcome.ok and outcome.new_endpoints == {proxy}
    dependents = {lid for lid, r in renamed["Resources"].items() if proxy in references(r.get("Properties", {}))}
    assert dependents
    for lid in dependents:  # their resolved properties name the new proxy
        assert stack.physical[proxy] in repr(cloud.resources[stack.physical[lid]].properties), lid
    assert before[proxy] not in cloud.resources  # the old proxy was deleted in the cleanup
