"""Project policies of the Service Catalog product's launch parameters.

The product's security settings are parameters a launcher chooses, so the env policies
(``proxy``: RequireTLS true, IAMAuth REQUIRED) cannot judge it; what can be judged is what
it lets a launcher choose. ``RequireTLS`` may allow ``true`` only and every ``User<i>IamAuth``
``REQUIRED`` only, unless the template's own ``Metadata.RdsProxyCfn.Waivers`` records the
portfolio owner's reason (``require_tls``, ``iam_auth``: ``params/_product.yaml``, written by
``catalog.product``). A template without those parameters (every env template) has nothing to
judge. Guard form: ``policies/product.guard``; Guard's semantics as in ``rules``
(a missing or empty AllowedValues is a violation: nothing shows the value is safe).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import Path, at, each, get, say, waived

REQUIRE_TLS_PARAMETER = "RequireTLS"
IAM_AUTH_PARAMETER = r"User[0-9]+IamAuth"  # anchored in the Guard twin: /^User[0-9]+IamAuth$/

FIX_PRODUCT_TLS = "Fix: allow only 'true', or give the reason in waivers.require_tls of params/_product.yaml"
FIX_PRODUCT_IAM = "Fix: allow only REQUIRED, or give the reason in waivers.iam_auth of params/_product.yaml"

MESSAGES = {
    "product_tls": "Violation: the product lets a launcher set RequireTLS to a value other than true",
    "product_iam": "Violation: the product lets a launcher set a user's IamAuth to a value other than REQUIRED",
}


_say = partial(say, MESSAGES)


def _offers_only(template: Mapping[str, Any], name: str, value: str, message: str) -> Iterator[tuple[Path, str]]:
    """Each of the parameter's AllowedValues that is not ``value`` (Guard's ``AllowedValues[*] ==``:
    a missing or empty list fails as a whole)."""
    where = ("Parameters", name, "AllowedValues")
    for index, allowed in each(get(get(get(template, "Parameters"), name), "AllowedValues")) or [(None, None)]:
        if allowed != value:
            yield at(where, index), message


def offers_tls_only(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    parameters = get(template, "Parameters")
    if not isinstance(parameters, Mapping) or REQUIRE_TLS_PARAMETER not in parameters or waived(template, "require_tls"):
        return
    yield from _offers_only(template, REQUIRE_TLS_PARAMETER, "true", _say("product_tls", FIX_PRODUCT_TLS))


def offers_iam_auth_required_only(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    parameters = get(template, "Parameters")
    if not isinstance(parameters, Mapping) or waived(template, "iam_auth"):
        return
    for name in parameters:
        if isinstance(name, str) and re.fullmatch(IAM_AUTH_PARAMETER, name):
            yield from _offers_only(template, name, "REQUIRED", _say("product_iam", FIX_PRODUCT_IAM))
