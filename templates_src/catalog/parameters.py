"""The product's Parameters: every env-specific value, constrained, described, grouped, labelled.

A parameter that carries a params key names it (``keyed``): its default, choices, pattern, range
and length are the schema's. Where the schema leaves a key to its rules (the client CIDRs, split
by IP version) and for the product's own parameters (tags, the code's key), the patterns are the
product's, from the AWS facts. ``offer`` narrows or widens them by ``_product.yaml``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..config.schema.key_paths import field_at
from ..config.product_settings import ProductSettings
from ..facts import aws as facts
from ..facts.provisioner import ARTIFACT_KEY_PREFIX
from . import placeholders as ph
from .offer import offered, staged
from .placeholders import slots
from .product_parameter import ProductParameter, cfn_parameter, keyed, optional
from .users_sql import ENGINES as PROVISIONER_ENGINES

# The engines the product offers: those the database-users provisioner has a driver for (SQL
# Server stays on create-db-users.sh, which nobody runs at a launch).
PRODUCT_DATABASE_ENGINES = tuple(PROVISIONER_ENGINES)
PRODUCT_ENGINES = tuple(dict.fromkeys(PROVISIONER_ENGINES.values()))
ARTIFACT_KEY_PATTERN = "^" + ARTIFACT_KEY_PREFIX.replace(".", "\\.") + r"provisioner-[0-9a-f]{20}\.zip$"
# Loose on purpose (EC2 checks the address itself); what matters is that /0 is refused.
IPV4_CIDR_PATTERN = r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}/(?:[1-9]|[12][0-9]|3[0-2])$"
IPV6_CIDR_PATTERN = r"^[0-9a-fA-F:]{2,39}/(?:[1-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$"
TAG_KEY_PATTERN = facts.TAG_KEY_PATTERN.replace("^", f"^(?!{facts.ENVIRONMENT_TAG}$)", 1)
# Not the schema's default (the engine's troublesome characters): every engine's, safe whatever
# the engine a launch picks.
EXCLUDED_CHARACTERS = "".join(dict.fromkeys("".join(f.excluded_password_characters for f in facts.ENGINES.values())))


def _own_text(name: str, label: str, description: str, pattern: str, what: str, **extra: Any) -> ProductParameter:
    """A text parameter of the product's own (no params key holds it as one value)."""
    return ProductParameter(name, label, description, pattern=pattern, constraint_description=what, **extra)


def _optional_id(name: str, label: str, key: str, description: str, what: str,
                 slot: int | None = None) -> ProductParameter:
    """An identifier the launch may leave empty (the key left out)."""
    return keyed(name, label, key, description + " Empty for none.", empty=True, slot=slot,
                 constraint_description=what + " or empty")


def _again(parameter: ProductParameter, first: str) -> ProductParameter:
    """A later slot of a repeated field: described by reference to the first (the template must
    stay under 51,200 bytes); its label names the slot."""
    return dataclasses.replace(parameter, description=f"As {first}.", constraint_description=None)


def _slots(count: int, make: Callable[[int], ProductParameter]) -> list[ProductParameter]:
    first = make(1)
    return [first, *(_again(make(i), first.name) for i in range(2, count + 1))]


def _doc(key: str) -> str:
    return field_at(key).metadata["doc"]


def _endpoints_doc(key: str) -> str:
    """A vpc_endpoints key's doc, as a sentence of its own (the product reaches AWS that way only)."""
    return _doc(key).removeprefix("vpc_endpoints: ").capitalize()


def _proxy() -> list[ProductParameter]:
    longest = facts.PROXY_NAME_MAX - len(facts.READ_ONLY_ENDPOINT_SUFFIX)
    return [
        keyed(ph.ENVIRONMENT, "Environment", "environment", "Environment name: the Environment tag, and in "
              "descriptions.", at_launch=True, constraint_description="a lowercase letter, then a-z, 0-9, -"),
        keyed(ph.ENGINE, "Engine family", "engine_family", "MYSQL (MySQL, MariaDB, Aurora MySQL) or POSTGRESQL: the "
              "engines whose users the stack creates itself (SQL Server: deploy an env's own template).",
              choices=tuple(e.value for e in PRODUCT_ENGINES)),
        keyed(ph.PROXY_NAME, "Proxy name", "proxy.name", f"Name of the proxy, its log group and key alias. At most "
              f"{longest} characters with a read-only endpoint (<name>-ro): rules cannot measure lengths.",
              constraint_description="a lowercase letter, then a-z, 0-9 and single hyphens, no hyphen last"),
        keyed(ph.REQUIRE_TLS, "Require TLS", "proxy.require_tls", "Refuse clients without TLS; must be true while "
              "a user has IAM auth REQUIRED."),
        keyed(ph.IDLE_CLIENT_TIMEOUT, "Idle client timeout (s)", "proxy.idle_client_timeout"),
        keyed(ph.DEBUG_LOGGING, "Debug logging", "proxy.debug_logging", "Log SQL text (may be sensitive): "
              "troubleshooting only."),
        keyed(ph.LOG_RETENTION, "Log retention (days)", "proxy.log_retention_days", "Days the proxy's logs are kept."),
    ]


