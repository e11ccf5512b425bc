"""The project's policies in their two forms agree: the cfn-lint rules the build enforces
(``templates_src/checks/policies/``, the source) and their Guard twins shipped in
``policies/*.guard`` (for an organisation's CloudFormation Guard Hook).

- Each rule of the table is a rule of the .guard file its ``policy`` names, with the same name,
  messages and patterns; the .guard files hold no other top-level rule.
- On the corpus of planted violations (``policy_corpus``) each form fails exactly the rules the
  table names. Guard runs with each engine installed (cfn-guard-rs, cfn-guard 3 on PATH): each must agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policy_corpus import CASES, PRODUCT_CASES, apply, apply_at_root, dev_template, product_template
from templates_src.checks.policies import iam as policy_iam, product as policy_product, rules as policy_rules
from conftest import with_each_engine
from templates_src.checks.guard import PROJECT_POLICIES, check_policies, policy_files

pytestmark = pytest.mark.scanners

GUARD_FILES = {p.stem: p for p in policy_files(PROJECT_POLICIES)}


def _top_level_rules(text: str) -> set[str]:
    """Rule names of a .guard file, without parameterized helper rules (``rule name(args)``)."""
    return set(re.findall(r"^rule\s+([A-Za-z0-9_]+)\b(?!\s*\()", text, flags=re.M))


def test_every_rule_has_its_guard_twin_and_no_other():
    expected: dict[str, set[str]] = {}
    for rule in policy_rules.RULES:
        expected.setdefault(rule.policy, set()).add(rule.name)
    assert {stem: _top_level_rules(path.read_text()) for stem, path in GUARD_FILES.items()} == expected


@pytest.mark.parametrize("key", sorted(policy_rules.MESSAGES))
def test_every_message_is_in_a_guard_file(key):
    text = "\n".join(" ".join(p.read_text().split()) for p in GUARD_FILES.values())
    assert policy_rules.MESSAGES[key] in text


@pytest.mark.parametrize("key", sorted(policy_product.MESSAGES))
def test_every_product_message_and_fix_is_in_the_guard_file(key):
    text = " ".join(GUARD_FILES["product"].read_text().split())
    fix = policy_product.FIX_PRODUCT_TLS if key == "product_tls" else policy_product.FIX_PRODUCT_IAM
    assert policy_product.MESSAGES[key] in text and fix in text
    assert f"/^{policy_product.IAM_AUTH_PARAMETER}$/" in text


@pytest.mark.parametrize("name", ["CONNECT_VIA_PROXY", "CONNECT_TO_DATABASE", "GETATT_DOTTED"])
def test_every_pattern_is_in_the_guard_file_anchored(name):
    pattern = getattr(policy_iam, name).replace("/", r"\/")
    assert f"/^{pattern}$/" in GUARD_FILES["iam"].read_text()


def test_waivable_rules_name_their_waiver_in_guard():
    for rule in policy_rules.RULES:
        text = GUARD_FILES[rule.policy].read_text()
        assert (f"Metadata.RdsProxyCfn.Waivers.{rule.name} not exists" in text) is rule.waivable, rule.qualified


@pytest.mark.parametrize("case, edits, rules", CASES, ids=[c[0] for c in CASES])
def test_the_cfn_lint_rules_fail_exactly_the_planted_rules(case, edits, rules):
    found = policy_rules.violations(apply(dev_template(), edits))
    assert {v.rule for v in found} == rules
    assert all(v.message.startswith("Violation") for v in found)


@with_each_engine
@pytest.mark.parametrize("case, edits, rules", CASES, ids=[c[0] for c in CASES])
def test_the_guard_files_fail_exactly_the_planted_rules(case, edits, rules, engine):
    text = json.dumps(apply(dev_template(), edits), indent=2)
    findings = check_policies(text, GUARD_FILES.values(), engine)
    assert {f"{f.policy}/{f.rule}" for f in findings} == rules


@with_each_engine
def test_both_forms_point_at_the_same_values(engine):
    """Where both forms report a violation of a planted value, they name the same path."""
    edits = [("{proxy}.Properties.RequireTLS", False), ("{secret}.DeletionPolicy", "Delete"),
             ("WorldIngress", CASES[[c[0] for c in CASES].index("ingress-0.0.0.0/0")][1][0][1])]
    template = apply(dev_template(), edits)
    python = {(v.rule, v.pointer) for v in policy_rules.violations(template)}
    guard = {(f"{f.policy}/{f.rule}", f.path) for f in check_policies(json.dumps(template), GUARD_FILES.values(), engine)}
    assert python == guard


@pytest.mark.parametrize("case, edits, rules", PRODUCT_CASES, ids=[c[0] for c in PRODUCT_CASES])
def test_the_cfn_lint_rules_judge_what_the_product_offers(case, edits, rules):
    found = policy_rules.violations(apply_at_root(product_template(), edits),
                                    tuple(r for r in policy_rules.RULES if r.product))
    assert {v.rule for v in found} == rules
    assert all(v.message.startswith("Violation") for v in found)


@with_each_engine
@pytest.mark.parametrize("case, edits, rules", PRODUCT_CASES, ids=[c[0] for c in PRODUCT_CASES])
def test_the_guard_file_judges_what_the_product_offers(case, edits, rules, engine):
    text = json.dumps(apply_at_root(product_template(), edits), indent=2)
    findings = check_policies(text, [GUARD_FILES["product"]], engine)
    assert {f"{f.policy}/{f.rule}" for f in findings} == rules


def test_the_corpus_plants_a_violation_of_every_rule():
    planted = set().union(*(rules for _, _, rules in [*CASES, *PRODUCT_CASES]))
    assert planted == {rule.qualified for rule in policy_rules.RULES}


@with_each_engine
def test_the_products_the_build_makes_pass_both_forms(engine):
    """The default product, and one built with _product.yaml waivers (recorded in its Metadata)."""
    from templates_src import __version__
    from templates_src.catalog import product
    from templates_src.config.product_settings import ProductSettings, ProductWaiverParams

    waived = ProductSettings(ProductWaiverParams(require_tls="legacy clients, TICKET-9", iam_auth="vendor, TICKET-10"))
    rules = tuple(r for r in policy_rules.RULES if r.product)  # the resource policies judge env templates
    for settings in (ProductSettings(), waived):
        body = product.product_body(__version__, settings)
        assert policy_rules.violations(body, rules) == []
        assert check_policies(json.dumps(body), [GUARD_FILES["product"]], engine) == []
    # Without the record, the waived product's values are violations.
    body = product.product_body(__version__, waived)
    del body["Metadata"]["RdsProxyCfn"]
    assert {f"{f.policy}/{f.rule}" for f in check_policies(json.dumps(body), [GUARD_FILES["product"]], engine)} == {
        "product/product_offers_tls_only", "product/product_offers_iam_auth_required_only"}
    assert {v.rule for v in policy_rules.violations(body, rules)} == {
        "product/product_offers_tls_only", "product/product_offers_iam_auth_required_only"}
