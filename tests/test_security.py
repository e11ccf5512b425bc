"""The security gate: independent scanners and the project's Guard policies on every template.

- cfn-lint with its informational rules (``--include-checks I``): zero findings;
- checkov (CloudFormation framework, in-process, no network): zero failed checks;
- CloudFormation Guard (``policies/*.guard`` through ``templates_src.policies``): zero findings,
  and hand-edited copies with a planted violation fail exactly the rule written for it.

They run on the committed ``generated/`` templates and on templates built in memory for shapes
the example environments do not cover (IPv6 clients, an existing secret, SQL Server, ...).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from templates_src.config import load_environments
from templates_src.policies import PolicyError, check_policies, policy_files, run_policies
from templates_src.render import TEMPLATE_FILE, template_yaml
from templates_src.stack import build_template
from builders.envs import (ROTATION, CLUSTER, DB_SG, LEGACY_SECRET_ARN, NO_IAM, NO_RETAIN, OWN_KEY, POSTGRES, SQLSERVER,
                                 TWO_USERS, make_cfg)

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
ENV_CONFIGS = {cfg.env: cfg for cfg in load_environments(ROOT / "params", "params")}

# Shapes beyond the examples, all with the secure defaults (so every scanner and policy must pass).
SECURE_VARIANTS = {
    "ipv6-clients": ({"network": {"client_security_group_ids": [], "allowed_cidrs": ["10.0.0.0/16", "2001:db8::/32"]}},),
    "existing-secret-own-key": (OWN_KEY, {"users": [{"username": "app_user", "secret_arn": LEGACY_SECRET_ARN},
                                                    {"username": "migrator"}]}),
    "postgres-cluster-ro": (POSTGRES, CLUSTER, TWO_USERS, {"target": {"read_only_endpoint": True},
                                                          "network": {"database_security_group_id": DB_SG}}),
    "sqlserver": (SQLSERVER, {"target": {"port": 1500}}),
    "rotation-single-user": (ROTATION, {"network": {"database_security_group_id": DB_SG}}),
    "rotation-cluster": (POSTGRES, CLUSTER, ROTATION),
    "database-cidr-rotation": (ROTATION, {"network": {"database_cidr": "10.20.0.0/22"}}),
    "end-to-end-iam-mysql-cluster": (CLUSTER, TWO_USERS, {"proxy": {"default_auth_scheme": "IAM_AUTH"},
                                                          "target": {"database_resource_id": "cluster-ABCDEF0123456789"}}),
}
# Params a user may write that weaken a default: the scanners still pass, the policies must not.
WEAKENED_VARIANTS = {
    "no-iam-no-tls": ((NO_IAM,), {"proxy/rds_proxy_requires_tls", "proxy/rds_proxy_auth_iam_required"}),
    "not-retained": ((NO_RETAIN,), {"retention/secrets_key_and_logs_retained"}),
}


def _variant_text(overrides) -> tuple[str, str]:
    cfg = make_cfg(*overrides)
    return template_yaml(cfg, build_template(cfg)), cfg.region


def _templates():
    """(id, template text, region) for every generated template and every variant."""
    for env, cfg in sorted(ENV_CONFIGS.items()):
        yield f"generated/{env}", (GENERATED / env / TEMPLATE_FILE).read_text(encoding="utf-8"), cfg.region
    for name, overrides in sorted(SECURE_VARIANTS.items()):
        yield (f"variant/{name}", *_variant_text(overrides))
    for name, (overrides, _) in sorted(WEAKENED_VARIANTS.items()):
        yield (f"variant/{name}", *_variant_text(overrides))


TEMPLATES = list(_templates())
SECURE_TEMPLATES = [t for t in TEMPLATES if not t[0].startswith("variant/") or t[0][8:] in SECURE_VARIANTS]


def test_every_environment_is_scanned():
    assert sorted(ENV_CONFIGS) == sorted(p.name for p in GENERATED.iterdir() if (p / TEMPLATE_FILE).is_file())


# --- cfn-lint, informational rules included -------------------------------------------------

@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_cfn_lint_with_informational_rules_finds_nothing(name, text, region):
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=[region]))
    assert [f"{m.linenumber}: {m.rule.id}: {m.message}" for m in matches] == []


# --- checkov ---------------------------------------------------------------------------------

# Checks suppressed in a resource's Metadata (checkov.skip), each with its reason: none today.
EXPECTED_SKIPS: set[str] = set()


@pytest.mark.parametrize("name, text, region", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_checkov_reports_no_failed_check(name, text, region, tmp_path):
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    path = tmp_path / TEMPLATE_FILE
    path.write_text(text, encoding="utf-8")
    report = Runner().run(root_folder=None, files=[str(path)], runner_filter=RunnerFilter(framework=["cloudformation"]))
    assert report.parsing_errors == []
    assert [f"{c.check_id} {c.resource}: {c.check_name}" for c in report.failed_checks] == []
    assert {c.check_id for c in report.skipped_checks} == EXPECTED_SKIPS
    # The scan really looked at the role, log group and security group rules, and the key when
    # the template creates one (rotation on, no wildcard principal).
    expected = {"CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_66", "CKV_AWS_158", "CKV_AWS_23"}
    if "AWS::KMS::Key" in text:
        expected |= {"CKV_AWS_7", "CKV_AWS_33"}
    assert expected <= {c.check_id for c in report.passed_checks}


# --- Guard policies --------------------------------------------------------------------------

PROJECT_POLICIES = policy_files()


def test_project_policies_exist():
    assert [p.name for p in PROJECT_POLICIES] == ["iam.guard", "network.guard", "proxy.guard", "retention.guard",
                                                  "secrets.guard"]


@pytest.mark.parametrize("name, text, region", SECURE_TEMPLATES, ids=[t[0] for t in SECURE_TEMPLATES])
def test_every_secure_template_passes_every_policy(name, text, region):
    assert run_policies(text, PROJECT_POLICIES) == []


@pytest.mark.parametrize("name", sorted(WEAKENED_VARIANTS))
def test_weakened_params_pass_only_through_their_recorded_waivers(name):
    """A weakened env passes the policies because each weakened resource records its waiver;
    strip the waivers Metadata and exactly the rules they exempt fail."""
    overrides, rules = WEAKENED_VARIANTS[name]
    text, _ = _variant_text(overrides)
    assert check_policies(text, PROJECT_POLICIES) == []
    assert "RdsProxyCfn:" in text
    stripped = _without_waivers(text)
    assert {f"{f.policy}/{f.rule}" for f in check_policies(stripped, PROJECT_POLICIES)} == rules


def _without_waivers(text: str) -> str:
    from cfn_flip import dump_yaml, load_yaml

    template = load_yaml(text)
    template.pop("Metadata", None)
    for resource in template["Resources"].values():
        resource.pop("Metadata", None)
    return dump_yaml(template)


def _dev_template() -> dict:
    from cfn_flip import load_yaml

    return json.loads(json.dumps(load_yaml((GENERATED / "dev" / TEMPLATE_FILE).read_text(encoding="utf-8"))))


def _edit(template: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = template["Resources"]
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _world_rule(family: str, cidr: str) -> dict:
    return {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["ProxySecurityGroup", "GroupId"]}, "IpProtocol": "tcp",
        "FromPort": 3306, "ToPort": 3306, "Description": "planted", family: cidr}}


CONNECT_AS = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:%s/app_user"

# (planted violation, edits as (path under Resources, new value), the one rule that must fail)
PLANTED = [
    ("require-tls-false", [("Proxy.Properties.RequireTLS", False)], "proxy/rds_proxy_requires_tls"),
    ("require-tls-missing", [("Proxy.Properties.RequireTLS", None)], "proxy/rds_proxy_requires_tls"),
    ("iam-auth-disabled", [("Proxy.Properties.Auth.1.IAMAuth", "DISABLED")], "proxy/rds_proxy_auth_iam_required"),
    ("iam-auth-missing", [("Proxy.Properties.Auth.0.IAMAuth", None)], "proxy/rds_proxy_auth_iam_required"),
    ("ingress-0.0.0.0/0", [("WorldIngress", _world_rule("CidrIp", "0.0.0.0/0"))],
     "network/no_world_open_ingress_resources"),
    ("ingress-::/0", [("WorldIngress", _world_rule("CidrIpv6", "::/0"))], "network/no_world_open_ingress_resources"),
    ("client-rule-opened", [("ProxyIngressFromSg0a1b2c3d4e5f60733.Properties.SourceSecurityGroupId", None),
                            ("ProxyIngressFromSg0a1b2c3d4e5f60733.Properties.CidrIp", "0.0.0.0/0")],
     "network/no_world_open_ingress_resources"),
    ("inline-ingress-open", [("ProxySecurityGroup.Properties.SecurityGroupIngress",
                              [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306}])],
     "network/no_world_open_inline_ingress"),
    ("secret-string", [("AppUserSecret.Properties.SecretString", '{"username": "app_user", "password": "hunter2"}')],
     "secrets/no_plaintext_secret_string"),
    ("secret-string-instead", [("MigratorSecret.Properties.GenerateSecretString", None),
                               ("MigratorSecret.Properties.SecretString", "hunter2")],
     "secrets/no_plaintext_secret_string"),
    ("password-in-template", [("AppUserSecret.Properties.GenerateSecretString.SecretStringTemplate",
                               '{"username": "app_user", "password": "hunter2"}')],
     "secrets/no_plaintext_secret_string"),
    ("secret-deleted", [("AppUserSecret.DeletionPolicy", "Delete")], "retention/secrets_key_and_logs_retained"),
    ("key-replaced", [("ProxySecretsKey.UpdateReplacePolicy", "Delete")], "retention/secrets_key_and_logs_retained"),
    ("log-group-unprotected", [("ProxyLogGroup.DeletionPolicy", None)], "retention/secrets_key_and_logs_retained"),
    ("connect-anywhere", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Resource", ["*"])],
     "iam/client_policy_scoped_to_proxy"),
    ("connect-any-user", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Resource.0.Fn::Sub.0",
                           CONNECT_AS.replace("/app_user", "/*") % "${ProxyId}")],
     "iam/client_connect_names_the_proxy"),
    # A fixed string is neither a proxy's id nor a database's resource id.
    ("connect-fixed-proxy", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Resource.0",
                              {"Fn::Sub": CONNECT_AS % "prx-0123456789abcdef0"})],
     "iam/proxy_connect_names_the_database"),
    ("connect-other-id", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Resource.0.Fn::Sub.1.ProxyId",
                           {"Ref": "AWS::StackName"})],
     "iam/client_connect_names_the_proxy"),
    ("connect-other-attribute", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Resource.0.Fn::Sub.1.ProxyId"
                                  ".Fn::Select.1.Fn::Split.1.Fn::GetAtt", "Proxy.Endpoint")],
     "iam/client_connect_names_the_proxy"),
    ("rds-db-wildcard-action", [("AppUserClientPolicy.Properties.PolicyDocument.Statement.0.Action", ["rds-db:*"])],
     "iam/client_policy_scoped_to_proxy"),
    # End-to-end IAM's form (the proxy role signs in to the database) names one user of one database.
    ("connect-any-database", [("ProxyRolePolicy.Properties.PolicyDocument.Statement.1",
                               {"Effect": "Allow", "Action": ["rds-db:connect"],
                                "Resource": [{"Fn::Sub": CONNECT_AS % "*"}]})],
     "iam/proxy_connect_names_the_database"),
]


def test_getatt_in_dotted_form_is_accepted():
    """cfn-guard's own CLI reads !GetAtt 'Proxy.DBProxyArn' as a string: the rules take both forms."""
    path = "%sClientPolicy.Properties.PolicyDocument.Statement.0.Resource.0.Fn::Sub.1.ProxyId.Fn::Select.1.Fn::Split.1"
    edits = [(path % user + ".Fn::GetAtt", "Proxy.DBProxyArn") for user in ("AppUser", "Migrator")]
    assert run_policies(json.dumps(_apply(_dev_template(), edits)), PROJECT_POLICIES) == []


