"""The params schema: frozen dataclasses whose field metadata is the single source of truth.

The validator walks these classes (types, defaults, ranges, patterns, choices), the JSON
Schema for editors is derived from them, and builders read the validated instances. A default
marked ``derived`` depends on other keys and is filled in by ``derive.resolve``; after that no
field documented as derived is None. Facts that follow from several keys and are never set by
anyone (end-to-end IAM, whether the stack generates secrets, ...) are properties of ``EnvConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts import monitoring as monitoring_facts
from ...facts import ssm as ssm_facts
from ...facts.aws import DefaultAuthScheme, EngineFamily, IamAuth
from ...facts.hazards import AcceptedHazard
from ...facts.provisioner import AwsApiRoute
from .keys import internal, key
from .iam import IamParams
from .provisioner import ProvisionerParams
from .stack_set import StackSetParams
from .database import PoolParams, TargetParams
from .network import EndpointParams, NetworkParams, StackEndpoint
from .users import SecretsParams, UserParams


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
    ssm_parameter_path: str | None = key(
        "Publish the proxy's endpoint, read-only endpoint, port, client security groups and each IAM user's "
        "client policy ARN as SSM parameters under this path (/orders/prod/proxy/endpoint, ...); absent: none.",
        default=None, pattern=ssm_facts.SSM_PARAMETER_PATH_PATTERN, max_length=ssm_facts.SSM_PARAMETER_PATH_MAX,
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
    def sql_users(self) -> tuple[UserParams, ...]:
        """The users db-users.sql makes, sets the password of and grants to: all but the master."""
        return tuple(u for u in self.users if not u.master)

    @property
    def master_user(self) -> UserParams | None:
        """The user marked master (users[].master; the rules allow one), or None."""
        return next((u for u in self.users if u.master), None)

    @property
    def policy_users(self) -> tuple[UserParams, ...]:
        """The users who get a client policy: IAM-auth users other than the master (a function
        logs in as its own user; the master's IAM callers are the database owner's to grant)."""
        return tuple(u for u in self.iam_users if not u.master)

    @property
    def generates_secrets(self) -> bool:
        """The stack generates at least one secret (secrets scheme, a user without secret_arn)."""
        return not self.end_to_end_iam and any(not user.secret_arn for user in self.users)

    @property
    def brought_secret_keys(self) -> tuple[str, ...]:
        """The customer managed keys of the users' own secrets (users[].secret_kms_key_arn), each
        once, in the users' order; none with end-to-end IAM (no secret is read)."""
        keys = () if self.end_to_end_iam else (u.secret_kms_key_arn for u in self.users if u.secret_arn)
        return tuple(dict.fromkeys(key for key in keys if key))

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

    @property
    def stack_endpoints(self) -> tuple[StackEndpoint, ...]:
        """Every DBProxyEndpoint the stack makes besides the proxy's default one: the read-only endpoint
        (target.read_only_endpoint) first, then the ``endpoints:`` entries. Derived when read, not by
        resolve, so a config changed after it (the Service Catalog product's variants) gets its own."""
        read_only = (StackEndpoint.read_only(self.proxy.name, self.network),) if self.target.read_only_endpoint else ()
        return (*read_only, *(StackEndpoint.of_entry(entry) for entry in self.endpoints))
