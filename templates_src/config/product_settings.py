"""``params/_product.yaml``: what the portfolio owner lets launchers of the Service Catalog product weaken.

The product offers only the secure values of its security parameters (RequireTLS true, each
user's IamAuth REQUIRED). A launcher chooses the parameters, so nothing an env's params file waives
can stop a launch that turns TLS or IAM auth off: the product itself has to refuse it. The owner of
the portfolio widens a parameter only by building a product that allows it, with a reason in
``waivers`` (the same words as an env's waivers), which the product records in its Metadata and in
the parameter's description, where a reviewer of the product's diff sees it.

Shape as the env model: frozen dataclasses declared with ``model_keys.key`` (so unknown keys,
types and lengths come from ``validate``), and a rule pass (``check``) for what relates keys.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from .errors import KeyPath
from .model_keys import key
from .text_rules import MIN_REASON_WORDS, is_reason
from .waiver_rules import MIN_WAIVER_REASON, Report

PRODUCT_SETTINGS_FILE = "_product.yaml"
REASON_MAX_LENGTH = 500  # as an env's waiver reasons (model.WaiverParams)


@dataclass(frozen=True)
class ProductWaiverParams:
    require_tls: str | None = key(
        "Why launchers may set RequireTLS false (clients without TLS): the product then offers false. "
        "Needs iam_auth too (IAM tokens need TLS, so a user without TLS cannot have IAM auth REQUIRED).",
        default=None, max_length=REASON_MAX_LENGTH,
    )
    iam_auth: str | None = key(
        "Why launchers may set a user's IamAuth DISABLED (password only) or, on SQL Server, ENABLED: the product "
        "then offers them.", default=None, max_length=REASON_MAX_LENGTH,
    )


# Waiver key -> the env params that need it to be launched through the product (for messages).
WAIVED_SETTINGS = {"require_tls": "require_tls: false", "iam_auth": "iam_auth DISABLED or ENABLED"}
assert tuple(WAIVED_SETTINGS) == tuple(f.name for f in dataclasses.fields(ProductWaiverParams))


@dataclass(frozen=True)
class ProductSettings:
    """The product's settings. ``source`` (the file as shown in messages, whether it exists or
    not) is not part of what the product is built from, so it takes no part in equality."""

    waivers: ProductWaiverParams = key(
        "Reasons for letting launchers weaken a secure default; each is recorded in the product template.",
        default=ProductWaiverParams(),
    )
    source: str = dataclasses.field(default=f"params/{PRODUCT_SETTINGS_FILE}", compare=False,
                                    metadata={"doc": "The settings file, as shown in messages.", "internal": True})

    def waived(self) -> dict[str, str]:
        """Waiver key -> reason, for each waiver given, in the order of ``ProductWaiverParams``."""
        return {name: reason for name, reason in vars(self.waivers).items() if reason is not None}

    def cache_key(self) -> str:
        """What the product is built from besides the code, as text (build_cache.CodeCache)."""
        return json.dumps({"waivers": self.waived()}, sort_keys=True)


DEFAULT_SETTINGS = ProductSettings()  # no _product.yaml: the secure values only


def _reasons_in_words(settings: ProductSettings, report: Report) -> None:
    for name, reason in settings.waived().items():
        if len(reason.strip()) < MIN_WAIVER_REASON or not is_reason(reason):
            report(("waivers", name), f"give the reason in words (at least {MIN_WAIVER_REASON} characters and "
                                      f"{MIN_REASON_WORDS} words)")


def _tls_needs_iam_auth(settings: ProductSettings, report: Report) -> None:
    # The product's TlsWhileIamAuthRequired rule refuses RequireTLS false while a user has IamAuth
    # REQUIRED (as config.rules does for an env), and user 1 is always there: with IamAuth REQUIRED
    # only, no launch could use false. A waiver that allows nothing is refused, as an env's is.
    waivers = settings.waivers
    if waivers.require_tls is not None and waivers.iam_auth is None:
        report(("waivers", "require_tls"), "RequireTLS false can only be launched with every user's IamAuth "
                                           "DISABLED or ENABLED (IAM tokens need TLS); add waivers.iam_auth: "
                                           "<the reason> too")


RULES = (_reasons_in_words, _tls_needs_iam_auth)


def check(settings: ProductSettings, report: Report) -> None:
    for rule in RULES:
        rule(settings, report)


def missing_waivers(weakened: dict[str, tuple[KeyPath, str]], settings: ProductSettings) -> list[tuple[KeyPath, str]]:
    """Of an env's weakened defaults (``waiver_rules.weakened_defaults``), those the product does not
    offer under ``settings``: (where in the env's file, why the product cannot launch it)."""
    problems = []
    for name, setting in WAIVED_SETTINGS.items():
        if name in weakened and getattr(settings.waivers, name) is None:
            problems.append((weakened[name][0], f"the Service Catalog product offers {setting} only when "
                                                f"{settings.source} has waivers.{name}: <the reason> (the portfolio "
                                                f"owner's choice)"))
    return problems

