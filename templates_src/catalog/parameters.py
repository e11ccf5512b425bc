"""The product's Parameters: every env-specific value, constrained, described, grouped, labelled.

The deploy-time parameters of the env templates (VPC, subnets, database, pool numbers, log
retention) keep their names, types and constraints (``env_parameters``); the rest take
their constraints from ``aws_facts`` and their meaning from the params model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..facts import aws as facts
from ..facts import monitoring as monitoring_facts
from ..facts.aws import (ClientPasswordAuthType, EndpointNetworkType, EngineFamily, IamAuth, SessionPinningFilter,
                         TargetConnectionNetworkType)
from . import env_parameters as deploy
from ..config.model import SecretsParams, UserParams
from ..config.provisioner_model import ProvisionerParams
from ..dbusers.deploy_order import artifact_key
from ..facts.provisioner import ARTIFACT_KEY_PREFIX, PREFIX_LIST_ID_PATTERN, S3_BUCKET_PATTERN
from ..facts.sql import SQL_IDENTIFIER_PATTERN, UserRole
from .users_sql import ENGINES as PROVISIONER_ENGINES
from ..config.product_settings import PRODUCT_SETTINGS_FILE, ProductSettings
from . import placeholders as ph
from .placeholders import slots

BOOLEAN = ("true", "false")
# The engines the product offers: those the database-users provisioner has a driver for (SQL
# Server stays on create-db-users.sh, which nobody runs at a launch).
PRODUCT_DATABASE_ENGINES = tuple(PROVISIONER_ENGINES)
PRODUCT_ENGINES = tuple(dict.fromkeys(PROVISIONER_ENGINES.values()))
ARTIFACT_KEY_PATTERN = "^" + ARTIFACT_KEY_PREFIX.replace(".", "\\.") + r"provisioner-[0-9a-f]{20}\.zip$"
# Loose on purpose (EC2 checks the address itself); what matters is that /0 is refused.
IPV4_CIDR_PATTERN = r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}/(?:[1-9]|[12][0-9]|3[0-2])$"
IPV6_CIDR_PATTERN = r"^[0-9a-fA-F:]{2,39}/(?:[1-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$"
TAG_KEY_PATTERN = facts.TAG_KEY_PATTERN.replace("^", f"^(?!{facts.ENVIRONMENT_TAG}$)", 1)


@dataclass(frozen=True)
class ProductParameter:
    name: str
    label: str
    description: str
    type: str = "String"
    default: str | None = None  # None: the launch must give a value
    allowed_values: tuple[str, ...] | None = None
    pattern: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    constraint_description: str | None = None


def optional(pattern: str) -> str:
    """The pattern, or empty."""
    return "^$|" + pattern


def _deploy(name: str, label: str, **changes: Any) -> ProductParameter:
    spec = next(p for p in deploy.DEPLOY_PARAMETERS if p.name == name)
    constraints = dict(spec.constraints)
    values = constraints.get("AllowedValues")
    parameter = ProductParameter(
        name, label, spec.description, type=spec.type,
        allowed_values=tuple(str(v) for v in values) if values else None,
        pattern=constraints.get("AllowedPattern"), min_value=constraints.get("MinValue"),
        max_value=constraints.get("MaxValue"),
        # Ranges and lists explain themselves in the console's error; keep the words for patterns.
        constraint_description=spec.constraint_description if "AllowedPattern" in constraints else None,
    )
    return dataclasses.replace(parameter, **changes)


def _text(name: str, label: str, description: str, pattern: str, what: str, **extra: Any) -> ProductParameter:
    return ProductParameter(name, label, description, pattern=pattern, constraint_description=what, **extra)


def _optional_id(name: str, label: str, description: str, pattern: str, what: str) -> ProductParameter:
    return _text(name, label, description + " Empty for none.", optional(pattern), what + " or empty", default="")


def _switch(name: str, label: str, description: str, default: str) -> ProductParameter:
    return ProductParameter(name, label, description, default=default, allowed_values=BOOLEAN)


def _choice(name: str, label: str, description: str, values: tuple[str, ...], default: str | None) -> ProductParameter:
    return ProductParameter(name, label, description, default=default, allowed_values=values)


def _again(parameter: ProductParameter, first: str) -> ProductParameter:
    """A later slot of a repeated field: described by reference to the first (the template must
    stay under 51,200 bytes); its label names the slot."""
    return dataclasses.replace(parameter, description=f"As {first}.", constraint_description=None)


def _slots(count: int, make: Any) -> list[ProductParameter]:
    first = make(1)
    return [first, *(_again(make(i), first.name) for i in range(2, count + 1))]


def _model_max_length(model: type, field: str) -> int:
    """A params key's max_length, from the model (one source for the file and the product)."""
    return next(f.metadata["max_length"] for f in dataclasses.fields(model) if f.name == field)


