"""The examples' stack set templates (generated/<env>/stack-set.yaml, built from the tests' copy of
the examples, as the fork check needs) and service-managed and CIDR variants: cfn-lint with informational rules, checkov and AWS Control Tower's proactive controls
find nothing; the template is the StackSet with the member template by URL."""

from __future__ import annotations

import json

import pytest
from cfn_flip import load_yaml

from conftest import example_configs
from templates_src.stacksets import STACK_SET_FILE, stack_set_files
from templates_src.stacksets import template as T

from builders.envs import make_cfg
from catalog.test_stack_instances import VARIANTS

pytestmark = pytest.mark.scanners

EXAMPLES = {env: cfg for env, cfg in sorted(example_configs().items()) if cfg.stack_set is not None}


def _templates():
    for env, cfg in EXAMPLES.items():
        yield f"example/{env}", stack_set_files(cfg)[f"{env}/{STACK_SET_FILE}"], cfg.region
    for name, change in VARIANTS.items():
        cfg = make_cfg(change)
        yield f"variant/{name}", stack_set_files(cfg)[f"{cfg.env}/{STACK_SET_FILE}"], cfg.region


TEMPLATES = list(_templates())


def test_an_example_deploys_through_a_stack_set_to_several_accounts_and_regions():
    assert EXAMPLES
    body = json.loads(json.dumps(load_yaml(TEMPLATES[0][1])))
    groups = body["Resources"][T.STACK_SET_ID]["Properties"]["StackInstancesGroup"]
    accounts = {a for g in groups for a in g["DeploymentTargets"].get("Accounts", [])}
    regions = {r for g in groups for r in g["Regions"]}
    assert len(accounts) >= 2 and len(regions) >= 2
    assert body["Resources"][T.STACK_SET_ID]["Properties"]["TemplateURL"] == {"Ref": T.TEMPLATE_URL_PARAMETER}


@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_cfn_lint_with_informational_rules_finds_nothing(name, text, region):
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=[region]))
    assert [f"{m.linenumber}: {m.rule.id}: {m.message}" for m in matches] == []


@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_checkov_reports_no_failed_check(name, text, region, tmp_path):
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    path = tmp_path / STACK_SET_FILE
    path.write_text(text, encoding="utf-8")
    report = Runner().run(root_folder=None, files=[str(path)], runner_filter=RunnerFilter(framework=["cloudformation"]))
    assert report.parsing_errors == []
    assert [f"{c.check_id} {c.resource}: {c.check_name}" for c in report.failed_checks] == []
    assert report.skipped_checks == []


def test_control_tower_controls_find_nothing(tmp_path):
    from test_control_tower import control_failures

    templates = {name.replace("/", "-"): json.loads(json.dumps(load_yaml(text))) for name, text, _ in TEMPLATES}
    assert control_failures(templates, tmp_path) == {name: [] for name in templates}
