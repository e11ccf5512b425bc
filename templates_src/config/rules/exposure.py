"""Rules against params written to do harm: privileged usernames, the internet let in by
halves (on the proxy or an endpoint), regions the linter cannot check, more tags than AWS takes.

Same shape as ``env``: each rule is ``(config, report)``, run after the single-key checks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path

from ...facts import aws as facts
from ...facts.sql import MASTER_USERNAMES, RESERVED_USERNAME_PREFIXES, RESERVED_USERNAMES
from .cidrs import whole_internet
from ..errors import KeyPath
from ..schema.model import EnvConfig
from .single_key import suggest

Report = Callable[[KeyPath, str], None]


def _no_reserved_usernames(cfg: EnvConfig, report: Report) -> None:
    reserved = RESERVED_USERNAMES[cfg.engine_family]
    prefixes = RESERVED_USERNAME_PREFIXES[cfg.engine_family]
    masters = MASTER_USERNAMES[cfg.engine_family]
    for index, user in enumerate(cfg.users):
        name = user.username.lower()
        if user.master and name in masters:
            continue  # db-users.sql leaves the master alone
        if name in reserved or name.startswith(prefixes):
            what = ("a master is never named after RDS's own or the engine's built-in accounts" if user.master else
                    "db-users.sql would reset its password and grant to it; name the application's own user"
                    + (" (the master, with its own secret: mark it master: true)" if name in masters else ""))
            report(("users", index, "username"),
                   f"{user.username!r} is a reserved or administrative {cfg.engine_family.value} user: {what}")


def _clients_not_the_whole_internet(cfg: EnvConfig, report: Report) -> None:
    """Every place that opens ingress: the proxy's client ranges and each extra endpoint's."""
    for path, cidrs in ((("network", "allowed_cidrs"), cfg.network.allowed_cidrs),
                        *((("endpoints", i, "allowed_cidrs"), e.allowed_cidrs) for i, e in enumerate(cfg.endpoints))):
        whole = whole_internet(cidrs)
        if whole:
            report(path, f"together the IPv{6 if ':' in whole else 4} ranges are {whole}, the whole internet; "
                         "refused (name the client ranges)")


@cache
def lint_regions() -> frozenset[str]:
    """The regions the installed cfn-lint has resource schemas for (one file each). Linting for
    any other region fails inside cfn-lint, and CloudFormation has no such region to deploy to."""
    spec = importlib.util.find_spec("cfnlint")  # finds the package without importing it (fast)
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    providers = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas" / "providers"
    return frozenset(p.stem for p in providers.glob("*.json") if p.stem != "sam")


def _region_known(cfg: EnvConfig, report: Report) -> None:
    known = lint_regions()
    if known and cfg.region not in known:
        report(("region",), f"{cfg.region!r} is not a region cfn-lint knows{suggest(cfg.region, sorted(known))} "
                            f"(it has resource schemas for {len(known)} regions, e.g. us-east-1, eu-west-1)")


def _tags_within_limit(cfg: EnvConfig, report: Report) -> None:
    allowed = facts.MAX_TAGS_PER_RESOURCE - facts.TAGS_ADDED_BY_BUILD
    if len(cfg.tags or {}) > allowed:
        report(("tags",), f"has {len(cfg.tags)} tags; at most {allowed} (AWS allows {facts.MAX_TAGS_PER_RESOURCE} per "
                          f"resource and the build adds Environment and, on secrets, DatabaseUser)")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _no_reserved_usernames,
    _clients_not_the_whole_internet,
    _region_known,
    _tags_within_limit,
)

