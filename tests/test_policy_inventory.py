"""Every policy × principal × action × condition key a generated template can hold has its row in
docs/policy-assumptions.md, with the AWS page that documents it or "not found" and the searches.

Scanned: the committed generated/ tree (every env of params/, the Service Catalog portfolio,
factory and product, the stack-set template), the example envs built in memory, shapes the
examples do not cover (each opt-in of the iam: section, end-to-end IAM, a brought key or topic),
the product read with every Fn::If both ways, and the product launched for every example and
catalog variant.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from cfn_flip import load_yaml

from builders.envs import END_TO_END_IAM, OWN_KEY, POSTGRES, TWO_USERS, make_cfg
from catalog.helpers import examples, product_body, settings_for, variants
from conftest import GENERATED, ROOT, example_configs, example_files
from policy_inventory import NONE, Row, rows, unknown_policy_holders
from templates_src.catalog import verify
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.golden

INVENTORY = ROOT / "docs" / "policy-assumptions.md"
ROLE_ARN = "arn:aws:iam::111122223333:role/platform/orders-proxy"
READER = "arn:aws:iam::111122223333:role/platform/deployer"
# Shapes whose policies the examples may not show.
VARIANTS = {
    "trust-source-account": ({"iam": {"proxy_trust_source_account": True}},),
    "named-key-admins-and-readers": (TWO_USERS, {"iam": {"key_admin_arns": [READER], "secret_reader_arns": [READER]}}),
    "existing-role-readers": (TWO_USERS, {"iam": {"proxy_role_arn": ROLE_ARN, "secret_reader_arns": [READER]}}),
    "end-to-end-iam": (TWO_USERS, END_TO_END_IAM),
    "own-key-postgres": (OWN_KEY, POSTGRES),
    "given-alarm-topic": ({"monitoring": {"alarm_topic_arn": "arn:aws:sns:eu-west-1:111122223333:ops-alarms"}},),
}
_ROW = re.compile(r"^\|(?P<cells>(?:[^|]*\|){7})\s*$")


@cache
def inventory() -> dict[Row, tuple[str, str]]:
    """Row -> (documented by, searches), from the inventory's tables."""
    found = {}
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        cells = [c.strip().strip("`").strip() for c in match["cells"].split("|")[:-1]]
        if cells[0] in ("Policy", "") or set(cells[0]) <= {"-", ":"}:
            continue
        found[Row(*cells[:5])] = (cells[5], cells[6])
    return found


@cache
def templates() -> dict[str, dict]:
    found = {f"generated/{p.relative_to(GENERATED)}": load_yaml(p.read_text(encoding="utf-8"))
             for p in sorted(GENERATED.glob("*/*.yaml"))}
    # The examples' outputs too, whatever params/ holds (a fork's may have no stack set or product).
    found.update({f"example-files/{path}": load_yaml(text) for path, text in sorted(example_files().items())
                  if path.endswith(".yaml")})
    for env, cfg in sorted(example_configs().items()):
        found[f"example/{env}"] = build_template(cfg).to_dict()
    for name, overrides in VARIANTS.items():
        found[f"variant/{name}"] = build_template(make_cfg(*overrides)).to_dict()
    found["product/every-branch"] = product_body()
    for cfg in (*examples(), *variants()):
        found[f"product/launched/{cfg.env}"] = verify.launched(cfg, product_body(settings_for(cfg)))
    return found


def test_every_kind_of_template_is_scanned():
    names = set(templates())
    for expected in ("example-files/service-catalog/rds-proxy-product.yaml",
                     "example-files/service-catalog/portfolio.yaml", "product/every-branch"):
        assert expected in names
    assert any(n.startswith("example-files/") and n.endswith("/stack-set.yaml") for n in names)
    assert sum(n.startswith("product/launched/") for n in names) >= 5
    assert all(f"generated/{env}/rds-proxy.yaml" in names for env in
               {p.parent.name for p in GENERATED.glob("*/rds-proxy.yaml")})


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_policy_row_of_the_template_is_in_the_inventory(name):
    template = templates()[name]
    assert not unknown_policy_holders(template), "a policy document in a resource type the inventory does not read"
    missing = sorted(rows(template) - set(inventory()))
    assert not missing, f"{name}: rows without an entry in {INVENTORY.name}:\n" + "\n".join(
        "| " + " | ".join(f"`{c}`" for c in row) + " |" for row in missing)


def test_every_inventory_row_says_where_it_is_documented_or_what_was_searched():
    for row, (documented, searches) in inventory().items():
        assert documented.startswith("https://docs.aws.amazon.com/") or documented.startswith("not found"), row
        if documented.startswith("not found"):
            assert len(searches) > 20, f"{row}: a row not found names the searches tried"


def test_the_inventory_lists_only_rows_some_template_holds():
    """A row no template makes any more is stale: remove it with the statement."""
    held = set().union(*(rows(t) for t in templates().values()))
    assert not sorted(set(inventory()) - held)


def test_nothing_not_found_is_on_by_default():
    """A statement no AWS page documents is absent from every template the examples build with
    their defaults (it is opt-in); the proxy role's trust has no condition by default."""
    undocumented = {row for row, (documented, _) in inventory().items() if documented.startswith("not found")}
    for env, cfg in example_configs().items():
        held = rows(build_template(cfg).to_dict())
        assert not held & undocumented, env
    assert not rows(product_body()) & undocumented - {r for r in undocumented if r.sid == "PassProxyRoleToRds"}
    trust = [r for r in rows(build_template(make_cfg()).to_dict()) if r.principal == "Service:rds.amazonaws.com"]
    assert {r.condition for r in trust} == {NONE}


def test_a_row_missing_from_the_inventory_is_reported():
    planted = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"aws:SourceOrgID": "o-123"}}}]}}}}}
    assert rows(planted) - set(inventory()) == {Row("AWS::IAM::Role AssumeRolePolicyDocument", NONE,
                                                    "Service:rds.amazonaws.com", "sts:AssumeRole",
                                                    "StringEquals aws:SourceOrgID")}
    assert unknown_policy_holders({"Resources": {"Q": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
        "PolicyDocument": {"Statement": []}}}}}) == {"AWS::SQS::QueuePolicy"}
