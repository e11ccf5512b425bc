"""Every AWS fact the generator relies on, as data.

Validators and builders read these tables; no port, range, enum or ARN format is written
anywhere else. Sources: the CloudFormation resource schemas bundled with cfn-lint, the RDS
API model, the RDS Proxy user guide and AWS CDK's ``aws-rds/lib/proxy.ts``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EngineFamily(str, enum.Enum):
    MYSQL = "MYSQL"
    POSTGRESQL = "POSTGRESQL"
    SQLSERVER = "SQLSERVER"


class DatabaseEngine(str, enum.Enum):
    """The server behind the proxy, by RDS's engine name (RDS API CreateDBInstance, Engine). An
    engine family can front more than one: RDS Proxy's MYSQL covers RDS for MySQL, Aurora MySQL
    and RDS for MariaDB (RDS User Guide, "Supported Regions and DB engines for Amazon RDS
    Proxy"), whose SQL for users and passwords differs."""
    MYSQL = "mysql"  # RDS for MySQL 8.0 and 8.4, Aurora MySQL 3
    MARIADB = "mariadb"
    POSTGRES = "postgres"  # RDS for PostgreSQL and Aurora PostgreSQL
    SQLSERVER = "sqlserver"


class EndpointNetworkType(str, enum.Enum):
    """The IP versions a proxy endpoint answers on (AWS::RDS::DBProxy / DBProxyEndpoint
    EndpointNetworkType; create-only in both provider schemas). IPV6 and DUAL need an IPv6 CIDR
    block on the VPC and every subnet, and a VPC tenancy other than dedicated (RDS API
    CreateDBProxy, EndpointNetworkType constraints)."""
    IPV4 = "IPV4"
    IPV6 = "IPV6"
    DUAL = "DUAL"


class TargetConnectionNetworkType(str, enum.Enum):
    """The IP version the proxy uses to reach the database (create-only). IPV6 needs the
    database in dual-stack mode (RDS User Guide, "Setting up network prerequisites for RDS Proxy")."""
    IPV4 = "IPV4"
    IPV6 = "IPV6"


# The client address families each endpoint type answers on.
ENDPOINT_IP_VERSIONS = {EndpointNetworkType.IPV4: (4,), EndpointNetworkType.IPV6: (6,),
                        EndpointNetworkType.DUAL: (4, 6)}
TARGET_IP_VERSION = {TargetConnectionNetworkType.IPV4: 4, TargetConnectionNetworkType.IPV6: 6}


class IamAuth(str, enum.Enum):
    REQUIRED = "REQUIRED"
    DISABLED = "DISABLED"
    ENABLED = "ENABLED"  # SQL Server only


class ClientPasswordAuthType(str, enum.Enum):
    MYSQL_NATIVE_PASSWORD = "MYSQL_NATIVE_PASSWORD"
    MYSQL_CACHING_SHA2_PASSWORD = "MYSQL_CACHING_SHA2_PASSWORD"
    POSTGRES_SCRAM_SHA_256 = "POSTGRES_SCRAM_SHA_256"
    POSTGRES_MD5 = "POSTGRES_MD5"
    SQL_SERVER_AUTHENTICATION = "SQL_SERVER_AUTHENTICATION"


class DefaultAuthScheme(str, enum.Enum):
    """How the proxy logs in to the database (CloudFormation ``AWS::RDS::DBProxy.DefaultAuthScheme``)."""

    NONE = "NONE"  # per-user Secrets Manager secrets (the Auth list)
    IAM_AUTH = "IAM_AUTH"  # end-to-end IAM: the proxy's role signs in as each user, no secret


class SessionPinningFilter(str, enum.Enum):
    EXCLUDE_VARIABLE_SETS = "EXCLUDE_VARIABLE_SETS"


class RotationStrategy(str, enum.Enum):
    SINGLE_USER = "single_user"  # the user changes its own password; brief login failures possible
    ALTERNATING_USERS = "alternating_users"  # a superuser maintains a clone user; no gap


@dataclass(frozen=True)
class EngineFacts:
    port: int
    default_auth_type: ClientPasswordAuthType
    auth_types: frozenset[ClientPasswordAuthType]
    iam_auth_values: frozenset[IamAuth]
    session_pinning_filters: frozenset[SessionPinningFilter]
    # Characters that break the engine's client libraries or connection strings when they
    # appear in a generated password (quotes, @ and / confuse URLs, \ escapes).
    excluded_password_characters: str
    # End-to-end IAM needs the database itself to accept IAM tokens; RDS IAM database
    # authentication exists for MariaDB, MySQL and PostgreSQL only (RDS User Guide, "IAM database
    # authentication for MariaDB, MySQL, and PostgreSQL"), so not for SQL Server.
    end_to_end_iam: bool
    # The servers this family fronts; the first is the default.
    engines: tuple[DatabaseEngine, ...]


_MYSQL_AUTH = frozenset(
    {ClientPasswordAuthType.MYSQL_NATIVE_PASSWORD, ClientPasswordAuthType.MYSQL_CACHING_SHA2_PASSWORD}
)
_POSTGRES_AUTH = frozenset(
    {ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256, ClientPasswordAuthType.POSTGRES_MD5}
)

ENGINES: dict[EngineFamily, EngineFacts] = {
    EngineFamily.MYSQL: EngineFacts(
        port=3306,
        default_auth_type=ClientPasswordAuthType.MYSQL_NATIVE_PASSWORD,
        auth_types=_MYSQL_AUTH,
        iam_auth_values=frozenset({IamAuth.REQUIRED, IamAuth.DISABLED}),
        session_pinning_filters=frozenset({SessionPinningFilter.EXCLUDE_VARIABLE_SETS}),
        excluded_password_characters="\"'@/\\`",
        end_to_end_iam=True,
        engines=(DatabaseEngine.MYSQL, DatabaseEngine.MARIADB),
    ),
    EngineFamily.POSTGRESQL: EngineFacts(
        port=5432,
        default_auth_type=ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
        auth_types=_POSTGRES_AUTH,
        iam_auth_values=frozenset({IamAuth.REQUIRED, IamAuth.DISABLED}),
        session_pinning_filters=frozenset(),
        excluded_password_characters="\"'@/\\",
        end_to_end_iam=True,
        engines=(DatabaseEngine.POSTGRES,),
    ),
    EngineFamily.SQLSERVER: EngineFacts(
        port=1433,
        default_auth_type=ClientPasswordAuthType.SQL_SERVER_AUTHENTICATION,
        auth_types=frozenset({ClientPasswordAuthType.SQL_SERVER_AUTHENTICATION}),
        iam_auth_values=frozenset({IamAuth.REQUIRED, IamAuth.DISABLED, IamAuth.ENABLED}),
        session_pinning_filters=frozenset(),
        excluded_password_characters="\"'@/\\;",
        end_to_end_iam=False,
        engines=(DatabaseEngine.SQLSERVER,),
    ),
}

# Client password auth types a server cannot back. MariaDB has no caching_sha2_password
# (MariaDB Knowledge Base, "Authentication Plugin - SHA-256": the server supports neither
# sha256_password nor caching_sha2_password), and RDS names MYSQL_CACHING_SHA2_PASSWORD as the
# default for RDS for MySQL only (RDS API, UserAuthConfig); a MariaDB target's users stay on
# MYSQL_NATIVE_PASSWORD.
UNSUPPORTED_AUTH_TYPES: dict[DatabaseEngine, frozenset[ClientPasswordAuthType]] = {
    DatabaseEngine.MARIADB: frozenset({ClientPasswordAuthType.MYSQL_CACHING_SHA2_PASSWORD}),
}

# Secrets Manager's hosted rotation functions, per engine and strategy (alternating users is
# refused: config/rules.py says why). They need the transform below, which makes the stack need
# CAPABILITY_AUTO_EXPAND.
ROTATION_TYPES: dict[tuple[EngineFamily, RotationStrategy], str] = {
    (EngineFamily.MYSQL, RotationStrategy.SINGLE_USER): "MySQLSingleUser",
    (EngineFamily.POSTGRESQL, RotationStrategy.SINGLE_USER): "PostgreSQLSingleUser",
    (EngineFamily.SQLSERVER, RotationStrategy.SINGLE_USER): "SQLServerSingleUser",
}
SECRETS_MANAGER_TRANSFORM = "AWS::SecretsManager-2024-09-16"
ROTATION_DAYS_RANGE = (1, 1000)
HTTPS_PORT = 443
# The destination of an egress rule that allows nothing: no packet from a network interface to
# the loopback address leaves the instance (AWS::EC2::SecurityGroup, example "Remove the default
# rule", CloudFormation User Guide, names this destination).
LOOPBACK_IPV4 = "127.0.0.1/32"
BASE_CAPABILITIES = ("CAPABILITY_IAM",)  # the proxy role and the client policies
TRANSFORM_CAPABILITY = "CAPABILITY_AUTO_EXPAND"

# Numeric ranges CloudFormation does not enforce itself (cfn-lint does not catch them either).
IDLE_CLIENT_TIMEOUT_RANGE = (1, 28_800)
MAX_CONNECTIONS_PERCENT_RANGE = (1, 100)
CONNECTION_BORROW_TIMEOUT_RANGE = (0, 300)
PASSWORD_LENGTH_RANGE = (16, 128)  # Secrets Manager allows 1..4096; below 16 is not a password we ship.
PORT_RANGE = (1150, 65535)  # RDS refuses database ports below 1150 (except the engine defaults).
PROXY_NAME_MAX = 63
MAX_SECRETS_PER_PROXY = 200
MAX_OUTPUTS_PER_TEMPLATE = 200
# Each user has a <User>SecretArn and a <User>ClientPolicyArn output beside the proxy's own (at
# most 9), and a template holds at most 200 outputs: that, not the proxy's 200 secrets, bounds
# the users of one env.
MAX_PROXY_OUTPUTS = 9
MAX_USERS = (MAX_OUTPUTS_PER_TEMPLATE - MAX_PROXY_OUTPUTS) // 2
MIN_SUBNETS = 2
# The proxy's network interfaces carry every group of VpcSecurityGroupIds, and an interface takes
# at most 5 security groups unless the account's quota was raised (Amazon VPC User Guide, "Amazon
# VPC quotas", Security groups per network interface: default 5, adjustable up to 16;
# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
# The default is the bound: a raised quota is not something params can show.
SECURITY_GROUPS_PER_NETWORK_INTERFACE = 5

# AWS Control Tower's proactive control CT.CLOUDWATCH.PR.2: a log group kept at least a year.
MIN_LOG_RETENTION_DAYS = 365
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)
# The periods the AWS Guard Rules Registry's CW_LOGGROUP_RETENTION_PERIOD_CHECK accepts
# (rules/aws/cloudwatch/): CloudWatch's list before 1096, 2192, 2557, 2922 and 3288 were added.
REGISTRY_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)

