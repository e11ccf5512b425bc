"""Names AWS keeps per account carry what makes them unique (facts.cloudformation.RESOURCE_NAMES).

A stack set puts one template in several regions of an account, a product is launched in any
region, and an env may move to another region: a name that is one namespace per account (a
dashboard, an IAM role) must then differ by region, or the second stack fails on it.
"""

from __future__ import annotations

import json

import pytest

from templates_src.facts.cloudformation import RESOURCE_NAMES, NameScope
from templates_src.impact.template import load

from conftest import GENERATED

pytestmark = pytest.mark.golden

TEMPLATES = sorted(p for p in GENERATED.rglob("*.yaml") if p.name != "portfolio-factory.yaml")
# Named on purpose, account-wide: the launch constraint finds the portfolio's launch role by name
# (LocalRoleName, as the factory file names it); a portfolio in a second region of one account
# takes another LaunchRoleName.
ON_PURPOSE = {("portfolio.yaml", "LaunchRole")}


def _resources(path):
    tree = load(path.read_text(encoding="utf-8"))
    return tree.get("Resources", {}) if isinstance(tree, dict) else {}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(GENERATED)))
def test_every_resource_type_is_classified_and_account_wide_names_carry_the_region(path):
    for logical_id, resource in _resources(path).items():
        assert resource["Type"] in RESOURCE_NAMES, f"{path.name}: {resource['Type']} is not in facts.cloudformation.RESOURCE_NAMES"
        prop, scope = RESOURCE_NAMES[resource["Type"]]
        name = (resource.get("Properties") or {}).get(prop) if prop else None
        if name is None or scope is not NameScope.ACCOUNT or (path.name, logical_id) in ON_PURPOSE:
            continue
        assert "${AWS::Region}" in json.dumps(name), f"{path.name}: {logical_id} {prop} {name} is one name per account"


def test_the_scan_sees_the_named_types():
    seen = {r["Type"] for path in TEMPLATES for r in _resources(path).values()}
    assert {"AWS::CloudWatch::Dashboard", "AWS::IAM::Role", "AWS::CloudWatch::Alarm", "AWS::RDS::DBProxy"} <= seen
