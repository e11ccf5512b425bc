"""The security gate: independent scanners and the project's policies on every template.

- cfn-lint with its informational rules (``--include-checks I``): zero findings;
- checkov (CloudFormation framework, in-process, no network): zero failed checks;
- the project's policies (``templates_src.checks.policies.rules``, the cfn-lint rules the build runs):
  zero findings; weakened params pass only through their recorded waivers. Planted violations
  of each rule, in both the rules' forms, are in ``test_policy_agreement``;
- an organisation's Guard files, through whichever Guard engine is installed.

They run on the example environments' templates (built in memory from the examples under
tests/fixtures/) and on variants for shapes the examples do not cover (IPv6 clients, an
existing secret, SQL Server, ...).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conftest import example_configs, example_template_text, with_each_engine
from templates_src.checks import lint as checks
from templates_src.checks.policies import rules as policy_rules
from templates_src.checks.guard import PolicyError, check_policies, policy_files
from templates_src.render.files import TEMPLATE_FILE, template_yaml
from templates_src.builders.stack import build_template
from builders.envs import (ANY_DATABASE_ADDRESS, ROTATION, ROTATION_ANY_ADDRESS, CLUSTER, DB_SG, ENDPOINT_RANGES,
                           EXTRA_GROUPS, LEGACY_SECRET_ARN, NO_IAM, NO_RETAIN, ONLY_GIVEN_GROUPS, OWN_KEY, POSTGRES,
                           SQLSERVER, TWO_USERS, make_cfg)

pytestmark = pytest.mark.scanners

ROOT = Path(__file__).resolve().parent.parent
ENV_CONFIGS = example_configs()

# Shapes beyond the examples, all with the secure defaults (so every scanner and policy must pass).
SECURE_VARIANTS = {
    "ipv6-clients": ({"network": {"client_security_group_ids": [], "allowed_cidrs": ["10.0.0.0/16", "2001:db8::/32"],
                                  "endpoint_network_type": "DUAL"}},),
    "existing-secret-own-key": (OWN_KEY, {"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN},
                                                    {"username": "migrator"}]}),
    "postgres-cluster-ro": (POSTGRES, CLUSTER, TWO_USERS, {"target": {"read_only_endpoint": True},
                                                          "network": {"database_security_group_id": DB_SG}}),
    "sqlserver": (SQLSERVER, {"target": {"port": 1500}}),
    "rotation-single-user": (ROTATION, {"network": {"database_security_group_id": DB_SG}}),
    "rotation-cluster": (POSTGRES, CLUSTER, ROTATION),
    "database-cidr-rotation": (ROTATION, {"network": {"database_security_group_id": None,
                                                      "database_cidr": "10.20.0.0/22"}}),
    "end-to-end-iam-mysql-cluster": (CLUSTER, TWO_USERS, {"proxy": {"default_auth_scheme": "IAM_AUTH"},
                                                          "target": {"database_resource_id": "cluster-ABCDEF0123456789"}}),
    "iam-options": (TWO_USERS, {"iam": {"permissions_boundary_arn": "arn:aws:iam::111122223333:policy/platform/Boundary",
                                        "role_path": "/teams/orders/",
                                        "key_admin_arns": ["arn:aws:iam::111122223333:role/platform/KeyAdmins"],
                                        "secret_reader_arns": ["arn:aws:iam::111122223333:role/platform/deployer"]}}),
    "iam-existing-role": (TWO_USERS, {"iam": {"proxy_role_arn": "arn:aws:iam::111122223333:role/platform/orders-proxy",
                                              "secret_reader_arns": ["arn:aws:iam::111122223333:user/ops"]}}),
    "proxy-groups-beside-built": (CLUSTER, EXTRA_GROUPS, {"target": {"read_only_endpoint": True}}),
    "proxy-groups-instead-of-built": (CLUSTER, ONLY_GIVEN_GROUPS, {"target": {"read_only_endpoint": True}}),
    "proxy-groups-instead-rotation": (ONLY_GIVEN_GROUPS, ROTATION, {"network": {"database_security_group_id": DB_SG}}),
    "endpoint-client-ranges": ({"network": {"endpoint_network_type": "DUAL"}}, ENDPOINT_RANGES),
    "logs-kept-three-years": ({"proxy": {"log_retention_days": 1096}},),
}
# Params a user may write that weaken a default: the scanners still pass, the policies must not.
WEAKENED_VARIANTS = {
    "no-iam-no-tls": ((NO_IAM, ROTATION), {"proxy/rds_proxy_requires_tls", "proxy/rds_proxy_auth_iam_required"}),
    "not-retained": ((NO_RETAIN, ROTATION), {"retention/secrets_key_and_logs_retained"}),
    "not-rotated": ((), {"secrets/generated_secrets_rotated"}),
    "egress-to-any-address": ((ANY_DATABASE_ADDRESS, ROTATION_ANY_ADDRESS), {"network/no_world_open_egress"}),
    "short-logs": ((ROTATION, {"proxy": {"log_retention_days": 7},
                               "waivers": {"log_retention": "scratch stacks, deleted each night"}}), set()),
}


def _variant_text(overrides) -> tuple[str, str]:
    cfg = make_cfg(*overrides)
    return template_yaml(cfg, build_template(cfg)), cfg.region


def _templates():
    """(id, template text, region) for every generated template and every variant."""
    for env, cfg in sorted(ENV_CONFIGS.items()):
        yield f"example/{env}", example_template_text(env), cfg.region
    for name, overrides in sorted(SECURE_VARIANTS.items()):
        yield (f"variant/{name}", *_variant_text(overrides))
    for name, (overrides, _) in sorted(WEAKENED_VARIANTS.items()):
        yield (f"variant/{name}", *_variant_text(overrides))


TEMPLATES = list(_templates())
SECURE_TEMPLATES = [t for t in TEMPLATES if not t[0].startswith("variant/") or t[0][8:] in SECURE_VARIANTS]


def test_every_example_is_scanned():
    assert len(ENV_CONFIGS) >= 4 and all(f"example/{env}" in [t[0] for t in TEMPLATES] for env in ENV_CONFIGS)


# --- cfn-lint, informational rules included -------------------------------------------------

@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_cfn_lint_with_informational_rules_finds_nothing(name, text, region):
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=[region]))
    assert [f"{m.linenumber}: {m.rule.id}: {m.message}" for m in matches] == []


# --- checkov ---------------------------------------------------------------------------------

# Checks suppressed in a resource's Metadata (checkov.skip), each with its reason: the provisioner
# function's dead-letter queue (builders/suppressions.PROVISIONER_CHECKOV_SKIPS), nothing else.
PROVISIONER_SKIPS = {"CKV_AWS_116"}


@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_checkov_reports_no_failed_check(name, text, region, tmp_path):
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    path = tmp_path / TEMPLATE_FILE
    path.write_text(text, encoding="utf-8")
    report = Runner().run(root_folder=None, files=[str(path)], runner_filter=RunnerFilter(framework=["cloudformation"]))
    assert report.parsing_errors == []
    assert [f"{c.check_id} {c.resource}: {c.check_name}" for c in report.failed_checks] == []
    assert {c.check_id for c in report.skipped_checks} == (PROVISIONER_SKIPS if "AWS::Lambda::Function" in text else set())
    for skipped in report.skipped_checks:
        assert skipped.resource == "AWS::Lambda::Function.DatabaseUsersFunction", skipped.resource
    # The scan really looked at the role (unless the env brings one: iam.proxy_role_arn), log group
    # and security group rules (unless it builds no group: network.create_security_group false),
    # and the key when the template creates one (rotation on, no wildcard principal).
    expected = {"CKV_AWS_66", "CKV_AWS_158"}
    if "AWS::EC2::SecurityGroup" in text:
        expected |= {"CKV_AWS_23"}
    if "AWS::IAM::Role" in text:
        expected |= {"CKV_AWS_60", "CKV_AWS_61"}
    if "AWS::KMS::Key" in text:
        expected |= {"CKV_AWS_7", "CKV_AWS_33"}
    if "AWS::Lambda::Function" in text:  # in a VPC, its concurrency reserved, its runtime current
        expected |= {"CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_363"}
    assert expected <= {c.check_id for c in report.passed_checks}


def _checkov(text: str, folder: Path):
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    path = folder / TEMPLATE_FILE
    path.write_text(text, encoding="utf-8")
    return Runner().run(root_folder=None, files=[str(path)], runner_filter=RunnerFilter(framework=["cloudformation"]))


@pytest.mark.parametrize("name", sorted(WEAKENED_VARIANTS))
def test_waivers_skip_exactly_the_checkov_checks_they_weaken(name, tmp_path):
    """With its checkov skips stripped (all waiver Metadata), a waived variant fails exactly the
    checks CHECKOV_SKIPS lists for its waivers (none with checkov 3.3.30: no CloudFormation check
    of it sees what a waiver weakens); with them, checkov skips those and fails nothing."""
    from templates_src.builders.common import CHECKOV_SKIPS

    overrides, _ = WEAKENED_VARIANTS[name]
    cfg = make_cfg(*overrides)
    text = template_yaml(cfg, build_template(cfg))
    waived = {waiver for waiver, reason in dataclasses.asdict(cfg.waivers).items() if reason}
    assert waived
    listed = {check for waiver in waived for check in CHECKOV_SKIPS.get(waiver, ())}
    stripped = _checkov(_without_waivers(text), tmp_path)
    assert {c.check_id for c in stripped.failed_checks} == listed
    report = _checkov(text, tmp_path)
    assert report.failed_checks == []
    assert {c.check_id for c in report.skipped_checks} == listed


def test_a_checkov_skip_is_written_where_checkov_reads_it(monkeypatch, tmp_path):
    """The skip format, proved on checkov itself: listing CKV_AWS_66 (log retention set) for the
    log_retention waiver makes checkov report it skipped on the log group with the waiver's reason."""
    from templates_src.builders import common

    monkeypatch.setitem(common.CHECKOV_SKIPS, "log_retention", ("CKV_AWS_66",))
    overrides, _ = WEAKENED_VARIANTS["short-logs"]
    cfg = make_cfg(*overrides)
    text = template_yaml(cfg, build_template(cfg))
    assert "checkov:" in text
    report = _checkov(text, tmp_path)
    assert report.failed_checks == []
    assert [(c.check_id, c.resource) for c in report.skipped_checks] == [("CKV_AWS_66", "AWS::Logs::LogGroup.ProxyLogGroup")]
    assert "CKV_AWS_66" not in {c.check_id for c in report.passed_checks}
    assert report.skipped_checks[0].check_result.get("suppress_comment") == "scratch stacks, deleted each night"


