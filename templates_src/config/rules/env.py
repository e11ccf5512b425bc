"""Rules that relate two or more keys: those of no one section here, and every rule in one list.

Each rule is a small function ``(config, report)`` listed in ``RULES``, run on the config before
``derive.resolve`` fills in the derived defaults. The single-key checks (types, ranges, patterns)
already passed.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

from ...facts import aws as facts
from ...facts.aws import ENGINES, UNSUPPORTED_AUTH_TYPES, EngineFamily, IamAuth, RotationStrategy
from ...facts.partitions import region_partition
from ...facts.paths import reserved_out_name
from ...facts.naming import resource_name
from ...facts.sql import DEFAULT_SCHEMA, KNOWN_PRIVILEGES
from ..errors import KeyPath
from ..schema.model import EnvConfig
from .cidrs import cidr_problem
from . import (
    cross_key as cross_key_rules,
    endpoints as endpoint_rules,
    exposure as exposure_rules,
    iam as iam_rules,
    monitoring as monitoring_rules,
    network as network_rules,
    provisioner as provisioner_rules,
    waivers as waiver_rules,
)
from .auth import auth_scheme_ok, master_user_ok
from .single_key import suggest
from . import security_groups as security_group_rules

Report = Callable[[KeyPath, str], None]


def _read_only_endpoint_fits(cfg: EnvConfig, report: Report) -> None:
    target = cfg.target
    longest = facts.PROXY_NAME_MAX - len(facts.READ_ONLY_ENDPOINT_SUFFIX)
    if target.read_only_endpoint and len(cfg.proxy.name) > longest:
        report(("proxy", "name"), f"is {len(cfg.proxy.name)} characters long; with read_only_endpoint the "
                                  f"endpoint name <name>{facts.READ_ONLY_ENDPOINT_SUFFIX} needs it at most {longest}")
    if target.read_only_endpoint and cfg.engine_family is EngineFamily.SQLSERVER:
        report(("target", "read_only_endpoint"), "SQLSERVER proxies support only READ_WRITE endpoints")


def _pinning_filters_match_engine(cfg: EnvConfig, report: Report) -> None:
    allowed = ENGINES[cfg.engine_family].session_pinning_filters
    for index, name in enumerate(cfg.pool.session_pinning_filters):
        if name not in allowed:
            report(("pool", "session_pinning_filters", index),
                   f"{name.value} is not supported on {cfg.engine_family.value} "
                   f"(allowed: {', '.join(sorted(f.value for f in allowed)) or 'none'})")


def _iam_auth_value_ok(cfg: EnvConfig, value: IamAuth | None, path: KeyPath, report: Report) -> None:
    if value is not None and value not in ENGINES[cfg.engine_family].iam_auth_values:
        report(path, f"{value.value} is only allowed on SQLSERVER, got {cfg.engine_family.value} "
                     "(use REQUIRED or DISABLED)")


def _server_matches_family(cfg: EnvConfig, report: Report) -> None:
    engines = ENGINES[cfg.engine_family].engines
    if cfg.target.engine is not None and cfg.target.engine not in engines:
        report(("target", "engine"), f"{cfg.target.engine.value} is not a server of engine_family "
                                     f"{cfg.engine_family.value} (allowed: {', '.join(e.value for e in engines)})")


def _users_match_engine(cfg: EnvConfig, report: Report) -> None:
    engine = ENGINES[cfg.engine_family]
    server = cfg.target.engine
    unsupported = UNSUPPORTED_AUTH_TYPES.get(server, frozenset()) if server else frozenset()
    _iam_auth_value_ok(cfg, cfg.proxy.iam_auth, ("proxy", "iam_auth"), report)
    for index, user in enumerate(cfg.users):
        _iam_auth_value_ok(cfg, user.iam_auth, ("users", index, "iam_auth"), report)
        auth_type = user.client_password_auth_type
        if auth_type is not None and auth_type not in engine.auth_types:
            report(("users", index, "client_password_auth_type"),
                   f"{auth_type.value} requires another engine family, got {cfg.engine_family.value} "
                   f"(allowed: {', '.join(sorted(a.value for a in engine.auth_types))})")
        elif server is not None and auth_type in unsupported:
            allowed = sorted(a.value for a in engine.auth_types - unsupported)
            report(("users", index, "client_password_auth_type"),
                   f"{auth_type.value} is not available with target.engine {server.value}, which has "
                   f"no such password plugin (allowed: {', '.join(allowed)})")


def _usernames_unique(cfg: EnvConfig, report: Report) -> None:
    # Usernames become resource names (app_user -> AppUserSecret), so compare those too.
    seen: dict[str, int] = {}
    for index, user in enumerate(cfg.users):
        name = resource_name(user.username)
        if name in seen:
            other = cfg.users[seen[name]].username
            what = "is listed twice" if other == user.username else f"clashes with {other!r} (both become {name})"
            report(("users", index, "username"), f"{user.username!r} {what} (also users[{seen[name]}])")
        seen.setdefault(name, index)


def _allowed_cidrs_ok(cfg: EnvConfig, report: Report) -> None:
    network = cfg.network
    if not network.create_security_group:
        return  # no group of the stack to let clients into: security_group_rules refuses these keys
    seen: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, int] = {}
    for index, cidr in enumerate(network.allowed_cidrs):
        path = ("network", "allowed_cidrs", index)
        parsed, problem = cidr_problem(cidr, "opens the proxy to the whole internet; refused (name the client ranges)")
        if parsed is None:
            report(path, problem)
            continue
        if parsed in seen:  # the same range spelt twice would make two identical ingress rules
            other = seen[parsed]
            report(path, f"{cidr!r} is the same range as allowed_cidrs[{other}] ({network.allowed_cidrs[other]!r})")
        seen.setdefault(parsed, index)
        if problem:
            report(path, problem)


def _database_destination(cfg: EnvConfig, report: Report) -> None:
    cidr = cfg.network.database_cidr
    if cidr is None:
        return
    path = ("network", "database_cidr")
    if cfg.network.database_security_group_id:
        report(path, "give database_security_group_id or database_cidr, not both (the group is the narrower)")
    _, problem = cidr_problem(cidr, "is every address, as if database_cidr were left out; name the range of "
                                     "the database's subnets")
    if problem:
        report(path, problem)


def _key_and_secrets_in_region(cfg: EnvConfig, report: Report) -> None:
    partition = region_partition(cfg.region)

    def check(arn: str | None, path: KeyPath, what: str) -> None:
        if arn and arn.split(":")[3] != cfg.region:
            report(path, f"the {what} is in {arn.split(':')[3]}, but the stack deploys to {cfg.region}")
        elif arn and arn.split(":")[1] != partition:
            report(path, f"names partition {arn.split(':')[1]}, but region {cfg.region} is in partition {partition}")

    check(cfg.secrets.kms_key_arn, ("secrets", "kms_key_arn"), "key")
    # Alarm actions notify topics of the alarm's own region (CloudWatch User Guide, "Alarm actions").
    check(cfg.monitoring.alarm_topic_arn, ("monitoring", "alarm_topic_arn"), "topic")
    check(cfg.secrets.rotation_superuser_secret_arn, ("secrets", "rotation_superuser_secret_arn"), "secret")
    for index, user in enumerate(cfg.users):
        check(user.secret_arn, ("users", index, "secret_arn"), "secret")
        check(user.secret_kms_key_arn, ("users", index, "secret_kms_key_arn"), "key")
    if cfg.provisioner is not None:
        check(cfg.provisioner.admin_secret_arn, ("provisioner", "admin_secret_arn"), "secret")
        check(cfg.provisioner.admin_secret_kms_key_arn, ("provisioner", "admin_secret_kms_key_arn"), "key")


def _secret_key_with_its_secret(cfg: EnvConfig, report: Report) -> None:
    for index, user in enumerate(cfg.users):
        if user.secret_kms_key_arn and not user.secret_arn:
            report(("users", index, "secret_kms_key_arn"), "only with secret_arn (a generated secret is under "
                                                           "secrets.kms_key_arn or the stack's key): remove it "
                                                           "or give secret_arn")


def tag_value_problem(value: str) -> str:
    """What AWS would refuse in a tag value ("" when nothing): each character a letter, a space,
    a number or one of facts.aws.TAG_VALUE_SYMBOLS."""
    for index, char in enumerate(value):
        if unicodedata.category(char)[0] not in facts.TAG_VALUE_CATEGORIES and char not in facts.TAG_VALUE_SYMBOLS:
            return (f"the value holds {char!r} at character {index + 1}; AWS takes letters, numbers, spaces and "
                    f"{' '.join(facts.TAG_VALUE_SYMBOLS)} in a tag value")
    return ""


def _environment_not_reserved(cfg: EnvConfig, report: Report) -> None:
    if cfg.environment and (reserved := reserved_out_name(cfg.environment)):
        report(("environment",), reserved)


def _tags_ok(cfg: EnvConfig, report: Report) -> None:
    for name, value in (cfg.tags or {}).items():
        path = ("tags", name)
        if name == facts.ENVIRONMENT_TAG:
            report(path, f"{facts.ENVIRONMENT_TAG} is set from environment or the file name "
                         f"({cfg.environment or cfg.env}); remove it")
        elif not re.fullmatch(facts.TAG_KEY_PATTERN, name):
            report(path, f"{name!r} is not a valid tag key (1-128 letters, digits, spaces and _.:/=+-@; not aws:)")
        if len(value) > facts.TAG_VALUE_MAX:
            report(path, f"the value is {len(value)} characters long (at most {facts.TAG_VALUE_MAX})")
        elif bad := tag_value_problem(value):
            report(path, bad)


def _grants_ok(cfg: EnvConfig, report: Report) -> None:
    known = KNOWN_PRIVILEGES[cfg.engine_family]
    for index, user in enumerate(cfg.users):
        if user.role is not None and user.privileges is not None:
            report(("users", index, "privileges"), "give role or privileges, not both")
        for item, privilege in enumerate(user.privileges or ()):
            if privilege not in known:
                report(("users", index, "privileges", item),
                       f"{privilege!r} is not a {cfg.engine_family.value} privilege this tool grants"
                       f"{suggest(privilege, sorted(known))} (allowed: {', '.join(sorted(known))})")
    if cfg.target.schema_name is not None and DEFAULT_SCHEMA[cfg.engine_family] is None:
        report(("target", "schema_name"), f"{cfg.engine_family.value} has no schemas apart from databases; "
                                          "use target.database_name")


def _rotation_ok(cfg: EnvConfig, report: Report) -> None:
    secrets = cfg.secrets
    alternating = secrets.rotation_strategy is RotationStrategy.ALTERNATING_USERS
    if alternating and secrets.rotation_days is not None:
        # Alternating users switches the secret's username between <user> and <user>_clone. RDS
        # Proxy logs a client in as the secret whose username the client gives, so clients would
        # have to read the secret before every connection to learn today's name, and the client
        # policy would have to grant both names: refused rather than half working.
        report(("secrets", "rotation_strategy"),
               "alternating_users is refused: the secret's username switches to <user>_clone, which clients "
               "connecting through the proxy cannot discover and their IAM policy does not name; use single_user "
               "(the proxy keeps client connections open while a password changes)")
        return
    if secrets.rotation_days is None:
        if cfg.network.secrets_manager_endpoint_security_group_id:
            report(("network", "secrets_manager_endpoint_security_group_id"),
                   "has no effect without secrets.rotation_days (only rotation functions call Secrets Manager); "
                   "remove it or set rotation_days")
        if secrets.rotation_superuser_secret_arn or alternating:
            what = "rotation_superuser_secret_arn" if secrets.rotation_superuser_secret_arn else "rotation_strategy"
            report(("secrets", what), "has no effect without secrets.rotation_days; remove it or set rotation_days")
        return
    if not alternating and secrets.rotation_superuser_secret_arn:
        report(("secrets", "rotation_superuser_secret_arn"), "only used by rotation_strategy alternating_users")
    if all(user.secret_arn for user in cfg.users):
        report(("secrets", "rotation_days"), "nothing to rotate: every user brings its own secret_arn")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    cross_key_rules.check,
    _read_only_endpoint_fits,
    _pinning_filters_match_engine,
    _server_matches_family,
    _users_match_engine,
    _usernames_unique,
    _allowed_cidrs_ok,
    _database_destination,
    _key_and_secrets_in_region,
    _secret_key_with_its_secret,
    _environment_not_reserved,
    _tags_ok,
    waiver_rules.weakened_defaults_waived,
    _grants_ok,
    _rotation_ok,
    auth_scheme_ok,
    master_user_ok,
    *exposure_rules.RULES,
    *network_rules.RULES,
    *endpoint_rules.RULES,
    *monitoring_rules.RULES,
    *iam_rules.RULES,
    *security_group_rules.RULES,
    *provisioner_rules.RULES,
)


def check(cfg: EnvConfig, report: Report) -> None:
    for rule in RULES:
        rule(cfg, report)
