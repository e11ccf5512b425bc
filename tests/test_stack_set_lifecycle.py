"""The stack that holds an env's stack set, through a failed first create, a retry and a delete,
in the lifecycle model (tests/impact/lifecycle.py, which follows the DeletionPolicy page:
RetainExceptOnCreate keeps a resource on every stack operation but the one that created it).

A first create that fails after the stack set exists must not leave the stack set behind (its
name would block the retry); deleting the stack must keep the stack set (every instance's proxy).
"""

from __future__ import annotations

import copy

import pytest

from templates_src.impact.template import Template
from templates_src.stacksets import template as stack_set_template

from conftest import example_configs
from impact.lifecycle import Cloud, Stack

pytestmark = pytest.mark.lifecycle

# A resource created after the stack set whose name another stack already holds: the first
# create fails there, and rolls back.
BLOCKED = {"Type": "AWS::CloudFormation::StackSet", "DependsOn": [stack_set_template.STACK_SET_ID],
           "Properties": {"StackSetName": "taken-elsewhere", "PermissionModel": "SELF_MANAGED"}}


def _body() -> dict:
    [cfg] = [c for c in example_configs().values() if c.stack_set is not None][:1]
    return stack_set_template.stack_set_body(cfg)


def test_a_failed_first_create_frees_the_stack_set_name_and_a_delete_keeps_the_set() -> None:
    body = _body()
    resource = body["Resources"][stack_set_template.STACK_SET_ID]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    cloud, region = Cloud(), "eu-west-1"
    assert cloud.create(Stack("elsewhere", region), Template.from_tree(
        {"Resources": {"Other": {k: v for k, v in BLOCKED.items() if k != "DependsOn"}}})).ok

    failing = copy.deepcopy(body)
    failing["Resources"]["Blocked"] = BLOCKED
    first = cloud.create(Stack("set-stack", region), Template.from_tree(failing))
    assert not first.ok and first.cause == ("name-taken", "Blocked")
    assert not first.rollback_orphans  # nothing of the failed create is left holding a name

    stack = Stack("set-stack", region)
    retry = cloud.create(stack, Template.from_tree(body))
    assert retry.ok, retry.failure

    deleted = cloud.delete(stack)
    assert deleted.ok and deleted.orphaned == {stack_set_template.STACK_SET_ID}  # the instances live on


def test_with_retain_the_retry_would_fail() -> None:
    """The scenario can fail: Retain, as before, leaves the first create's stack set holding its name."""
    body = _body()
    body["Resources"][stack_set_template.STACK_SET_ID]["DeletionPolicy"] = "Retain"
    cloud, region = Cloud(), "eu-west-1"
    cloud.create(Stack("elsewhere", region), Template.from_tree(
        {"Resources": {"Other": {k: v for k, v in BLOCKED.items() if k != "DependsOn"}}}))
    failing = copy.deepcopy(body)
    failing["Resources"]["Blocked"] = BLOCKED
    assert not cloud.create(Stack("set-stack", region), Template.from_tree(failing)).ok
    retry = cloud.create(Stack("set-stack", region), Template.from_tree(body))
    assert not retry.ok and retry.cause == ("name-taken", stack_set_template.STACK_SET_ID)