def _user(i: int) -> list[ProductParameter]:
    fields = {
        "Name": _text(ph.user_param(i, "Name"), f"User {i} name",
                      "Database user the proxy logs in as" + ("." if i == 1 else "; empty for none."),
                      facts.USERNAME_PATTERN if i == 1 else optional(facts.USERNAME_PATTERN),
                      "a letter or _, then letters, digits, _ (at most 63)", **({} if i == 1 else {"default": ""})),
        "Description": ProductParameter(ph.user_param(i, "Description"), f"User {i} description",
                                        "What the user is for.", default="",
                                        max_length=_model_max_length(UserParams, "description")),
        "IamAuth": _choice(ph.user_param(i, "IamAuth"), f"User {i} IAM auth", "REQUIRED: IAM token only; "
                           "DISABLED: password only; ENABLED (SQL Server only): either.",
                           tuple(v.value for v in IamAuth), IamAuth.REQUIRED.value),
        "ClientPasswordAuthType": _choice(ph.user_param(i, "ClientPasswordAuthType"), f"User {i} password auth",
                                          "Client password auth type, of the engine; empty for the engine's "
                                          "default.", ("", *(v.value for v in ClientPasswordAuthType)), ""),
        "Role": _choice(ph.user_param(i, "Role"), f"User {i} role", _model_doc(UserParams, "role") +
                        " Empty: no grants.", ("", *(r.value for r in UserRole)), ""),
    }
    assert tuple(fields) == ph.USER_FIELDS
    if i == 1:
        return list(fields.values())
    return [fields["Name"], *(_again(p, ph.user_param(1, field)) for field, p in fields.items() if field != "Name")]


def _model_doc(model: type, field: str) -> str:
    """A params key's description, from the model."""
    return next(f.metadata["doc"] for f in dataclasses.fields(model) if f.name == field)


def _excluded_characters() -> str:
    """Every engine's troublesome characters: a safe default whatever the engine."""
    return "".join(dict.fromkeys("".join(f.excluded_password_characters for f in facts.ENGINES.values())))