def _apply(template: dict, edits) -> dict:
    edited = copy.deepcopy(template)
    for path, value in edits:
        if value is None:
            *parents, last = path.split(".")
            node = edited["Resources"]
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            del node[last]
        else:
            _edit(edited, path, value)
    assert edited != template
    return edited


@pytest.mark.parametrize("case, edits, rule", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_violation_fails_exactly_its_rule(case, edits, rule):
    text = json.dumps(_apply(_dev_template(), edits), indent=2)
    findings = check_policies(text, PROJECT_POLICIES)
    assert {f"{f.policy}/{f.rule}" for f in findings} == {rule}
    assert all(f.message.startswith("Violation") for f in findings)


def test_a_long_report_is_read_whole():
    """200 failing Auth entries make Guard's report far longer than 8 KiB: every one is found."""
    auth = [{"AuthScheme": "SECRETS", "SecretArn": {"Ref": "AppUserSecret"}, "IAMAuth": "DISABLED",
             "ClientPasswordAuthType": "MYSQL_NATIVE_PASSWORD", "Description": f"user {i}"} for i in range(200)]
    text = json.dumps(_apply(_dev_template(), [("Proxy.Properties.Auth", auth)]), indent=2)
    findings = check_policies(text, PROJECT_POLICIES)
    assert {f.path for f in findings} == {f"/Resources/Proxy/Properties/Auth/{i}/IAMAuth" for i in range(200)}
    assert {f.rule for f in findings} == {"rds_proxy_auth_iam_required"}


def test_hand_edited_yaml_with_require_tls_false_fails_with_its_line():
    original = (GENERATED / "dev" / TEMPLATE_FILE).read_text(encoding="utf-8")
    edited = original.replace("RequireTLS: true", "RequireTLS: false")
    assert edited != original
    [finding] = run_policies(edited, PROJECT_POLICIES)
    line = edited.splitlines().index("      RequireTLS: false") + 1
    assert finding.startswith(f"{line}: proxy/rds_proxy_requires_tls: Violation: an RDS Proxy must set RequireTLS")
    assert finding.endswith("(/Resources/Proxy/Properties/RequireTLS)")


def test_an_organisation_folder_of_policies_is_enforced_too(tmp_path):
    org = tmp_path / "org-policies"
    org.mkdir()
    (org / "tags.guard").write_text(
        "rule proxies_have_an_owner {\n"
        "    Resources.*[ Type == 'AWS::RDS::DBProxy' ].Properties.Tags[*].Key == 'owner'\n"
        "    <<Violation: every proxy needs an owner tag>>\n"
        "}\n", encoding="utf-8")
    (org / "README.md").write_text("not a policy", encoding="utf-8")
    files = policy_files(ROOT / "policies", org)
    assert [p.name for p in files][-1] == "tags.guard" and len(files) == len(PROJECT_POLICIES) + 1
    text = (GENERATED / "dev" / TEMPLATE_FILE).read_text(encoding="utf-8")
    assert {f"{f.policy}/{f.rule}" for f in check_policies(text, files)} == {"tags/proxies_have_an_owner"}


@pytest.mark.parametrize("content", ["rule broken {\n  Resources.*[ Type == \n}\n", "not guard at all {"])
def test_a_broken_policy_file_is_an_error_not_a_pass(tmp_path, content):
    bad = tmp_path / "broken.guard"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match="broken.guard"):
        run_policies((GENERATED / "dev" / TEMPLATE_FILE).read_text(encoding="utf-8"), [bad])