def _network() -> list[ProductParameter]:
    def cidr(name: str, label: str, pattern: str, what: str, slot: int) -> ProductParameter:
        return _own_text(name, label, "Clients in this range may connect. Empty for none.", optional(pattern),
                         f"{what} or empty", default="", key="network.allowed_cidrs", slot=slot)  # of its IP version

    return [
        keyed(ph.VPC_ID, "VPC", "network.vpc_id", "The VPC of the database and the proxy.",
              aws_type="AWS::EC2::VPC::Id"),
        keyed(ph.SUBNET_IDS, "Subnets", "network.subnet_ids", aws_type="List<AWS::EC2::Subnet::Id>"),
        *_slots(ph.CLIENT_SECURITY_GROUP_SLOTS, lambda i: _optional_id(
            ph.client_security_group(i), f"Client security group {i}", "network.client_security_group_ids",
            "Members may connect; at least one client group or CIDR is required.", "a security group id", slot=i)),
        *_slots(ph.IPV4_CIDR_SLOTS, lambda i: cidr(ph.ipv4_cidr(i), f"Client IPv4 CIDR {i}", IPV4_CIDR_PATTERN,
                                                   "an IPv4 CIDR, prefix 1-32", i)),
        *_slots(ph.IPV6_CIDR_SLOTS, lambda i: cidr(ph.ipv6_cidr(i), f"Client IPv6 CIDR {i}", IPV6_CIDR_PATTERN,
                                                   "an IPv6 CIDR, prefix 1-128", i)),
        keyed(ph.ENDPOINT_NETWORK_TYPE, "Endpoint network type", "network.endpoint_network_type", "IP versions "
              "clients reach the proxy on; IPV6 and DUAL need IPv6 CIDR blocks on the VPC and subnets. Changing it "
              "replaces the proxy."),
        keyed(ph.TARGET_CONNECTION_NETWORK_TYPE, "Target connection network type",
              "network.target_connection_network_type", "IP version the proxy reaches the database with; IPV6 needs "
              "the database in dual-stack mode and a database security group. Changing it replaces the proxy."),
        keyed(ph.DATABASE_SECURITY_GROUP, "Database security group", "network.database_security_group_id",
              "The database's group: the proxy and the database-users function may reach only it, and it lets "
              "them in.", at_launch=True, constraint_description="a security group id"),
        keyed(ph.ENDPOINT_SECURITY_GROUP, "VPC endpoints security group", "provisioner.endpoint_security_group_id",
              _endpoints_doc("provisioner.endpoint_security_group_id"), at_launch=True,
              constraint_description="a security group id"),
        keyed(ph.S3_PREFIX_LIST, "S3 gateway endpoint prefix list", "provisioner.s3_prefix_list_id",
              _endpoints_doc("provisioner.s3_prefix_list_id"), at_launch=True,
              constraint_description="a prefix list id (pl-...)"),
    ]


