"""Waived defaults are recorded on the weakened resources and at the top of the template."""

from __future__ import annotations

import pytest

from templates_src.builders.stack import build_template

from .envs import NO_IAM, NO_RETAIN, NO_ROTATION, ROTATION, TWO_USERS, make_cfg

pytestmark = pytest.mark.unit

REASON = "legacy client, tracked in TICKET-42"


def _waivers(resource: dict) -> dict:
    return resource.get("Metadata", {}).get("RdsProxyCfn", {}).get("Waivers", {})


def test_secure_defaults_record_no_waivers():
    """Rotated secrets, egress to the database's group and the Secrets Manager endpoint only: no
    waiver anywhere; the only Metadata is the alarms' registry suppression of their names."""
    template = build_template(make_cfg(ROTATION)).to_dict()
    assert "RdsProxyCfn" not in template.get("Metadata", {})
    with_metadata = {name: resource["Metadata"] for name, resource in template["Resources"].items()
                     if "Metadata" in resource}
    assert with_metadata and all(template["Resources"][name]["Type"] == "AWS::CloudWatch::Alarm" for name in with_metadata)
    assert all("Waivers" not in metadata["RdsProxyCfn"] for metadata in with_metadata.values())


def test_iam_and_tls_waivers_sit_on_the_proxy():
    template = build_template(make_cfg(NO_IAM, ROTATION)).to_dict()
    assert _waivers(template["Resources"]["Proxy"]) == {
        "rds_proxy_auth_iam_required": REASON, "rds_proxy_requires_tls": REASON}
    assert template["Metadata"]["RdsProxyCfn"]["Waivers"] == {"iam_auth": REASON, "require_tls": REASON}
    others = [name for name, res in template["Resources"].items() if name != "Proxy" and _waivers(res)]
    assert others == []


def test_retention_waiver_sits_on_every_deleted_resource():
    template = build_template(make_cfg(NO_RETAIN, ROTATION)).to_dict()
    waived = sorted(name for name, res in template["Resources"].items() if _waivers(res))
    assert waived == ["AppUserSecret", "ProxyLogGroup", "ProxySecretsKey"]
    for name in waived:
        assert template["Resources"][name]["DeletionPolicy"] == "Delete"
        assert _waivers(template["Resources"][name]) == {
            "secrets_key_and_logs_retained": "throwaway test stacks (TICKET-7)"}


def test_no_rotation_waiver_sits_on_every_generated_secret_with_the_registry_suppression():
    template = build_template(make_cfg(TWO_USERS)).to_dict()
    secrets = {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"}
    assert sorted(secrets) == ["AppUserSecret", "MigratorSecret"]
    for secret in secrets.values():
        assert secret["Metadata"] == {"RdsProxyCfn": {"Waivers": {"generated_secrets_rotated": NO_ROTATION}},
                                      "guard": {"SuppressedRules": ["SECRETSMANAGER_ROTATION_ENABLED_CHECK"]}}
    assert template["Metadata"]["RdsProxyCfn"]["Waivers"] == {"rotation": NO_ROTATION}
