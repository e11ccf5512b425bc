"""The keys of secrets the stack did not make (users[].secret_kms_key_arn): the proxy role and the
provisioner decrypt exactly those, only through Secrets Manager, and nothing changes without them."""

from __future__ import annotations

import json

import pytest

from templates_src.builders import iam, names
from templates_src.builders.stack import build_template
from templates_src.catalog.provisioning import product_limits
from templates_src.render.files import DEPLOY_GUIDE_FILE, render_env

from .envs import (CLUSTER, END_TO_END_IAM, KEY_ARN, LEGACY_SECRET_ARN, OWN_KEY, PROVISIONER, get_att, make_cfg, props,
                   statements, sub)

pytestmark = pytest.mark.unit

TEAM_KEY = "arn:aws:kms:eu-west-1:111122223333:key/8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
SHARED_SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:payments/reporting-StUvWx"
VIA_SECRETS_MANAGER = {"StringEquals": {"kms:ViaService": sub("secretsmanager.${AWS::Region}.amazonaws.com")}}
STACK_KEY = get_att("ProxySecretsKey", "Arn")


def _users(*brought: tuple[str, str, str | None]) -> dict:
    """app_user (generated secret), then one user per (name, secret, key)."""
    users = [{"username": "app_user"}]
    for name, secret, key in brought:
        users.append({"username": name, "secret_arn": secret, **({"secret_kms_key_arn": key} if key else {})})
    return {"users": users}


def _decrypt(*overrides) -> dict:
    policy, _ = iam.build_proxy_role(make_cfg(*overrides))
    return statements(props(policy)["PolicyDocument"])["DecryptProxySecrets"]


def _provisioner_decrypt(*overrides) -> dict:
    resources = build_template(make_cfg(PROVISIONER, *overrides)).to_dict()["Resources"]
    document = resources[names.PROVISIONER_POLICY]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}["DecryptThroughSecretsManager"]


@pytest.mark.parametrize("overrides, keys", [
    ((), [STACK_KEY]),  # nobody names a key: the statement as before
    ((_users(("legacy", LEGACY_SECRET_ARN, None)),), [STACK_KEY]),  # under aws/secretsmanager: no grant
    ((_users(("reporting", SHARED_SECRET, TEAM_KEY)),), [STACK_KEY, TEAM_KEY]),
    ((_users(("reporting", SHARED_SECRET, TEAM_KEY), ("legacy", LEGACY_SECRET_ARN, TEAM_KEY)),), [STACK_KEY, TEAM_KEY]),
    ((_users(("reporting", SHARED_SECRET, OTHER_KEY), ("legacy", LEGACY_SECRET_ARN, TEAM_KEY)),),
     [STACK_KEY, OTHER_KEY, TEAM_KEY]),
    ((OWN_KEY, _users(("reporting", SHARED_SECRET, KEY_ARN))), [KEY_ARN]),  # the env's own key, once
    ((OWN_KEY, _users(("reporting", SHARED_SECRET, TEAM_KEY))), [KEY_ARN, TEAM_KEY]),
])
def test_the_proxy_decrypts_exactly_the_named_keys_through_secrets_manager(overrides, keys):
    decrypt = _decrypt(*overrides)
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == keys
    assert decrypt["Condition"] == VIA_SECRETS_MANAGER


def test_end_to_end_iam_reads_no_secret_and_names_no_key():
    cfg = make_cfg(END_TO_END_IAM)
    assert cfg.brought_secret_keys == ()
    assert "DecryptProxySecrets" not in statements(props(iam.build_proxy_role(cfg)[0])["PolicyDocument"])


@pytest.mark.parametrize("overrides, keys", [
    ((), [STACK_KEY]),
    ((_users(("reporting", SHARED_SECRET, TEAM_KEY)),), [STACK_KEY, TEAM_KEY]),
    # The admin secret and a user's under the same key: named once.
    (({"provisioner": {"admin_secret_kms_key_arn": TEAM_KEY}}, _users(("reporting", SHARED_SECRET, TEAM_KEY))),
     [STACK_KEY, TEAM_KEY]),
    (({"provisioner": {"admin_secret_kms_key_arn": OTHER_KEY}}, _users(("reporting", SHARED_SECRET, TEAM_KEY))),
     [STACK_KEY, TEAM_KEY, OTHER_KEY]),
])
def test_the_provisioner_decrypts_the_keys_of_the_secrets_it_reads(overrides, keys):
    decrypt = _provisioner_decrypt(*overrides)
    assert decrypt["Resource"] == keys
    assert decrypt["Condition"] == VIA_SECRETS_MANAGER


def test_a_named_key_is_in_no_other_resource_than_the_two_policies():

    resources = build_template(make_cfg(PROVISIONER, _users(("reporting", SHARED_SECRET, TEAM_KEY)))).to_dict()["Resources"]
    assert sorted(name for name, r in resources.items() if TEAM_KEY in json.dumps(r)) == sorted(
        [names.ROLE_POLICY, names.PROVISIONER_POLICY])


def _guide(*overrides) -> str:
    cfg = make_cfg(*overrides)
    return render_env(cfg, build_template(cfg))[f"{cfg.env}/{DEPLOY_GUIDE_FILE}"]


def test_deploy_guide_lists_brought_secrets_and_their_keys_only_where_there_are_some():
    assert "## Secrets the stack did not make" not in _guide()
    guide = _guide(_users(("reporting", SHARED_SECRET, TEAM_KEY), ("legacy", LEGACY_SECRET_ARN, None)))
    assert f"| `reporting` | `{SHARED_SECRET}` | `{TEAM_KEY}` |" in guide
    assert f"| `legacy` | `{LEGACY_SECRET_ARN}` | `aws/secretsmanager` or the stack's key |" in guide
    assert "aws rds describe-db-instances --region eu-west-1 --db-instance-identifier orders-test-db" in guide
    assert "create-db-users.sh`\nreads these secrets with your credentials" in guide


def test_deploy_guide_finds_a_clusters_master_secret():
    guide = _guide(CLUSTER, _users(("reporting", SHARED_SECRET, TEAM_KEY)))
    assert "`rds!cluster-...`" in guide
    assert ("--query 'DBClusters[0].[MasterUsername,MasterUserSecret.SecretArn,MasterUserSecret.KmsKeyId]'"
            in guide)
    assert "    master: true\n    secret_arn: <SecretArn>\n" in guide


def test_an_env_with_a_brought_secrets_key_is_not_offered_through_the_product():
    """The product always generates its secrets, so it has no slot for a secret's key either: the
    launch check names the brought secret, and the env keeps its own template."""
    cfg = make_cfg(PROVISIONER, _users(("reporting", SHARED_SECRET, TEAM_KEY)))
    assert [(e.path, e.message) for e in product_limits(cfg)] == [
        (("users", 1, "secret_arn"), "an existing secret cannot be given to the Service Catalog product (it always "
                                     "generates the secrets)")]
