"""``params/_product.yaml``: what the portfolio owner lets launchers of the Service Catalog product weaken.

The product offers only the secure values of its security parameters (RequireTLS true, each
user's IamAuth REQUIRED). A launcher chooses the parameters, so nothing an env's params file waives
can stop a launch that turns TLS or IAM auth off: the product itself has to refuse it. The owner of
the portfolio widens a parameter only by building a product that allows it, with a reason in
``waivers`` (the same words as an env's waivers), which the product records in its Metadata and in
the parameter's description, where a reviewer of the product's diff sees it.

Shape as the env model: frozen dataclasses declared with ``keys.key`` (so unknown keys,
types and lengths come from ``rules.single_key``), and a rule pass (``check``) for what relates keys.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from ..facts import provisioner as pfacts
from ..facts.aws import IamAuth
from .errors import KeyPath
from .schema.model import EnvConfig
from .schema.keys import key
from .rules.text import MIN_REASON_WORDS, is_reason
from .rules.waivers import MIN_WAIVER_REASON, Report

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


WAIVABLE = tuple(f.name for f in dataclasses.fields(ProductWaiverParams))


@dataclass(frozen=True)
class ProductProvisionerParams:
    artifact_bucket: str = key(
        "The S3 bucket, in the portfolio's region, where the publish steps stage the database-users "
        "function's code: the product's ProvisionerArtifactBucket default, and the only bucket the launch "
        "role may read code from.", pattern=pfacts.S3_BUCKET_PATTERN,
    )
    ca_bundle_sha256: str = key(
        "SHA-256 (lowercase hex) of the RDS CA bundle staged with the code (as an env's "
        "provisioner.ca_bundle_sha256): names the code's key, the product's ProvisionerArtifactKey default.",
        pattern=pfacts.SHA256_PATTERN,
    )


@dataclass(frozen=True)
class ProductSettings:
    """The product's settings. ``source`` (the file as shown in messages, whether it exists or
    not) is not part of what the product is built from, so it takes no part in equality."""

    waivers: ProductWaiverParams = key(
        "Reasons for letting launchers weaken a secure default; each is recorded in the product template.",
        default=ProductWaiverParams(),
    )
    provisioner: ProductProvisionerParams | None = key(
        "Where the portfolio keeps the database-users function's code: launches need no code parameters "
        "(absent: each launch gives ProvisionerArtifactBucket and ProvisionerArtifactKey).", default=None,
    )
    source: str = dataclasses.field(default=f"params/{PRODUCT_SETTINGS_FILE}", compare=False,
                                    metadata={"doc": "The settings file, as shown in messages.", "internal": True})

    def waived(self) -> dict[str, str]:
        """Waiver key -> reason, for each waiver given, in the order of ``ProductWaiverParams``."""
        return {name: reason for name, reason in vars(self.waivers).items() if reason is not None}

    def cache_key(self) -> str:
        """What the product is built from besides the code, as text (build_cache.CodeCache)."""
        return json.dumps({"waivers": self.waived(),
                           "provisioner": dataclasses.asdict(self.provisioner) if self.provisioner else None},
                          sort_keys=True)


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


def check(settings: ProductSettings, raw: object, report: Report) -> None:
    """Every rule on the validated settings; ``raw``: the file's tree, where an empty waiver
    (``iam_auth:`` with no reason, which YAML reads as null) is told apart from a missing one."""
    waivers = raw.get("waivers") if isinstance(raw, dict) else None
    for name, reason in (waivers.items() if isinstance(waivers, dict) else ()):
        # An env's null waiver is no waiver; here a waiver key without a reason is a slip.
        if reason is None and name in WAIVABLE:
            report(("waivers", name), "has no reason; write the reason, or remove the key to offer only the "
                                      "secure value")
    for rule in RULES:
        rule(settings, report)


def missing_waivers(cfg: EnvConfig, settings: ProductSettings) -> list[tuple[KeyPath, str]]:
    """What in an env (validated and resolved) the product built with ``settings`` does not offer:
    (where in the env's file, why the product cannot launch it), one per waiver it lacks."""
    needed: dict[str, tuple[KeyPath, str]] = {}
    if not cfg.proxy.require_tls:
        needed["require_tls"] = (("proxy", "require_tls"), "false is")
    weak = [(index, user) for index, user in enumerate(cfg.users)
            if (user.iam_auth or cfg.proxy.iam_auth) is not IamAuth.REQUIRED]
    if weak:
        # Resolved users all carry a value; where it is the proxy's (weak) default, that is the line.
        inherited = cfg.proxy.iam_auth is not IamAuth.REQUIRED and all(
            (u.iam_auth or cfg.proxy.iam_auth) is cfg.proxy.iam_auth for _, u in weak)
        where = ("proxy", "iam_auth") if inherited else ("users", weak[0][0], "iam_auth")
        values = sorted({(u.iam_auth or cfg.proxy.iam_auth).value for _, u in weak})
        needed["iam_auth"] = (where, f"{' and '.join(values)} (users {', '.join(u.username for _, u in weak)}) "
                                     f"{'are' if len(values) > 1 else 'is'}")
    return [(where, f"{what} offered by the Service Catalog product only when {settings.source} has "
                    f"waivers.{name}: <the reason> (the portfolio owner's choice)")
            for name, (where, what) in needed.items() if getattr(settings.waivers, name) is None]