def _database() -> list[ProductParameter]:
    identifier = "a DB identifier or empty"
    ports = ", ".join(f"{f.port} {e.value}" for e, f in facts.ENGINES.items())
    return [
        keyed(ph.DB_INSTANCE, "DB instance", "target.db_instance_identifier", "The RDS DB instance behind the proxy "
              "(or a DB cluster).", empty=True, constraint_description=identifier),
        keyed(ph.DB_CLUSTER, "DB cluster", "target.db_cluster_identifier", "The Aurora DB cluster behind the proxy "
              "(or a DB instance).", empty=True, constraint_description=identifier),
        keyed(ph.DATABASE_PORT, "Database port", "target.port", f"The database's port (default: {ports}).",
              at_launch=True),
        keyed(ph.READ_ONLY_ENDPOINT, "Read-only endpoint", "target.read_only_endpoint", "Add the READ_ONLY endpoint "
              "<name>-ro (Aurora cluster only)."),
        keyed(ph.DATABASE_ENGINE, "Database engine", "target.engine", "mysql (RDS for MySQL, Aurora MySQL) or "
              "mariadb on MYSQL; postgres on POSTGRESQL: the users' SQL differs.", at_launch=True,
              choices=tuple(e.value for e in PRODUCT_DATABASE_ENGINES)),
        keyed(ph.DATABASE_NAME, "Database name", "target.database_name", "The database the users are granted on "
              "(needed for a user with a role); on POSTGRESQL also the one the function connects to (postgres if "
              "empty).", empty=True, constraint_description="a letter or _, then letters, digits, _ (at most 63)"),
        keyed(ph.ADMIN_SECRET, "Admin secret ARN", "provisioner.admin_secret_arn",
              constraint_description="a Secrets Manager secret ARN"),
        _optional_id(ph.ADMIN_SECRET_KEY, "Admin secret KMS key ARN", "provisioner.admin_secret_kms_key_arn",
                     "The customer managed key of the admin secret (empty: aws/secretsmanager); the function "
                     "decrypts only it, through Secrets Manager.", "a KMS key ARN"),
    ]


def _pool() -> list[ProductParameter]:
    return [
        keyed(ph.MAX_CONNECTIONS, "Max connections (%)", "pool.max_connections_percent",
              "Share (%) of the database's max_connections the proxy may open."),
        # Rules cannot compare numbers (rules.SAID_ELSEWHERE): the description says the rule.
        keyed(ph.MAX_IDLE_CONNECTIONS, "Max idle connections (%)", "pool.max_idle_connections_percent",
              "Share (%) kept open while idle. At most Max connections: rules cannot compare numbers, RDS refuses "
              "it at launch."),
        keyed(ph.BORROW_TIMEOUT, "Connection borrow timeout (s)", "pool.connection_borrow_timeout",
              "Seconds a request waits for a free connection (also the wait during failover)."),
        keyed(ph.INIT_QUERY, "Init query", "pool.init_query", "SQL run on each new connection; empty for none.",
              empty=True),
        keyed(ph.SESSION_PINNING, "Session pinning filter", "pool.session_pinning_filters", "State that does not "
              "pin a session (MYSQL only); empty for none.", empty=True),
    ]


def _secrets() -> list[ProductParameter]:
    return [
        _optional_id(ph.KMS_KEY, "KMS key ARN", "secrets.kms_key_arn", "Use this key (Secrets Manager and CloudWatch "
                     "Logs must be allowed) instead of creating one.", "a KMS key ARN"),
        keyed(ph.PASSWORD_LENGTH, "Password length", "secrets.password_length"),
        keyed(ph.EXCLUDE_CHARACTERS, "Excluded password characters", "secrets.exclude_characters", "Never in "
              "generated passwords (the default suits every engine).", default=EXCLUDED_CHARACTERS),
        _optional_id(ph.PERMISSIONS_BOUNDARY, "Permissions boundary", "iam.permissions_boundary_arn", "A managed "
                     "policy set as the permissions boundary of the proxy role.", "a managed policy ARN"),
        keyed(ph.RETAIN, "Retain on delete", "secrets.retain_on_delete", "Keep secrets and key when terminated (the "
              "log group is always kept: RDS fixes its name). Changing it later replaces them (new passwords)."),
    ]


def _code() -> list[ProductParameter]:
    return [
        keyed(ph.ARTIFACT_BUCKET, "Code bucket", "provisioner.artifact_bucket", "The S3 bucket, in the launch's "
              "region, the portfolio owner staged the database-users function's code in.",
              constraint_description="an S3 bucket name"),
        _own_text(ph.ARTIFACT_KEY, "Code key", "The code's key in that bucket (rds-proxy-cfn/provisioner-<digest>.zip, "
                  "as staged).", ARTIFACT_KEY_PATTERN, "rds-proxy-cfn/provisioner-<20 hex digits>.zip"),
    ]