# Identifier formats (the RDS and EC2 APIs).
PROXY_NAME_PATTERN = r"^[a-z](?:[a-z0-9]|-(?!-))*(?<!-)$"
DB_IDENTIFIER_PATTERN = r"^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}(?<!-)$"
USERNAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
ENV_NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
STACK_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"
REGION_PATTERN = r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]$"
VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$"
SECURITY_GROUP_ID_PATTERN = r"^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$"
KMS_KEY_ARN_PATTERN = r"^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$"
# The database's own resource id, what an rds-db:connect ARN names (DescribeDBInstances
# DbiResourceId / DescribeDBClusters DbClusterResourceId): db-... or cluster-..., upper case.
DB_INSTANCE_RESOURCE_ID_PATTERN = r"^db-[A-Z0-9]{1,255}$"
DB_CLUSTER_RESOURCE_ID_PATTERN = r"^cluster-[A-Z0-9]{1,255}$"
DB_RESOURCE_ID_PATTERN = r"^(?:db|cluster)-[A-Z0-9]{1,255}$"
# The secrets RDS manages for a master user are named rds!db-<uuid> or rds!cluster-<uuid>
# (RDS User Guide, "Password management with Amazon RDS and AWS Secrets Manager").
SECRET_ARN_PATTERN = (
    r"^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:(?:rds!)?[A-Za-z0-9/_+=.@-]+$"
)
# IAM (iam: section). The partitions an ARN may name (each region's: facts/partitions.py).
PARTITION_PATTERN = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
# A path: "/" alone, or "/" + printable ASCII (U+0021-U+007E) + "/", 1 to 512 characters; a role
# name: 1 to 64 of [\w+=,.@-]; a managed policy name 1 to 128 (IAM API Reference, CreateRole
# Path/RoleName and CreatePolicy PolicyName; IAM User Guide, "IAM and AWS STS quotas").
# Here without the backtick (U+0060), which no code span of DEPLOY.md could hold.
_IAM_PATH_CHARS = r"[\x21-\x5f\x61-\x7e]"
IAM_PATH_PATTERN = rf"^/(?:{_IAM_PATH_CHARS}*/)?$"
IAM_PATH_MAX = 512
# Policy sizes in characters, whitespace not counted ("IAM and AWS STS quotas", IAM User Guide):
# a managed policy, and all inline policies of one role together.
MANAGED_POLICY_MAX_CHARACTERS = 6_144
ROLE_INLINE_POLICIES_MAX_CHARACTERS = 10_240
IAM_ROLE_ARN_PATTERN = rf"^arn:{PARTITION_PATTERN}:iam::[0-9]{{12}}:role/(?:{_IAM_PATH_CHARS}*/)?[\w+=,.@-]{{1,64}}$"
# Who may administer the key or read the secrets: an IAM role or user of an account.
IAM_PRINCIPAL_ARN_PATTERN = (
    rf"^arn:{PARTITION_PATTERN}:iam::[0-9]{{12}}:(?:role|user)/(?:{_IAM_PATH_CHARS}*/)?[\w+=,.@-]{{1,64}}$"
)
# A permissions boundary is a managed policy: the account's own or an AWS managed one (account "aws").
IAM_MANAGED_POLICY_ARN_PATTERN = (
    rf"^arn:{PARTITION_PATTERN}:iam::(?:[0-9]{{12}}|aws):policy/(?:{_IAM_PATH_CHARS}*/)?[\w+=,.@-]{{1,128}}$"
)
TAG_KEY_PATTERN = r"^(?!aws:)[\w\s.:/=+@-]{1,128}$"
# The smallest tag value limit of the resource types the env's tags land on: 128 for
# AWS::RDS::DBProxy and DBProxyEndpoint (TagFormat.Value maxLength in their provider schemas),
# 256 for the rest. tests/test_limits.py checks it against the schemas cfn-lint ships.
TAG_VALUE_MAX = 128
# The characters a tag value may hold: AWS::IAM::Role's TagFormat Value pattern
# ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$ (its provider schema; the strictest anchored one of the resource
# types the env's tags land on, and the tagging pages' allowed characters): letters, separators
# (spaces), numbers and these. tests/test_limits.py checks it against the schemas cfn-lint ships.
TAG_VALUE_CATEGORIES = ("L", "Z", "N")  # Unicode general categories, by first letter
TAG_VALUE_SYMBOLS = "_.:/=+-@"
# "Maximum number of tags per resource: 50" (AWS::SecretsManager::Secret Tags, the RDS and KMS
# tagging pages, cfn-lint's resource schemas); aws:-prefixed tags do not count. Every resource
# carries Environment and a secret also DatabaseUser (builders/common.py, secrets.py).
MAX_TAGS_PER_RESOURCE = 50
TAGS_ADDED_BY_BUILD = 2
# AWS publishes no length limit for a target group's InitQuery (RDS API,
# ConnectionPoolConfiguration); a SET list is a line. The bound keeps megabytes of text out of a
# template (a 900 KB query made a 113 s lint).
INIT_QUERY_MAX = 2048