GROUPS: list[tuple[str, list[ProductParameter]]] = [
    ("Environment and proxy", [
        _text(ph.ENVIRONMENT, "Environment", "Environment name: the Environment tag, and in descriptions.",
              facts.ENV_NAME_PATTERN, "a lowercase letter, then a-z, 0-9, -", max_length=facts.TAG_VALUE_MAX),
        _choice(ph.ENGINE, "Engine family", "MYSQL (MySQL, MariaDB, Aurora MySQL) or POSTGRESQL: the engines "
                "whose users the stack creates itself (SQL Server: deploy an env's own template).",
                tuple(e.value for e in PRODUCT_ENGINES), None),
        _text(ph.PROXY_NAME, "Proxy name", "Name of the proxy, its log group and key alias. At most "
              f"{facts.PROXY_NAME_MAX - len(facts.READ_ONLY_ENDPOINT_SUFFIX)} characters with a read-only "
              "endpoint (<name>-ro): rules cannot measure lengths.", facts.PROXY_NAME_PATTERN,
              "a lowercase letter, then a-z, 0-9 and single hyphens, no hyphen last", max_length=facts.PROXY_NAME_MAX),
        _switch(ph.REQUIRE_TLS, "Require TLS", "Refuse clients without TLS; must be true while a user has IAM "
                "auth REQUIRED.", "true"),
        _deploy(deploy.IDLE_CLIENT_TIMEOUT, "Idle client timeout (s)", default="1800"),
        _switch(ph.DEBUG_LOGGING, "Debug logging", "Log SQL text (may be sensitive): troubleshooting only.", "false"),
        _deploy(deploy.LOG_RETENTION, "Log retention (days)", default=str(facts.MIN_LOG_RETENTION_DAYS)),
    ]),
    ("Network", [
        _deploy(deploy.VPC_ID, "VPC"),
        _deploy(deploy.SUBNET_IDS, "Subnets"),
        *_slots(ph.CLIENT_SECURITY_GROUP_SLOTS, lambda i: _optional_id(
            ph.client_security_group(i), f"Client security group {i}", "Members may connect; at least one "
            "client group or CIDR is required.", facts.SECURITY_GROUP_ID_PATTERN, "a security group id")),
        *_slots(ph.IPV4_CIDR_SLOTS, lambda i: _optional_id(
            ph.ipv4_cidr(i), f"Client IPv4 CIDR {i}", "Clients in this range may connect.", IPV4_CIDR_PATTERN,
            "an IPv4 CIDR, prefix 1-32")),
        *_slots(ph.IPV6_CIDR_SLOTS, lambda i: _optional_id(
            ph.ipv6_cidr(i), f"Client IPv6 CIDR {i}", "Clients in this range may connect.", IPV6_CIDR_PATTERN,
            "an IPv6 CIDR, prefix 1-128")),
        _choice(ph.ENDPOINT_NETWORK_TYPE, "Endpoint network type", "IP versions clients reach the proxy on; "
                "IPV6 and DUAL need IPv6 CIDR blocks on the VPC and subnets. Changing it replaces the proxy.",
                tuple(t.value for t in EndpointNetworkType), EndpointNetworkType.IPV4.value),
        _choice(ph.TARGET_CONNECTION_NETWORK_TYPE, "Target connection network type", "IP version the proxy "
                "reaches the database with; IPV6 needs the database in dual-stack mode and a database security "
                "group. Changing it replaces the proxy.",
                tuple(t.value for t in TargetConnectionNetworkType), TargetConnectionNetworkType.IPV4.value),
        _text(ph.DATABASE_SECURITY_GROUP, "Database security group", "The database's group: the proxy and "
              "the database-users function may reach only it, and it lets them in.",
              facts.SECURITY_GROUP_ID_PATTERN, "a security group id"),
        _text(ph.ENDPOINT_SECURITY_GROUP, "VPC endpoints security group", _model_doc(
              ProvisionerParams, "endpoint_security_group_id").removeprefix("vpc_endpoints: ").capitalize(),
              facts.SECURITY_GROUP_ID_PATTERN, "a security group id"),
        _text(ph.S3_PREFIX_LIST, "S3 gateway endpoint prefix list", _model_doc(
              ProvisionerParams, "s3_prefix_list_id").removeprefix("vpc_endpoints: ").capitalize(),
              PREFIX_LIST_ID_PATTERN, "a prefix list id (pl-...)"),
    ]),
    ("Database", [
        _deploy(deploy.DB_INSTANCE, "DB instance", default="", pattern=optional(facts.DB_IDENTIFIER_PATTERN),
                description="The RDS DB instance behind the proxy (or a DB cluster).",
                constraint_description="a DB identifier or empty"),
        _deploy(deploy.DB_CLUSTER, "DB cluster", default="", pattern=optional(facts.DB_IDENTIFIER_PATTERN),
                description="The Aurora DB cluster behind the proxy (or a DB instance).",
                constraint_description="a DB identifier or empty"),
        _deploy(deploy.DATABASE_PORT, "Database port", description="The database's port (default: " +
                ", ".join(f"{f.port} {e.value}" for e, f in facts.ENGINES.items()) + ")."),
        _switch(ph.READ_ONLY_ENDPOINT, "Read-only endpoint", "Add the READ_ONLY endpoint <name>-ro (Aurora "
                "cluster only).", "false"),
        _choice(ph.DATABASE_ENGINE, "Database engine", "mysql (RDS for MySQL, Aurora MySQL) or mariadb on MYSQL; "
                "postgres on POSTGRESQL: the users' SQL differs.", tuple(e.value for e in PRODUCT_DATABASE_ENGINES),
                None),
        _text(ph.DATABASE_NAME, "Database name", "The database the users are granted on (needed for a user "
              "with a role); on POSTGRESQL also the one the function connects to (postgres if empty).",
              optional(SQL_IDENTIFIER_PATTERN), "a letter or _, then letters, digits, _ (at most 63)", default=""),
        _text(ph.ADMIN_SECRET, "Admin secret ARN", _model_doc(ProvisionerParams, "admin_secret_arn"),
              facts.SECRET_ARN_PATTERN, "a Secrets Manager secret ARN"),
        _optional_id(ph.ADMIN_SECRET_KEY, "Admin secret KMS key ARN", "The customer managed key of the admin "
                     "secret (empty: aws/secretsmanager); the function decrypts only it, through Secrets Manager.",
                     facts.KMS_KEY_ARN_PATTERN, "a KMS key ARN"),
    ]),
    ("Connection pool", [
        _deploy(deploy.MAX_CONNECTIONS, "Max connections (%)", default="100"),
        _deploy(deploy.MAX_IDLE_CONNECTIONS, "Max idle connections (%)", default="50",
                description="Share (%) kept open while idle. At most Max connections: rules cannot compare "
                            "numbers, RDS refuses it at launch."),
        _deploy(deploy.BORROW_TIMEOUT, "Connection borrow timeout (s)", default="120"),
        ProductParameter(ph.INIT_QUERY, "Init query", "SQL run on each new connection; empty for none.", default=""),
        _choice(ph.SESSION_PINNING, "Session pinning filter", "State that does not pin a session (MYSQL only); "
                "empty for none.", ("", *(f.value for f in SessionPinningFilter)), ""),
    ]),
    ("Secrets and encryption", [
        _optional_id(ph.KMS_KEY, "KMS key ARN", "Use this key (Secrets Manager and CloudWatch Logs must be "
                     "allowed) instead of creating one.", facts.KMS_KEY_ARN_PATTERN, "a KMS key ARN"),
        ProductParameter(ph.PASSWORD_LENGTH, "Password length", "Length of generated passwords.", type="Number",
                         default="30", min_value=facts.PASSWORD_LENGTH_RANGE[0],
                         max_value=facts.PASSWORD_LENGTH_RANGE[1]),
        ProductParameter(ph.EXCLUDE_CHARACTERS, "Excluded password characters", "Never in generated passwords "
                         "(the default suits every engine).", default=_excluded_characters(),
                         max_length=_model_max_length(SecretsParams, "exclude_characters")),
        _optional_id(ph.PERMISSIONS_BOUNDARY, "Permissions boundary", "A managed policy set as the permissions "
                     "boundary of the proxy role.", facts.IAM_MANAGED_POLICY_ARN_PATTERN, "a managed policy ARN"),
        _switch(ph.RETAIN, "Retain on delete", "Keep secrets and key when terminated (the log group is always "
                "kept: RDS fixes its name). Changing it later replaces them (new passwords).", "true"),
    ]),
    ("Database-users function code", [
        _text(ph.ARTIFACT_BUCKET, "Code bucket", "The S3 bucket, in the launch's region, the portfolio owner "
              "staged the database-users function's code in.", S3_BUCKET_PATTERN, "an S3 bucket name"),
        _text(ph.ARTIFACT_KEY, "Code key", "The code's key in that bucket (rds-proxy-cfn/provisioner-<digest>.zip, "
              "as staged).", ARTIFACT_KEY_PATTERN, "rds-proxy-cfn/provisioner-<20 hex digits>.zip"),
    ]),
    ("Monitoring", [
        _switch(ph.ALARMS, "Alarms", "Create the CloudWatch alarms (the dashboard is always made).", "true"),
        _optional_id(ph.ALARM_TOPIC, "Alarm topic ARN", "The SNS topic alarms notify (in the stack's region); "
                     "empty: the stack creates one, encrypted with its key.", monitoring_facts.SNS_TOPIC_ARN_PATTERN,
                     "an SNS topic ARN"),
        _deploy(deploy.MIN_AVAILABILITY, "Alarm: availability below (%)", default="95"),
        _deploy(deploy.POOL_SATURATION, "Alarm: pool use from (%)", default="90"),
        _deploy(deploy.BORROW_LATENCY, "Alarm: borrow latency above (ms)", default="12000"),
        _deploy(deploy.PINNED, "Alarm: pinned connections from (%)", default="50"),
        _deploy(deploy.FAILED_LOGINS, "Alarm: failed logins per 5 min above", default="10"),
        _deploy(deploy.DATABASE_FAILURES, "Alarm: database connection failures above", default="0"),
    ]),
    *((f"Database user {i}" + (" (required)" if i == 1 else " (optional)"), _user(i)) for i in slots(ph.USER_SLOTS)),
    ("Tags (Environment is added)", [
        p for i in slots(ph.TAG_SLOTS) for p in (
            _text(ph.tag_key(i), f"Tag {i} key", "Tag on every taggable resource; empty for none." if i == 1
                  else f"As {ph.tag_key(1)}.", optional(TAG_KEY_PATTERN), "a tag key, not aws: or "
                  f"{facts.ENVIRONMENT_TAG}", default=""),
            ProductParameter(ph.tag_value(i), f"Tag {i} value", "The tag's value.", default="",
                             max_length=facts.TAG_VALUE_MAX),
        )
    ]),
]