# --- the project's policies ------------------------------------------------------------------

def _policy_violations(text: str) -> set[str]:
    from cfn_flip import load_yaml

    return {v.rule for v in policy_rules.violations(json.loads(json.dumps(load_yaml(text))))}


def test_project_guard_twins_exist():
    assert [p.name for p in policy_files()] == ["iam.guard", "network.guard", "product.guard", "proxy.guard",
                                                "retention.guard", "secrets.guard"]


@pytest.mark.parametrize("name, text, region", SECURE_TEMPLATES, ids=[t[0] for t in SECURE_TEMPLATES])
def test_every_secure_template_passes_every_policy(name, text, region):
    assert _policy_violations(text) == set()


@pytest.mark.parametrize("name", sorted(WEAKENED_VARIANTS))
def test_weakened_params_pass_only_through_their_recorded_waivers(name):
    """A weakened env passes the policies because each weakened resource records its waiver;
    strip the waivers Metadata and exactly the rules they exempt fail."""
    overrides, rules = WEAKENED_VARIANTS[name]
    text, _ = _variant_text(overrides)
    assert _policy_violations(text) == set()
    assert "RdsProxyCfn:" in text
    assert _policy_violations(_without_waivers(text)) == rules


def _without_waivers(text: str) -> str:
    from cfn_flip import dump_yaml, load_yaml

    template = load_yaml(text)
    template.pop("Metadata", None)
    for resource in template["Resources"].values():
        resource.pop("Metadata", None)
    return dump_yaml(template)


