"""The iam: section: permissions boundary and path, an existing proxy role, named key
administrators and secret resource policies, in the template, DEPLOY.md and the change analysis."""

from __future__ import annotations

import json

import pytest

from templates_src.render import iam_guide, files as render
from templates_src.builders import kms, names
from templates_src.catalog.provisioning import product_limits
from templates_src.impact.analysis import Action, analyse
from templates_src.impact.schemas import resource_schema
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

from .envs import END_TO_END_IAM, LEGACY_SECRET_ARN, OWN_KEY, PROVISIONER, TWO_USERS, get_att, make_cfg, props, statements, sub

pytestmark = pytest.mark.unit

BOUNDARY = "arn:aws:iam::111122223333:policy/platform/Boundary"
PATH = "/teams/orders/"
ROLE_ARN = "arn:aws:iam::444455556666:role/platform/orders-proxy"
ADMINS = ["arn:aws:iam::111122223333:role/platform/KeyAdmins", "arn:aws:iam::111122223333:user/alice"]
READERS = ["arn:aws:iam::111122223333:role/platform/deployer"]
ACCOUNT_ROOT = {"AWS": [sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")]}
ADMIN_ONLY = {"kms:ScheduleKeyDeletion", "kms:Put*", "kms:Disable*", "kms:Delete*", "kms:Update*", "kms:CancelKeyDeletion"}


def iam(**keys) -> dict:
    return {"iam": keys}


def resources(*overrides: dict) -> dict:
    return build_template(make_cfg(*overrides)).to_dict()["Resources"]


def of_type(tree: dict, type_name: str) -> dict:
    return {lid: r for lid, r in tree.items() if r["Type"] == type_name}


def test_boundary_and_path_are_on_the_role_only_when_given():
    role = resources(iam(permissions_boundary_arn=BOUNDARY, role_path=PATH))[names.ROLE]["Properties"]
    assert role["PermissionsBoundary"] == BOUNDARY and role["Path"] == PATH
    plain = resources()[names.ROLE]["Properties"]
    assert "PermissionsBoundary" not in plain and "Path" not in plain


def test_every_role_the_stack_creates_gets_the_boundary():
    tree = resources(iam(permissions_boundary_arn=BOUNDARY, role_path=PATH), END_TO_END_IAM)
    roles = of_type(tree, "AWS::IAM::Role")
    assert roles and all(r["Properties"]["PermissionsBoundary"] == BOUNDARY and r["Properties"]["Path"] == PATH
                         for r in roles.values())


def test_an_existing_role_replaces_the_role_and_its_policy():
    tree = resources(iam(proxy_role_arn=ROLE_ARN), TWO_USERS)
    assert names.ROLE not in tree and names.ROLE_POLICY not in tree
    assert not of_type(tree, "AWS::IAM::Role")
    assert tree[names.PROXY]["Properties"]["RoleArn"] == ROLE_ARN
    # Nothing refers to the resources that are gone (the template would not deploy).
    text = json.dumps(tree)
    for gone in (names.ROLE, names.ROLE_POLICY):
        assert f'"{gone}"' not in text and "${" + gone not in text
    # The users-ready wait still starts only once every generated secret exists.
    waits = of_type(tree, "AWS::CloudFormation::WaitCondition")
    (wait,) = waits.values()
    assert sorted(wait["DependsOn"]) == sorted(names.secret(u) for u in ("app_user", "migrator"))


def test_named_key_admins_replace_the_account_as_administrator():
    policy = statements(props(kms.build_key(make_cfg(iam(key_admin_arns=ADMINS)))[0])["KeyPolicy"])
    assert "AccountAdministersKey" not in policy
    admins = policy["NamedAdministratorsAdministerKey"]
    assert admins["Principal"] == {"AWS": ADMINS} and ADMIN_ONLY <= set(admins["Action"])
    for sid, statement in policy.items():
        if statement["Effect"] == "Allow" and statement["Principal"] == ACCOUNT_ROOT:
            assert not ADMIN_ONLY & set(statement["Action"]), sid
    assert set(policy["AccountReadsKeyMetadata"]["Action"]) == {"kms:Describe*", "kms:Get*", "kms:List*"}
    # The statements that let the account use the key through Secrets Manager are kept.
    assert "UseThroughSecretsManagerOnly" in policy


def test_without_key_admins_the_account_administers_the_key():
    policy = statements(props(kms.build_key(make_cfg())[0])["KeyPolicy"])
    assert policy["AccountAdministersKey"]["Principal"] == ACCOUNT_ROOT
    assert "NamedAdministratorsAdministerKey" not in policy


def test_each_generated_secret_gets_a_policy_naming_only_the_proxy_role_and_readers():
    brought = {"users": [{"username": "app_user"}, {"username": "legacy", "secret_arn": LEGACY_SECRET_ARN}]}
    tree = resources(iam(secret_reader_arns=READERS), brought)
    policies = of_type(tree, "AWS::SecretsManager::ResourcePolicy")
    assert set(policies) == {names.secret_policy("app_user")}
    policy = policies[names.secret_policy("app_user")]["Properties"]
    assert policy["SecretId"] == {"Ref": names.secret("app_user")} and policy["BlockPublicPolicy"] is True
    (deny,) = policy["ResourcePolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == ["secretsmanager:GetSecretValue"]
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [get_att(names.ROLE, "Arn"), *READERS]}}


def test_secret_policies_name_an_existing_role_and_none_are_made_by_default():
    tree = resources(iam(secret_reader_arns=READERS, proxy_role_arn=ROLE_ARN))
    (policy,) = of_type(tree, "AWS::SecretsManager::ResourcePolicy").values()
    arns = policy["Properties"]["ResourcePolicy"]["Statement"][0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert arns == [ROLE_ARN, *READERS]
    assert not of_type(resources(), "AWS::SecretsManager::ResourcePolicy")


def test_existing_role_policies_are_literal_and_scoped_to_the_stack():
    cfg = make_cfg(iam(proxy_role_arn=ROLE_ARN), TWO_USERS)
    trust_text, policy_text = iam_guide.existing_role_policies(cfg)
    for text in (trust_text, policy_text):
        assert "Fn::" not in text and '"Ref"' not in text and "${" not in text
    trust = json.loads(trust_text)
    assert "Condition" not in trust["Statement"][0]
    guarded = json.loads(iam_guide.existing_role_policies(
        make_cfg(iam(proxy_role_arn=ROLE_ARN, proxy_trust_source_account=True), TWO_USERS))[0])
    assert guarded["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "444455556666"}}
    policy = statements(json.loads(policy_text))
    secrets = policy["ReadProxySecretsMadeByTheStack"]
    assert secrets["Resource"] == [f"arn:aws:secretsmanager:{cfg.region}:444455556666:secret:*"]
    assert secrets["Condition"]["StringEquals"] == {
        "secretsmanager:ResourceTag/aws:cloudformation:stack-name": cfg.stack_name}
    key = policy["DecryptProxySecretsMadeByTheStack"]
    assert key["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": f"alias/rds-proxy/{cfg.proxy.name}"}
    assert key["Condition"]["StringEquals"] == {"kms:ViaService": f"secretsmanager.{cfg.region}.amazonaws.com"}


def test_existing_role_policies_keep_brought_secrets_and_keys_by_arn():
    cfg = make_cfg(iam(proxy_role_arn=ROLE_ARN), OWN_KEY,
                   {"users": [{"username": "legacy", "secret_arn": LEGACY_SECRET_ARN}]})
    policy = statements(json.loads(iam_guide.existing_role_policies(cfg)[1]))
    assert set(policy) == {"ReadProxySecrets", "DecryptProxySecrets"}
    assert policy["ReadProxySecrets"]["Resource"] == [LEGACY_SECRET_ARN]
    assert policy["DecryptProxySecrets"]["Resource"] == [OWN_KEY["secrets"]["kms_key_arn"]]


def test_deploy_guide_lists_the_options_and_the_role_policies():
    cfg = make_cfg(iam(proxy_role_arn=ROLE_ARN, secret_reader_arns=READERS))
    guide = render.deploy_guide(cfg, build_template(cfg))
    assert "## IAM options" in guide and ROLE_ARN in guide and READERS[0] in guide
    assert iam_guide.existing_role_policies(cfg)[1] in guide
    assert "## IAM options" not in render.deploy_guide(make_cfg(), build_template(make_cfg()))


def test_the_product_takes_only_the_boundary_of_the_iam_options():
    cfg = make_cfg(PROVISIONER, iam(permissions_boundary_arn=BOUNDARY, role_path=PATH, key_admin_arns=ADMINS,
                                    secret_reader_arns=READERS, proxy_role_arn=None))
    assert sorted(p.path for p in product_limits(cfg)) == [("iam", "key_admin_arns"), ("iam", "role_path"),
                                                           ("iam", "secret_reader_arns")]
    assert product_limits(make_cfg(PROVISIONER, iam(proxy_role_arn=ROLE_ARN))) != []
    assert product_limits(make_cfg(PROVISIONER, iam(permissions_boundary_arn=BOUNDARY))) == []


def test_change_analysis_knows_the_new_create_only_properties():
    assert resource_schema("eu-west-1", "AWS::SecretsManager::ResourcePolicy").create_only == ("SecretId",)
    old = build_template(make_cfg()).to_dict()
    new = build_template(make_cfg(iam(role_path=PATH, secret_reader_arns=READERS))).to_dict()
    changes = {c.logical_id: c for c in analyse(Template.from_tree(old), Template.from_tree(new), "eu-west-1").changes}
    assert changes[names.ROLE].action is Action.REPLACE  # Path is create-only (AWS::IAM::Role schema)
    assert changes[names.secret_policy("app_user")].action is Action.ADD