ALL = {p.name: p for _, group in GROUPS for p in group}

# The parameters a launcher could weaken security with, by the product waiver that widens them
# (config.product_settings), and the secure values they are held to without it. A launcher picks
# the parameters, so an env's params and waivers cannot stop a launch that sets false or DISABLED:
# the template's AllowedValues can. Service Catalog shows them to the launcher as the parameter's
# constraints ("AllowedValues: The values that the administrator has allowed for the parameter",
# ParameterConstraints, AWS Service Catalog API Reference, returned by
# DescribeProvisioningParameters), and CloudFormation validates the values given against them
# ("A set of criteria that CloudFormation uses to validate parameter values", ParameterConstraints,
# AWS CloudFormation API Reference). Not checked against AWS here: a launch with RequireTLS=false
# on the default product is expected to fail in that validation, before any resource is made.
SECURE_VALUES: dict[str, tuple[str, tuple[str, ...]]] = {
    ph.REQUIRE_TLS: ("require_tls", ("true",)),
    **{ph.user_param(i, "IamAuth"): ("iam_auth", (IamAuth.REQUIRED.value,)) for i in slots(ph.USER_SLOTS)},
}
_ONLY_SECURE = {
    ph.REQUIRE_TLS: "Refuse clients without TLS: always true in this product (a portfolio owner allows false "
                    f"with waivers.require_tls in the params folder's {PRODUCT_SETTINGS_FILE}).",
    ph.user_param(1, "IamAuth"): "REQUIRED (IAM token only): the only value in this product (a portfolio owner "
                                 "allows DISABLED, and ENABLED on SQL Server, with waivers.iam_auth in the params "
                                 f"folder's {PRODUCT_SETTINGS_FILE}).",
}