def test_hand_edited_yaml_with_require_tls_false_fails_in_the_lint_pass_with_its_line():
    """As the build reports it: the cfn-lint rule, under its Guard name, at the edited line."""
    original = example_template_text("dev")
    edited = original.replace("RequireTLS: true", "RequireTLS: false")
    assert edited != original
    raws, _ = checks._lint_text(edited, "us-east-1", checks.LintOptions())
    line = edited.splitlines().index("      RequireTLS: false") + 1
    assert [(r[0], r[1], r[2]) for r in raws] == [(line, "proxy/rds_proxy_requires_tls", "error")]
    assert raws[0][3].startswith("Violation: an RDS Proxy must set RequireTLS")
    assert raws[0][3].endswith("(/Resources/Proxy/Properties/RequireTLS)")
    # A template whose settings are parameters (the Service Catalog product) is not held to them.
    off, _ = checks._lint_text(edited, "us-east-1", checks.LintOptions(project_policies=False))
    assert off == ()


def test_a_product_that_offers_a_weaker_value_without_its_waiver_fails_in_the_lint_pass():
    """The product's lint job skips the resource policies but not those of what it offers: a hand
    edit that lets launchers pick RequireTLS false fails at that line, even if a .cfnlintrc
    ignored the rule (mandatory); the same edit with the waiver recorded passes."""
    from templates_src import __version__, catalog

    text = catalog.build_product(__version__).files[catalog.PRODUCT_FILE]
    edited = text.replace("AllowedValues: ['true']\n", "AllowedValues: ['true', 'false']\n", 1)
    assert edited != text
    options = checks.LintOptions(project_policies=False, ignore_checks=("E9601",))
    assert checks._lint_text(text, "us-east-1", options)[0] == ()
    raws, _ = checks._lint_text(edited, "us-east-1", options)
    line = edited.splitlines().index("  RequireTLS:") + 2  # its AllowedValues, the first key
    assert [(r[0], r[1]) for r in raws] == [(line, "product/product_offers_tls_only")]
    assert raws[0][3].endswith("(/Parameters/RequireTLS/AllowedValues/1)")
    waived = edited.replace("Metadata:\n", "Metadata:\n  RdsProxyCfn:\n    Waivers: {require_tls: legacy clients TICKET-9}\n", 1)
    assert checks._lint_text(waived, "us-east-1", options)[0] == ()


