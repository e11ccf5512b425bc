"""The proxy's own policies: TLS required, and every user logs in with an IAM token.

Guard form: ``policies/proxy.guard``; the table of rules and Guard's semantics: ``rules``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import Path, at, each, get, resources_of, say, waived

FIX_TLS = "Fix: set proxy.require_tls: true in the params file"
FIX_IAM = "Fix: remove iam_auth DISABLED/ENABLED from proxy.iam_auth and users[*].iam_auth"

MESSAGES = {
    "tls": "Violation: an RDS Proxy must set RequireTLS: true",
    "auth_entry": "Violation: every Auth entry of an RDS Proxy must have IAMAuth: REQUIRED",
    "auth_none": "Violation: an RDS Proxy without Auth entries must set DefaultAuthScheme: IAM_AUTH",
}


_say = partial(say, MESSAGES)


def requires_tls(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, proxy in resources_of(template, ("AWS::RDS::DBProxy",)):
        if not waived(proxy, "rds_proxy_requires_tls") and get(proxy.get("Properties"), "RequireTLS") is not True:
            yield ("Resources", name, "Properties", "RequireTLS"), _say("tls", FIX_TLS)


def auth_iam_required(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every Auth entry has IAMAuth REQUIRED; a proxy with no Auth must use end-to-end IAM auth
    (DefaultAuthScheme IAM_AUTH: clients and the proxy both authenticate with IAM)."""
    for name, proxy in resources_of(template, ("AWS::RDS::DBProxy",)):
        if waived(proxy, "rds_proxy_auth_iam_required"):
            continue
        properties, where = proxy.get("Properties"), ("Resources", name, "Properties")
        if not isinstance(properties, Mapping):
            yield where, _say("auth_entry", FIX_IAM)
            continue
        if "Auth" not in properties:
            if properties.get("DefaultAuthScheme") != "IAM_AUTH":
                yield (*where, "Auth"), _say("auth_none")
            continue
        entries = each(properties["Auth"])
        if entries is None:
            yield (*where, "Auth"), _say("auth_entry", FIX_IAM)
            continue
        for index, entry in entries:
            if get(entry, "IAMAuth") != "REQUIRED":
                yield (*at((*where, "Auth"), index), "IAMAuth"), _say("auth_entry", FIX_IAM)