def _monitoring() -> list[ProductParameter]:
    return [
        keyed(ph.ALARMS, "Alarms", "monitoring.alarms", "Create the CloudWatch alarms (the dashboard is always made)."),
        _optional_id(ph.ALARM_TOPIC, "Alarm topic ARN", "monitoring.alarm_topic_arn", "The SNS topic alarms notify "
                     "(in the stack's region); empty: the stack creates one, encrypted with its key.",
                     "an SNS topic ARN"),
        keyed(ph.MIN_AVAILABILITY, "Alarm: availability below (%)", "monitoring.min_availability_percent"),
        keyed(ph.POOL_SATURATION, "Alarm: pool use from (%)", "monitoring.pool_saturation_percent"),
        keyed(ph.BORROW_LATENCY, "Alarm: borrow latency above (ms)", "monitoring.borrow_latency_ms"),
        keyed(ph.PINNED, "Alarm: pinned connections from (%)", "monitoring.pinned_percent"),
        keyed(ph.FAILED_LOGINS, "Alarm: failed logins per 5 min above", "monitoring.failed_auth_per_5_minutes"),
        keyed(ph.DATABASE_FAILURES, "Alarm: database connection failures above",
              "monitoring.database_setup_failures_per_5_minutes"),
    ]


def _user(i: int) -> list[ProductParameter]:
    first = i == 1
    fields = {
        "Name": keyed(ph.user_param(i, "Name"), f"User {i} name", "users[].username", "Database user the proxy logs "
                      "in as" + ("." if first else "; empty for none."), empty=not first, slot=i,
                      constraint_description="a letter or _, then letters, digits, _ (at most 63)"),
        "Description": keyed(ph.user_param(i, "Description"), f"User {i} description", "users[].description",
                             empty=True, slot=i),
        "IamAuth": keyed(ph.user_param(i, "IamAuth"), f"User {i} IAM auth", "users[].iam_auth", "REQUIRED: IAM token "
                         "only; DISABLED: password only; ENABLED (SQL Server only): either.", slot=i),
        "ClientPasswordAuthType": keyed(ph.user_param(i, "ClientPasswordAuthType"), f"User {i} password auth",
                                        "users[].client_password_auth_type", "Client password auth type, of the "
                                        "engine; empty for the engine's default.", empty=True, slot=i),
        "Role": keyed(ph.user_param(i, "Role"), f"User {i} role", "users[].role",
                      _doc("users[].role") + " Empty: no grants.", empty=True, slot=i),
    }
    assert tuple(fields) == ph.USER_FIELDS
    if first:
        return list(fields.values())
    return [fields["Name"], *(_again(p, ph.user_param(1, field)) for field, p in fields.items() if field != "Name")]


def _tags() -> list[ProductParameter]:
    return [p for i in slots(ph.TAG_SLOTS) for p in (
        _own_text(ph.tag_key(i), f"Tag {i} key", "Tag on every taggable resource; empty for none." if i == 1
                  else f"As {ph.tag_key(1)}.", optional(TAG_KEY_PATTERN),
                  f"a tag key, not aws: or {facts.ENVIRONMENT_TAG}", default=""),
        ProductParameter(ph.tag_value(i), f"Tag {i} value", "The tag's value.", default="",
                         max_length=facts.TAG_VALUE_MAX),
    )]


def groups() -> list[tuple[str, list[ProductParameter]]]:
    """The parameters in the console's groups, made afresh from the schema (``GROUPS``: once)."""
    return [
        ("Environment and proxy", _proxy()),
        ("Network", _network()),
        ("Database", _database()),
        ("Connection pool", _pool()),
        ("Secrets and encryption", _secrets()),
        ("Database-users function code", _code()),
        ("Monitoring", _monitoring()),
        *((f"Database user {i}" + (" (required)" if i == 1 else " (optional)"), _user(i))
          for i in slots(ph.USER_SLOTS)),
        ("Tags (Environment is added)", _tags()),
    ]


GROUPS = groups()

ALL = {p.name: p for _, group in GROUPS for p in group}


def parameters(settings: ProductSettings) -> dict[str, dict[str, Any]]:
    return {p.name: cfn_parameter(staged(offered(p, settings), settings)) for p in ALL.values()}


def interface() -> dict[str, Any]:
    return {
        "ParameterGroups": [{"Label": {"default": label}, "Parameters": [p.name for p in group]}
                            for label, group in GROUPS],
        "ParameterLabels": {p.name: {"default": p.label} for p in ALL.values()},
    }
