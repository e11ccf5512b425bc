"""Waived defaults are recorded on the weakened resources and at the top of the template."""

from __future__ import annotations

from templates_src.stack import build_template

from .envs import NO_IAM, NO_RETAIN, make_cfg

REASON = "legacy client, tracked in TICKET-42"


def _waivers(resource: dict) -> dict:
    return resource.get("Metadata", {}).get("RdsProxyCfn", {}).get("Waivers", {})


def test_secure_defaults_record_no_waivers():
    template = build_template(make_cfg()).to_dict()
    assert "RdsProxyCfn" not in template.get("Metadata", {})
    assert all("Metadata" not in resource for resource in template["Resources"].values())


def test_iam_and_tls_waivers_sit_on_the_proxy():
    template = build_template(make_cfg(NO_IAM)).to_dict()
    assert _waivers(template["Resources"]["Proxy"]) == {
        "rds_proxy_auth_iam_required": REASON, "rds_proxy_requires_tls": REASON}
    assert template["Metadata"]["RdsProxyCfn"]["Waivers"] == {"iam_auth": REASON, "require_tls": REASON}
    others = [name for name, res in template["Resources"].items() if name != "Proxy" and "Metadata" in res]
    assert others == []


def test_retention_waiver_sits_on_every_deleted_resource():
    template = build_template(make_cfg(NO_RETAIN)).to_dict()
    waived = sorted(name for name, res in template["Resources"].items() if _waivers(res))
    assert waived == ["AppUserSecret", "ProxyLogGroup", "ProxySecretsKey"]
    for name in waived:
        assert template["Resources"][name]["DeletionPolicy"] == "Delete"
        assert _waivers(template["Resources"][name]) == {
            "secrets_key_and_logs_retained": "throwaway test stacks (TICKET-7)"}