# --- an organisation's Guard files, with the engine installed here ---------------------------

ORG_RULE = ("rule proxies_have_an_owner {\n"
            "    Resources.*[ Type == 'AWS::RDS::DBProxy' ].Properties.Tags[*].Key == 'owner'\n"
            "    <<Violation: every proxy needs an owner tag>>\n"
            "}\n")


@with_each_engine
def test_a_long_report_is_read_whole(engine):
    """200 failing Auth entries make Guard's report far longer than 8 KiB: every one is found."""
    from policy_corpus import apply, dev_template

    auth = [{"AuthScheme": "SECRETS", "SecretArn": {"Ref": "AppUserSecret"}, "IAMAuth": "DISABLED",
             "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD", "Description": f"user {i}"} for i in range(200)]
    text = json.dumps(apply(dev_template(), [("{proxy}.Properties.Auth", auth)]), indent=2)
    findings = check_policies(text, policy_files(), engine)
    assert {f.path for f in findings} == {f"/Resources/Proxy/Properties/Auth/{i}/IAMAuth" for i in range(200)}
    assert {f.rule for f in findings} == {"rds_proxy_auth_iam_required"}


@with_each_engine
def test_an_organisation_folder_of_policies_is_enforced_too(tmp_path, engine):
    org = tmp_path / "org-policies"
    org.mkdir()
    (org / "tags.guard").write_text(ORG_RULE, encoding="utf-8")
    (org / "README.md").write_text("not a policy", encoding="utf-8")
    files = policy_files(org)
    assert [p.name for p in files] == ["tags.guard"]
    text = example_template_text("dev")
    findings = check_policies(text, files, engine)  # one per tag that is not the owner tag
    assert {(f"{f.policy}/{f.rule}", f.message) for f in findings} == {
        ("tags/proxies_have_an_owner", "Violation: every proxy needs an owner tag")}
    assert all(text.splitlines()[f.line - 1].strip().startswith("- Key:") for f in findings)


@with_each_engine
@pytest.mark.parametrize("content", ["rule broken {\n  Resources.*[ Type == \n}\n", "not guard at all {"])
def test_a_broken_policy_file_is_an_error_not_a_pass(tmp_path, content, engine):
    bad = tmp_path / "broken.guard"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match="broken.guard"):
        check_policies(example_template_text("dev"), [bad], engine)


@with_each_engine
def test_unreadable_template_is_an_error(engine):
    with pytest.raises(PolicyError, match="cannot be read"):
        check_policies("Resources: [unclosed", policy_files(), engine)


def test_without_an_engine_policy_files_are_refused_not_skipped(monkeypatch, tmp_path):
    """Simulated absence: policy files with no engine are an error naming how to get one."""
    from templates_src.checks import guard as policies

    monkeypatch.setattr(policies, "guard_engine", lambda: None)
    org = tmp_path / "tags.guard"
    org.write_text(ORG_RULE, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"tags.guard: no CloudFormation Guard engine .*cfn-guard-rs.*cfn-guard 3"):
        check_policies(example_template_text("dev"), [org])
    assert check_policies(example_template_text("dev"), []) == []  # no files: no engine needed


def test_missing_policy_folder_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match="no such policy folder"):
        policy_files(tmp_path / "nowhere")


def test_a_folder_named_twice_is_read_once():
    assert policy_files(ROOT / "policies", ROOT / "policies" / ".." / "policies") == policy_files()