def test_missing_policy_folder_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match="no such policy folder"):
        policy_files(tmp_path / "nowhere")


def test_unreadable_template_is_an_error():
    with pytest.raises(PolicyError, match="cannot be read"):
        run_policies("Resources: [unclosed", PROJECT_POLICIES)


# --- waivers: a reason recorded in the weakened resource's Metadata ---------------------------

def _waive(rule: str, reason="legacy client, see TICKET-123") -> dict:
    return {"RdsProxyCfn": {"Waivers": {rule: reason}}}


WAIVERS = [
    # (case, edits, findings left)
    ("tls-waived", [("Proxy.Properties.RequireTLS", False), ("Proxy.Metadata", _waive("rds_proxy_requires_tls"))],
     set()),
    ("iam-auth-waived", [("Proxy.Properties.Auth.1.IAMAuth", "DISABLED"),
                         ("Proxy.Metadata", _waive("rds_proxy_auth_iam_required"))], set()),
    ("secret-retention-waived", [("AppUserSecret.DeletionPolicy", "Delete"),
                                 ("AppUserSecret.Metadata", _waive("secrets_key_and_logs_retained"))], set()),
    ("blank-reason", [("Proxy.Properties.RequireTLS", False), ("Proxy.Metadata", _waive("rds_proxy_requires_tls", " "))],
     {"proxy/rds_proxy_requires_tls"}),
    ("reason-not-text", [("Proxy.Properties.RequireTLS", False),
                         ("Proxy.Metadata", _waive("rds_proxy_requires_tls", ["a reason"]))],
     {"proxy/rds_proxy_requires_tls"}),
    ("other-rule-waived", [("Proxy.Properties.RequireTLS", False),
                           ("Proxy.Metadata", _waive("rds_proxy_auth_iam_required"))],
     {"proxy/rds_proxy_requires_tls"}),
    ("waiver-on-another-resource", [("AppUserSecret.DeletionPolicy", "Delete"),
                                    ("MigratorSecret.Metadata", _waive("secrets_key_and_logs_retained"))],
     {"retention/secrets_key_and_logs_retained"}),
    ("world-ingress-is-not-waivable", [("WorldIngress", {**_world_rule("CidrIp", "0.0.0.0/0"),
                                                         "Metadata": _waive("no_world_open_ingress_resources")})],
     {"network/no_world_open_ingress_resources"}),
    ("secret-string-is-not-waivable", [("AppUserSecret.Properties.SecretString", "hunter2"),
                                       ("AppUserSecret.Metadata", _waive("no_plaintext_secret_string"))],
     {"secrets/no_plaintext_secret_string"}),
]


@pytest.mark.parametrize("case, edits, left", WAIVERS, ids=[w[0] for w in WAIVERS])
def test_waivers_exempt_only_the_waivable_rule_on_that_resource(case, edits, left):
    text = json.dumps(_apply(_dev_template(), edits), indent=2)
    assert {f"{f.policy}/{f.rule}" for f in check_policies(text, PROJECT_POLICIES)} == left


def test_a_folder_named_twice_is_read_once():
    assert policy_files(ROOT / "policies", ROOT / "policies" / ".." / "policies") == PROJECT_POLICIES