def offered(parameter: ProductParameter, settings: ProductSettings) -> ProductParameter:
    """``parameter`` as this product offers it: a security parameter keeps its weaker values only
    when the settings waive them, and then says why (the reason, as given)."""
    if parameter.name not in SECURE_VALUES:
        return parameter
    waiver, secure = SECURE_VALUES[parameter.name]
    reason = getattr(settings.waivers, waiver)
    if reason is None:
        return dataclasses.replace(parameter, allowed_values=secure,
                                   description=_ONLY_SECURE.get(parameter.name, parameter.description))
    if parameter.description.startswith("As "):  # a later slot: the first one carries the reason
        return parameter
    return dataclasses.replace(parameter, description=f"{parameter.description} Offered by the portfolio owner "
                                                      f"(waivers.{waiver}): {reason}")


def staged(parameter: ProductParameter, settings: ProductSettings) -> ProductParameter:
    """The code's bucket and key default to where the portfolio owner stages it (_product.yaml)."""
    code = settings.provisioner
    if code is None or parameter.name not in (ph.ARTIFACT_BUCKET, ph.ARTIFACT_KEY):
        return parameter
    default = code.artifact_bucket if parameter.name == ph.ARTIFACT_BUCKET else artifact_key(code.ca_bundle_sha256)
    return dataclasses.replace(parameter, default=default,
                               description=f"{parameter.description} Default: where the portfolio stages it.")


def parameters(settings: ProductSettings) -> dict[str, dict[str, Any]]:
    result = {}
    for p in (staged(offered(p, settings), settings) for p in ALL.values()):
        props: dict[str, Any] = {"Type": p.type, "Description": p.description}
        for key, value in (("Default", p.default), ("AllowedValues", p.allowed_values and list(p.allowed_values)),
                           ("AllowedPattern", p.pattern), ("MinValue", p.min_value), ("MaxValue", p.max_value),
                           ("MaxLength", p.max_length), ("ConstraintDescription", p.constraint_description)):
            if value is not None:
                props[key] = value
        result[p.name] = props
    return result


def interface() -> dict[str, Any]:
    return {
        "ParameterGroups": [{"Label": {"default": label}, "Parameters": [p.name for p in group]}
                            for label, group in GROUPS],
        "ParameterLabels": {p.name: {"default": p.label} for p in ALL.values()},
    }
