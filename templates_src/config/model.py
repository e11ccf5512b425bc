"""The params schema: frozen dataclasses whose field metadata is the single source of truth.

The validator walks these classes (types, defaults, ranges, patterns, choices), the JSON
Schema for editors is derived from them, and builders read the validated instances. A default
marked ``derived`` depends on other keys and is filled in by ``derive.resolve``; after that no
field documented as derived is None. Facts that follow from several keys and are never set by
anyone (end-to-end IAM, whether the stack generates secrets, ...) are properties of ``EnvConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..facts import aws as facts
from ..facts import connections as connection_facts, monitoring as monitoring_facts
from ..facts.aws import (ClientPasswordAuthType, DatabaseEngine, DefaultAuthScheme, EndpointNetworkType, EndpointTargetRole,
                         EngineFamily, IamAuth, RotationStrategy, SessionPinningFilter, TargetConnectionNetworkType)
from ..facts.hazards import AcceptedHazard
from ..facts.provisioner import AwsApiRoute
from ..facts.sql import SQL_IDENTIFIER_PATTERN, UserRole
from .model_keys import INSTANCE_CLASS_PATTERN, PATTERN_DOCS, internal, key  # noqa: F401 - the schema's declarations
from .iam_model import IamParams
from .provisioner_model import ProvisionerParams
from .stack_set_model import StackSetParams


@dataclass(frozen=True)
class ProxyParams:
    name: str = key(
        "The proxy's name: a lowercase letter first, then lowercase letters, digits and single hyphens.",
        pattern=facts.PROXY_NAME_PATTERN, max_length=facts.PROXY_NAME_MAX,
    )
    default_auth_scheme: DefaultAuthScheme = key(
        "How the proxy logs in to the database: NONE (a Secrets Manager secret per user) or IAM_AUTH "
        "(end-to-end IAM: no secrets, no passwords; MYSQL and POSTGRESQL, needs target.database_resource_id).",
        default=DefaultAuthScheme.NONE,
    )
    require_tls: bool = key("Refuse client connections without TLS.", default=True)
    iam_auth: IamAuth = key(
        "Default IAM authentication for users (ENABLED only on SQLSERVER).", default=IamAuth.REQUIRED,
    )
    idle_client_timeout: int = key(
        "Seconds a client connection may stay idle before the proxy closes it.", default=1800,
        minimum=facts.IDLE_CLIENT_TIMEOUT_RANGE[0], maximum=facts.IDLE_CLIENT_TIMEOUT_RANGE[1],
    )
    debug_logging: bool = key(
        "Log the SQL text of every statement (it can contain sensitive data; for troubleshooting only).",
        default=False,
    )
    log_retention_days: int = key(
        "Retention of the log group /aws/rds/proxy/<name>, in days (under 365 needs waivers.log_retention).",
        default=facts.MIN_LOG_RETENTION_DAYS, choices=facts.LOG_RETENTION_DAYS,
    )


@dataclass(frozen=True)
class NetworkParams:
    vpc_id: str = key("The VPC of the database.", pattern=facts.VPC_ID_PATTERN)
    subnet_ids: tuple[str, ...] = key(
        "Subnets for the proxy, in at least two Availability Zones.",
        pattern=facts.SUBNET_ID_PATTERN, min_items=facts.MIN_SUBNETS, unique=True,
    )
    client_security_group_ids: tuple[str, ...] = key(
        "Security groups whose members may connect to the proxy.", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True,
    )
    allowed_cidrs: tuple[str, ...] = key(
        "Extra client CIDR ranges (IPv4 or IPv6); 0.0.0.0/0 and ::/0 are refused.", default=(), unique=True,
    )
    database_security_group_id: str | None = key(
        "The database's security group: when given, a rule lets the proxy in.", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    secrets_manager_endpoint_security_group_id: str | None = key(
        "With secrets.rotation_days: the security group of the VPC's Secrets Manager interface endpoint, the "
        "only destination of the rotation functions' HTTPS egress (otherwise any address; a rule lets them in).",
        default=None, pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    database_cidr: str | None = key(
        "Without database_security_group_id: the range (IPv4 or IPv6) the database's addresses are in, "
        "the only destination of the proxy's egress (otherwise any address on the database port).",
        default=None,
    )
    endpoint_network_type: EndpointNetworkType = key(
        "The IP versions the proxy's endpoints answer on: IPV4, IPV6 or DUAL (IPv6 and DUAL need IPv6 CIDR "
        "blocks on the VPC and every subnet). Set at creation: a change replaces the proxy.",
        default=EndpointNetworkType.IPV4,
    )
    target_connection_network_type: TargetConnectionNetworkType = key(
        "The IP version the proxy reaches the database with: IPV4 or IPV6 (IPV6 needs the database in "
        "dual-stack mode). Set at creation: a change replaces the proxy.",
        default=TargetConnectionNetworkType.IPV4,
    )
    proxy_security_group_ids: tuple[str, ...] = key(
        "Existing security groups attached to the proxy and its read-only endpoint after the one the stack "
        "builds (at most 4 then), or instead of it with create_security_group false (at least 1).", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True, max_items=facts.SECURITY_GROUPS_PER_NETWORK_INTERFACE,
    )
    create_security_group: bool = key(
        "Build the proxy's own security group. false: the proxy has only proxy_security_group_ids, whose own "
        "rules decide who may connect and where it may go (client and database keys are refused then).",
        default=True,
    )


@dataclass(frozen=True)
class TargetParams:
    db_instance_identifier: str | None = key(
        "The RDS DB instance behind the proxy (or db_cluster_identifier).", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    db_cluster_identifier: str | None = key(
        "The Aurora DB cluster behind the proxy (or db_instance_identifier).", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    engine: DatabaseEngine | None = key(
        "The server behind the proxy: mysql (RDS for MySQL 8.0/8.4, Aurora MySQL 3) or mariadb (RDS for "
        "MariaDB) on MYSQL; postgres on POSTGRESQL; sqlserver on SQLSERVER. The users' SQL, their password "
        "plugin and the client password auth types follow it.", default=None,
        derived="mysql, postgres or sqlserver, by engine_family",
    )
    port: int | None = key(
        "The database's port.", default=None, minimum=facts.PORT_RANGE[0], maximum=facts.PORT_RANGE[1],
        derived="the engine's default port",
    )
    read_only_endpoint: bool = key(
        "Add a READ_ONLY proxy endpoint (cluster targets only).", default=False,
    )
    database_resource_id: str | None = key(
        "The database's resource id (db-... of an instance, cluster-... of a cluster): what the proxy "
        "role's rds-db:connect ARNs name with default_auth_scheme IAM_AUTH.", default=None,
        pattern=facts.DB_RESOURCE_ID_PATTERN,
    )
    database_name: str | None = key(
        "The database the users' grants apply to (db-users.sql); required when a user has a role or privileges.",
        default=None, pattern=SQL_IDENTIFIER_PATTERN,
    )
    schema_name: str | None = key(
        "The schema the grants apply to (PostgreSQL and SQL Server).", default=None,
        pattern=SQL_IDENTIFIER_PATTERN, derived="public on POSTGRESQL, dbo on SQLSERVER",
    )
    instance_class: str | None = key(
        "The database's DB instance class (for a cluster: of each instance), e.g. db.r6g.large: with the "
        "engine's default max_connections it sizes the connection budget.", default=None,
        pattern=INSTANCE_CLASS_PATTERN,
    )
    max_connections: int | None = key(
        "The database's max_connections when its parameter group sets it (wins over instance_class).",
        default=None, minimum=connection_facts.MAX_CONNECTIONS_OVERRIDE_RANGE[0],
        maximum=connection_facts.MAX_CONNECTIONS_OVERRIDE_RANGE[1],
    )


@dataclass(frozen=True)
class PoolParams:
    max_connections_percent: int = key(
        "Share of the database's max_connections the proxy may open.", default=100,
        minimum=facts.MAX_CONNECTIONS_PERCENT_RANGE[0], maximum=facts.MAX_CONNECTIONS_PERCENT_RANGE[1],
    )
    max_idle_connections_percent: int | None = key(
        "Share of max_connections the proxy keeps open while idle.", default=None, minimum=0,
        maximum=facts.MAX_CONNECTIONS_PERCENT_RANGE[1], derived="half of max_connections_percent",
    )
    connection_borrow_timeout: int = key(
        "Seconds a request waits for a free connection (also bounds the wait during failover).",
        default=120, minimum=facts.CONNECTION_BORROW_TIMEOUT_RANGE[0],
        maximum=facts.CONNECTION_BORROW_TIMEOUT_RANGE[1],
    )
    init_query: str | None = key("SQL run on each new database connection.", default=None,
                                 max_length=facts.INIT_QUERY_MAX)
    session_pinning_filters: tuple[SessionPinningFilter, ...] = key(
        "Session state that does not pin a client to a connection (EXCLUDE_VARIABLE_SETS, MYSQL only).",
        default=(), unique=True,
    )


@dataclass(frozen=True)
class MonitoringParams:
    alarms: bool = key(
        "Create the CloudWatch alarms (false needs waivers.alarms); the dashboard is always made.", default=True,
    )
    alarm_topic_arn: str | None = key(
        "The SNS topic alarms notify; absent: the stack creates one, encrypted with the stack's key.",
        default=None, pattern=monitoring_facts.SNS_TOPIC_ARN_PATTERN,
    )
    min_availability_percent: int = key(
        "Alarm when the target's AvailabilityPercentage (Average) falls below this.", default=95,
        minimum=1, maximum=100,
    )
    pool_saturation_percent: int = key(
        "Alarm when DatabaseConnections reach this share of MaxDatabaseConnectionsAllowed (what the pool may open).",
        default=90, minimum=1, maximum=100,
    )
    borrow_latency_ms: int | None = key(
        "Alarm when DatabaseConnectionsBorrowLatency (Average) exceeds this many milliseconds.", default=None,
        minimum=1, maximum=300_000, derived="a tenth of pool.connection_borrow_timeout, at least 100 ms",
    )
    pinned_percent: int = key(
        "Alarm when DatabaseConnectionsCurrentlySessionPinned reach this share of MaxDatabaseConnectionsAllowed.",
        default=50, minimum=1, maximum=100,
    )
    failed_auth_per_5_minutes: int = key(
        "Alarm when more client logins than this fail in 5 minutes (ClientConnectionsSetupFailedAuth).",
        default=10, minimum=0, maximum=1_000_000,
    )
    database_setup_failures_per_5_minutes: int = key(
        "Alarm when more database connections than this fail to open in 5 minutes (DatabaseConnectionsSetupFailed).",
        default=0, minimum=0, maximum=1_000_000,
    )


@dataclass(frozen=True)
class SecretsParams:
    kms_key_arn: str | None = key(
        "Encrypt secrets and logs with this existing key instead of creating one.", default=None,
        pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    password_length: int = key(
        "Length of generated passwords.", default=30,
        minimum=facts.PASSWORD_LENGTH_RANGE[0], maximum=facts.PASSWORD_LENGTH_RANGE[1],
    )
    exclude_characters: str | None = key(
        "Characters never used in generated passwords.", default=None, max_length=4096,
        derived="the engine's troublesome characters",
    )
    retain_on_delete: bool = key(
        "Keep secrets, key and log group when the stack is deleted or they are replaced.", default=True,
    )
    rotation_days: int | None = key(
        "Rotate generated passwords every N days with Secrets Manager's hosted rotation (off when absent).",
        default=None, minimum=facts.ROTATION_DAYS_RANGE[0], maximum=facts.ROTATION_DAYS_RANGE[1],
    )
    rotation_strategy: RotationStrategy = key(
        "single_user (each user changes its own password) or alternating_users (a superuser keeps a "
        "clone of each user, so logins never fail during a rotation).", default=RotationStrategy.SINGLE_USER,
    )
    rotation_superuser_secret_arn: str | None = key(
        "The secret of a database superuser, for alternating_users rotation.", default=None,
        pattern=facts.SECRET_ARN_PATTERN,
    )


@dataclass(frozen=True)
class UserParams:
    username: str = key("The database user the proxy logs in as.", pattern=facts.USERNAME_PATTERN)
    description: str | None = key("What the user is for.", default=None, max_length=1000)
    iam_auth: IamAuth | None = key(
        "IAM authentication for this user.", default=None, derived="proxy.iam_auth",
    )
    client_password_auth_type: ClientPasswordAuthType | None = key(
        "How clients authenticate with a password; must match the engine.", default=None,
        derived="the engine's default",
    )
    secret_arn: str | None = key(
        "Use this existing secret instead of generating one.", default=None, pattern=facts.SECRET_ARN_PATTERN,
    )
    role: UserRole | None = key(
        "What db-users.sql grants: app (SELECT, INSERT, UPDATE, DELETE), migration (DDL on the schema "
        "as well), readonly (SELECT).", default=None,
    )
    privileges: tuple[str, ...] | None = key(
        "An explicit privilege list instead of a role (e.g. [SELECT, EXECUTE]).", default=None,
        pattern=r"^[A-Z]+(?: [A-Z]+)*$", unique=True, min_items=1,
    )


@dataclass(frozen=True)
class EndpointParams:
    name: str = key(
        "The endpoint's name (DBProxyEndpointName), unique in the region's proxies; it names its resources "
        "and outputs too.", pattern=facts.PROXY_NAME_PATTERN, max_length=facts.PROXY_NAME_MAX,
    )
    subnet_ids: tuple[str, ...] = key(
        "The endpoint's subnets, in at least two Availability Zones: in vpc_id.",
        pattern=facts.SUBNET_ID_PATTERN, min_items=facts.MIN_SUBNETS, unique=True,
    )
    target_role: EndpointTargetRole = key(
        "READ_WRITE (the writer) or READ_ONLY (an Aurora cluster's readers; not SQL Server).",
        default=EndpointTargetRole.READ_WRITE,
    )
    vpc_id: str | None = key(
        "The VPC of the endpoint's subnets: another VPC lets its clients reach the proxy there.", default=None,
        pattern=facts.VPC_ID_PATTERN, derived="network.vpc_id",
    )
    client_security_group_ids: tuple[str, ...] = key(
        "Security groups (in vpc_id) whose members may connect to this endpoint.", default=(),
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True,
    )
    allowed_cidrs: tuple[str, ...] = key(
        "Client CIDR ranges that may connect to this endpoint; 0.0.0.0/0 and ::/0 are refused.", default=(),
        unique=True,
    )
    endpoint_network_type: EndpointNetworkType | None = key(
        "IPV4, IPV6 or DUAL (IPv6 and DUAL need IPv6 CIDR blocks on vpc_id and the subnets).", default=None,
        derived="network.endpoint_network_type",
    )


@dataclass(frozen=True)
class WaiverParams:
    iam_auth: str | None = key(
        "Why users may log in without IAM auth (iam_auth DISABLED or ENABLED): required then.",
        default=None, max_length=500,
    )
    require_tls: str | None = key(
        "Why the proxy accepts connections without TLS (require_tls false): required then.",
        default=None, max_length=500,
    )
    retain_on_delete: str | None = key(
        "Why secrets, key and log group are deleted with the stack (retain_on_delete false): required then.",
        default=None, max_length=500,
    )
    log_retention: str | None = key(
        "Why the proxy's logs are kept under a year (proxy.log_retention_days below 365): required then.",
        default=None, max_length=500,
    )
    world_egress: str | None = key(
        "Why egress may go to any address (0.0.0.0/0): neither network.database_security_group_id nor "
        "network.database_cidr given, or rotation functions calling Secrets Manager: required then.",
        default=None, max_length=500,
    )
    rotation: str | None = key(
        "Why generated secrets are not rotated (no secrets.rotation_days): required then.",
        default=None, max_length=500,
    )
    alarms: str | None = key(
        "Why the proxy has no alarms (monitoring.alarms false): required then.", default=None, max_length=500,
    )


@dataclass(frozen=True)
class EnvConfig:
    """One params file, validated. ``env`` and ``source`` come from the file name, ``out_dir`` from --out."""

    engine_family: EngineFamily = key("MYSQL (MySQL, MariaDB, Aurora MySQL), POSTGRESQL or SQLSERVER.")
    proxy: ProxyParams = key("The proxy itself.")
    network: NetworkParams = key("Where the proxy runs and who may reach it.")
    target: TargetParams = key("The database behind the proxy.")
    users: tuple[UserParams, ...] = key(
        "Database users the proxy logs in as; one secret each.", min_items=1,
        max_items=facts.MAX_USERS,
    )
    region: str = key(
        "The region the stack deploys to; cfn-lint checks this region.", default=facts.DEFAULT_REGION,
        pattern=facts.REGION_PATTERN,
    )
    stack_name: str | None = key(
        "The CloudFormation stack name; exports are named <stack_name>-<Output>.", default=None,
        pattern=facts.STACK_NAME_PATTERN, derived="rds-proxy-<env>",
    )
    environment: str | None = key(
        "The environment this file's proxy belongs to: the Environment tag and what descriptions name. Several "
        "files may share one (several proxies in one environment); each file is still its own stack and out folder.",
        default=None, pattern=facts.ENV_NAME_PATTERN, max_length=facts.TAG_VALUE_MAX, derived="the file name",
    )
    tags: dict[str, str] | None = key(
        "Tags on every taggable resource (Environment=<env> is added).", default=None,
    )
    pool: PoolParams = key("Connection pool settings of the target group.", default=PoolParams())
    secrets: SecretsParams = key("How database passwords are generated and kept.", default=SecretsParams())
    provisioner: ProvisionerParams | None = key(
        "The stack creates the database users itself, with a function that runs db-users.sql as the database's "
        "admin before the proxy's target is registered (absent: a person runs create-db-users.sh while the "
        "stack waits).", default=None,
    )
    monitoring: MonitoringParams = key("CloudWatch alarms and where they notify.", default=MonitoringParams())
    endpoints: tuple[EndpointParams, ...] = key(
        "Extra endpoints of the proxy, each with its own subnets, VPC and security group (clients in another "
        "VPC reach the proxy through one in theirs).", default=(), max_items=facts.MAX_EXTRA_ENDPOINTS,
    )
    iam: IamParams = key("Permissions boundary, role path, an existing proxy role, key administrators and "
                         "secret readers.", default=IamParams())
    waivers: WaiverParams = key(
        "Reasons for weakening a secure default; each is recorded in the template's Metadata.",
        default=WaiverParams(),
    )
    stack_set: StackSetParams | None = key(
        "Deploy this environment to many accounts and regions through a CloudFormation stack set "
        "(generated/<env>/stack-set.yaml; its member template is the Service Catalog product).", default=None,
    )
    accept: tuple[AcceptedHazard, ...] = key(
        "Hazards of the next update of the deployed stack that are intended (regenerates-secret, update-fails, "
        "replaces-retained, breaks-export, disables-logins): the build refuses them otherwise. Remove once deployed.",
        default=(), unique=True,
    )
    example: bool = key(
        "This file is a shipped example, never deployed: the next build of the env takes the output it made "
        "for nobody's stack (a first deploy: no update hazards), and its deploy.sh refuses to run. Delete the "
        "line to make the env your own; never set it on a deployed env (only in an env's own file).",
        default=False,
    )
    env: str = internal("The params file's stem: its out folder <out>/<env>/, stack name suffix and CLI name.")
    source: str = internal("The params file, as shown in messages and headers.")
    out_dir: str = internal("The out folder as the build was told it (--out): what DEPLOY.md's commands name.",
                            default="generated")

    # --- facts derived from several keys (read them on the resolved config) ---------------------

    @property
    def end_to_end_iam(self) -> bool:
        """The proxy logs in to the database with IAM as each user: no secrets at all."""
        return self.proxy.default_auth_scheme is DefaultAuthScheme.IAM_AUTH

    @property
    def iam_users(self) -> tuple[UserParams, ...]:
        """Users who may log in with an IAM token."""
        return tuple(u for u in self.users if u.iam_auth in (IamAuth.REQUIRED, IamAuth.ENABLED))

    @property
    def generates_secrets(self) -> bool:
        """The stack generates at least one secret (secrets scheme, a user without secret_arn)."""
        return not self.end_to_end_iam and any(not user.secret_arn for user in self.users)

    @property
    def rotates(self) -> bool:
        """Rotation functions are made (rotation_days, and a generated secret to rotate)."""
        return self.secrets.rotation_days is not None and self.generates_secrets

    @property
    def database_destination_known(self) -> bool:
        """The proxy's egress can name the database: its group or the range of its addresses."""
        return bool(self.network.database_security_group_id or self.network.database_cidr)

    @property
    def provisioner_via_nat(self) -> bool:
        """The provisioner's function reaches AWS's APIs through a NAT gateway: HTTPS to any address."""
        return self.provisioner is not None and self.provisioner.aws_apis_via is AwsApiRoute.NAT