DEFAULT_REGION = "us-east-1"
ENVIRONMENT_TAG = "Environment"

# ARN and name formats, as CloudFormation expressions (partition, region and account come from
# the pseudo parameters so the template deploys in any account).
LOG_GROUP_NAME_FORMAT = "/aws/rds/proxy/{proxy_name}"
DB_USER_ARN_SUB = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/%s"
# With end-to-end IAM the proxy's role connects to the database as each user: the same ARN form,
# naming the database's resource id instead of the proxy's (RDS User Guide, "Migrating from
# standard IAM authentication to end-to-end IAM authentication for RDS Proxy").
DATABASE_USER_ARN_SUB = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:%s/%s"
# The proxy's resource id (prx-...) is not a GetAtt; it is the 7th field of its ARN
# (arn:aws:rds:<region>:<account>:db-proxy:prx-...).
PROXY_ARN_RESOURCE_ID_INDEX = 6
SECRETS_MANAGER_VIA_SERVICE_SUB = "secretsmanager.${AWS::Region}.amazonaws.com"
LOGS_SERVICE_SUB = "logs.${AWS::Region}.amazonaws.com"
LOG_GROUP_ARN_SUB = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:%s"
RDS_SERVICE_PRINCIPAL = "rds.amazonaws.com"
PROXY_TARGET_GROUP_NAME = "default"
# A proxy has at most 20 endpoints of its own besides the default one (RDS User Guide, "Limitations
# for proxy endpoints"); the read-only endpoint is one of them.
MAX_EXTRA_ENDPOINTS = 20
ENDPOINT_OUTPUTS = 2  # <Endpoint>Address and <Endpoint>SecurityGroupId


class EndpointTargetRole(str, enum.Enum):
    """AWS::RDS::DBProxyEndpoint TargetRole (create-only): READ_ONLY sends to an Aurora cluster's
    readers; SQL Server proxies take READ_WRITE only (RDS API CreateDBProxyEndpoint, TargetRole)."""
    READ_WRITE = "READ_WRITE"
    READ_ONLY = "READ_ONLY"


READ_ONLY_ENDPOINT_SUFFIX = "-ro"  # endpoint names follow the proxy-name rules, so <= 63 in all
KMS_ALIAS_FORMAT = "alias/rds-proxy/{proxy_name}"
EXPORT_NAME_SUB = "${AWS::StackName}-%s"
