"""The product's parameter names and slots, and the placeholder configs the builders run on.

The builders take an ``EnvConfig`` and nothing else. To learn what each env-specific value
becomes in a template without writing any resource a second time, the product runs them on
configs whose values are placeholders: text is ``${ParameterName}`` (made a ``Ref`` or
``Fn::Sub`` afterwards), numbers and booleans are ``Ref`` objects, and values that also name a
resource (usernames, client groups, CIDRs) are sentinels swapped for placeholders afterwards.
Lists of unknown length (users, client groups and CIDRs, tags) get a fixed number of slots.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from troposphere import Ref

from ..facts.aws import EngineFamily, IamAuth
from ..builders import names
from ..builders.outputs import client_policy_output_name, secret_output_name
from ..config.schema.iam import IamParams
from ..config.schema.provisioner import ProvisionerParams
from ..facts.provisioner import AwsApiRoute
from ..config.schema.model import EnvConfig, MonitoringParams, NetworkParams, PoolParams, ProxyParams, SecretsParams, TargetParams, UserParams

# Slots: enough for every example env (a fourth user slot would add 6.4 KB: its secret and twin,
# Auth entry, policy entries, parameters, conditions and rules). They were chosen to fit the
# 51,200-byte inline template limit, which the product (read from S3) has outgrown since it has alarms.
USER_SLOTS = 3
CLIENT_SECURITY_GROUP_SLOTS = 3
IPV4_CIDR_SLOTS = 2
IPV6_CIDR_SLOTS = 1
TAG_SLOTS = 3

# The parameters that carry an env's network, database, timeouts, pool and alarm numbers (Refs in
# the placeholder config, as the builders write them).
VPC_ID = "VpcId"
SUBNET_IDS = "SubnetIds"
DB_INSTANCE = "DBInstanceIdentifier"
DB_CLUSTER = "DBClusterIdentifier"
DATABASE_PORT = "DatabasePort"
IDLE_CLIENT_TIMEOUT = "IdleClientTimeout"
MAX_CONNECTIONS = "MaxConnectionsPercent"
MAX_IDLE_CONNECTIONS = "MaxIdleConnectionsPercent"
BORROW_TIMEOUT = "ConnectionBorrowTimeout"
LOG_RETENTION = "LogRetentionInDays"
MIN_AVAILABILITY = "AlarmMinAvailabilityPercent"
POOL_SATURATION = "AlarmPoolSaturationPercent"
BORROW_LATENCY = "AlarmBorrowLatencyMs"
PINNED = "AlarmPinnedPercent"
FAILED_LOGINS = "AlarmFailedLoginsPer5Minutes"
DATABASE_FAILURES = "AlarmDatabaseConnectionFailuresPer5Minutes"
ENVIRONMENT = "EnvironmentName"
ENGINE = "EngineFamily"
PROXY_NAME = "ProxyName"
REQUIRE_TLS = "RequireTLS"
DEBUG_LOGGING = "DebugLogging"
DATABASE_SECURITY_GROUP = "DatabaseSecurityGroupId"
ENDPOINT_NETWORK_TYPE = "EndpointNetworkType"
TARGET_CONNECTION_NETWORK_TYPE = "TargetConnectionNetworkType"
READ_ONLY_ENDPOINT = "ReadOnlyEndpoint"
INIT_QUERY = "InitQuery"
SESSION_PINNING = "SessionPinningFilters"
KMS_KEY = "KmsKeyArn"
PASSWORD_LENGTH = "PasswordLength"
EXCLUDE_CHARACTERS = "ExcludeCharacters"
RETAIN = "RetainOnDelete"
ALARMS = "Alarms"
ALARM_TOPIC = "AlarmTopicArn"
PERMISSIONS_BOUNDARY = "PermissionsBoundaryArn"
# The database-users provisioner (always on in the product: nobody is there to run a script).
DATABASE_ENGINE = "DatabaseEngine"
DATABASE_NAME = "DatabaseName"
ADMIN_SECRET = "AdminSecretArn"
ADMIN_SECRET_KEY = "AdminSecretKmsKeyArn"
ENDPOINT_SECURITY_GROUP = "EndpointSecurityGroupId"
S3_PREFIX_LIST = "S3PrefixListId"
ARTIFACT_BUCKET = "ProvisionerArtifactBucket"
ARTIFACT_KEY = "ProvisionerArtifactKey"
DELETABLE_SUFFIX = names.DELETABLE_SUFFIX  # the twin of a retained resource, created when RetainOnDelete is false
USER_FIELDS = ("Name", "Description", "IamAuth", "ClientPasswordAuthType", "Role")


def user_param(index: int, field: str) -> str:
    return f"User{index}{field}"


def client_security_group(index: int) -> str:
    return f"ClientSecurityGroup{index}"


def ipv4_cidr(index: int) -> str:
    return f"ClientIpv4Cidr{index}"


def ipv6_cidr(index: int) -> str:
    return f"ClientIpv6Cidr{index}"


def tag_key(index: int) -> str:
    return f"Tag{index}Key"


def tag_value(index: int) -> str:
    return f"Tag{index}Value"


def ph(parameter: str) -> str:
    """The placeholder of a text parameter, already in Fn::Sub syntax."""
    return "${" + parameter + "}"


def slots(count: int) -> range:
    return range(1, count + 1)


# Where a value also names a resource (usernames, client groups, CIDRs), troposphere's id check
# and the network builder's CIDR parsing need real-looking text: these sentinels stand in for the
# placeholders during the build and are swapped for them afterwards. Each is unique text; the
# CIDRs come from the documentation ranges (RFC 5737, RFC 3849).
IPV4_SENTINELS = {ipv4_cidr(i): f"192.0.2.{i}1/32" for i in slots(IPV4_CIDR_SLOTS)}
IPV6_SENTINELS = {ipv6_cidr(i): f"2001:db8::{i}1/128" for i in slots(IPV6_CIDR_SLOTS)}
USERNAME_SENTINELS = {user_param(i, "Name"): f"PlaceholderUser{i}Name" for i in slots(USER_SLOTS)}
GROUP_SENTINELS = {client_security_group(i): f"sg-{i:017x}" for i in slots(CLIENT_SECURITY_GROUP_SLOTS)}
SENTINELS = {**IPV4_SENTINELS, **IPV6_SENTINELS, **USERNAME_SENTINELS, **GROUP_SENTINELS}


class Text(str):
    """A placeholder where the builders expect an enum member: its ``.value`` is itself."""

    @property
    def value(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Slot:
    """One fixed position of a list: what marks its pieces and what its resources are called."""

    condition: str | None  # the product condition true when the slot is used (None: always used)
    tokens: tuple[str, ...]  # placeholders found in exactly this slot's pieces
    ids: dict[str, str]  # logical id the builders give its resources/outputs -> product logical id


def user_secret_id(index: int) -> str:
    return names.product_user_secret(index)


def user_output_id(index: int) -> str:
    return f"User{index}SecretArn"


def user_client_policy_id(index: int) -> str:
    return f"User{index}ClientPolicy"


def user_client_policy_output_id(index: int) -> str:
    return f"User{index}ClientPolicyArn"


def client_ingress_id(parameter: str) -> str:
    """The ingress rule of one client group or CIDR slot (named after its parameter)."""
    return f"ProxyIngressFrom{parameter}"


def all_slots() -> list[Slot]:
    result = []
    for i in slots(USER_SLOTS):
        username = USERNAME_SENTINELS[user_param(i, "Name")]
        result.append(Slot(
            None if i == 1 else f"HasUser{i}",
            tuple(ph(user_param(i, field)) for field in USER_FIELDS),
            {names.secret(username): user_secret_id(i), secret_output_name(username): user_output_id(i),
             names.client_policy(username): user_client_policy_id(i),
             client_policy_output_name(username): user_client_policy_output_id(i)},
        ))
    for group, sentinel in GROUP_SENTINELS.items():
        result.append(Slot(f"Has{group}", (ph(group),),
                           {names.ingress_from_security_group(sentinel): client_ingress_id(group)}))
    for name, sentinel in {**IPV4_SENTINELS, **IPV6_SENTINELS}.items():
        result.append(Slot(f"Has{name}", (ph(name),), {names.ingress_from_cidr(sentinel): client_ingress_id(name)}))
    for i in slots(TAG_SLOTS):
        result.append(Slot(f"HasTag{i}", (ph(tag_key(i)), ph(tag_value(i))), {}))
    return result


def _user(index: int, iam_auth: object) -> UserParams:
    return UserParams(
        username=USERNAME_SENTINELS[user_param(index, "Name")],
        description=ph(user_param(index, "Description")),
        iam_auth=iam_auth,  # type: ignore[arg-type]
        client_password_auth_type=Text(ph(user_param(index, "ClientPasswordAuthType"))),  # type: ignore[arg-type]
        secret_arn=None,
    )


def _network() -> NetworkParams:
    return NetworkParams(
        vpc_id=ph(VPC_ID), subnet_ids=Ref(SUBNET_IDS),  # type: ignore[arg-type]
        client_security_group_ids=tuple(GROUP_SENTINELS.values()),
        allowed_cidrs=(*IPV4_SENTINELS.values(), *IPV6_SENTINELS.values()),
        database_security_group_id=ph(DATABASE_SECURITY_GROUP),
        endpoint_network_type=Text(ph(ENDPOINT_NETWORK_TYPE)),  # type: ignore[arg-type]
        target_connection_network_type=Text(ph(TARGET_CONNECTION_NETWORK_TYPE)),  # type: ignore[arg-type]
    )


def _monitoring() -> MonitoringParams:
    return MonitoringParams(
        alarms=True, alarm_topic_arn=None,
        min_availability_percent=Ref(MIN_AVAILABILITY),  # type: ignore[arg-type]
        pool_saturation_percent=Ref(POOL_SATURATION),  # type: ignore[arg-type]
        borrow_latency_ms=Ref(BORROW_LATENCY),  # type: ignore[arg-type]
        pinned_percent=Ref(PINNED),  # type: ignore[arg-type]
        failed_auth_per_5_minutes=Ref(FAILED_LOGINS),  # type: ignore[arg-type]
        database_setup_failures_per_5_minutes=Ref(DATABASE_FAILURES),  # type: ignore[arg-type]
    )


def base_config(engine: EngineFamily = EngineFamily.MYSQL) -> EnvConfig:
    """Every optional part on: the product's starting point. Values that launch parameters give
    (VPC, subnets, database, pool numbers) are Refs to them, as the builders write them."""
    return EnvConfig(
        engine_family=engine,
        proxy=ProxyParams(name=ph(PROXY_NAME), require_tls=Ref(REQUIRE_TLS),  # type: ignore[arg-type]
                          iam_auth=IamAuth.REQUIRED, debug_logging=Ref(DEBUG_LOGGING),  # type: ignore[arg-type]
                          idle_client_timeout=Ref(IDLE_CLIENT_TIMEOUT),  # type: ignore[arg-type]
                          log_retention_days=Ref(LOG_RETENTION)),  # type: ignore[arg-type]
        network=_network(),
        target=TargetParams(db_cluster_identifier=ph(DB_CLUSTER), port=Ref(DATABASE_PORT),  # type: ignore[arg-type]
                            read_only_endpoint=True, engine=Text(ph(DATABASE_ENGINE)),  # type: ignore[arg-type]
                            database_name=ph(DATABASE_NAME)),
        # The SQL and each user's engine-dependent fields are the product's own (catalog/users_sql.py);
        # the users here have no role, so the builders' SQL grants nothing.
        provisioner=ProvisionerParams(admin_secret_arn=ph(ADMIN_SECRET), artifact_bucket=ph(ARTIFACT_BUCKET),
                                      ca_bundle_sha256="0" * 64, aws_apis_via=AwsApiRoute.VPC_ENDPOINTS,
                                      admin_secret_kms_key_arn=ph(ADMIN_SECRET_KEY),
                                      endpoint_security_group_id=ph(ENDPOINT_SECURITY_GROUP),
                                      s3_prefix_list_id=ph(S3_PREFIX_LIST)),
        users=tuple(_user(i, Text(ph(user_param(i, "IamAuth")))) for i in slots(USER_SLOTS)),
        tags={"Environment": ph(ENVIRONMENT),
              **{ph(tag_key(i)): ph(tag_value(i)) for i in slots(TAG_SLOTS)}},
        pool=PoolParams(max_connections_percent=Ref(MAX_CONNECTIONS),  # type: ignore[arg-type]
                        max_idle_connections_percent=Ref(MAX_IDLE_CONNECTIONS),  # type: ignore[arg-type]
                        connection_borrow_timeout=Ref(BORROW_TIMEOUT),  # type: ignore[arg-type]
                        init_query=ph(INIT_QUERY),
                        session_pinning_filters=(Text(ph(SESSION_PINNING)),)),  # type: ignore[arg-type]
        secrets=SecretsParams(kms_key_arn=None, password_length=Ref(PASSWORD_LENGTH),  # type: ignore[arg-type]
                              exclude_characters=ph(EXCLUDE_CHARACTERS), retain_on_delete=True),
        monitoring=_monitoring(),
        iam=IamParams(permissions_boundary_arn=ph(PERMISSIONS_BOUNDARY)),
        stack_name="service-catalog-product",
        env=ph(ENVIRONMENT),
        environment=ph(ENVIRONMENT),
        source="the Service Catalog product",
    )


def with_iam_users(cfg: EnvConfig) -> EnvConfig:
    """Every user with IAM auth REQUIRED, so the client policy is built with all of them."""
    return dataclasses.replace(cfg, users=tuple(_user(i, IamAuth.REQUIRED) for i in slots(USER_SLOTS)))


def with_user(cfg: EnvConfig, index: int, **changes: object) -> EnvConfig:
    users = list(cfg.users)
    users[index - 1] = dataclasses.replace(users[index - 1], **changes)
    return dataclasses.replace(cfg, users=tuple(users))


def replace(cfg: EnvConfig, section: str, **changes: object) -> EnvConfig:
    return dataclasses.replace(cfg, **{section: dataclasses.replace(getattr(cfg, section), **changes)})
