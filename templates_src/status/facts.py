"""The facts ``status`` works from, as data: which template property is which API response field,
which intrinsic functions it can resolve from a deployed stack, the AWS operations it may call,
and what each target health reason means with the fix in one line.

Sources:
- RDS API reference: DBProxy, DBProxyTargetGroup, ConnectionPoolConfigurationInfo, DBProxyTarget,
  TargetHealth, DBProxyEndpoint (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/
  API_DBProxy.html and siblings; botocore's rds service model carries the same shapes).
- CloudFormation: AWS::RDS::DBProxy, AWS::RDS::DBProxyTargetGroup, AWS::RDS::DBProxyEndpoint
  (the "Return values" sections: what Ref and Fn::GetAtt give).
- RDS User Guide, "Troubleshooting for RDS Proxy",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# --- The operations status may call (clients.py refuses every other one) -----------------------
# Each must exist in botocore's service model and start with Describe/Get/List: clients.py checks
# both against botocore's loader, so a typo or a write operation fails at once.
ALLOWED_OPERATIONS: dict[str, tuple[str, ...]] = {
    "cloudformation": ("DescribeStacks", "DescribeStackResources", "GetTemplate"),
    "rds": ("DescribeDBProxies", "DescribeDBProxyTargetGroups", "DescribeDBProxyTargets",
            "DescribeDBProxyEndpoints", "DescribeDBInstances", "DescribeDBClusters", "DescribeDBParameters"),
    "ec2": ("DescribeSubnets",),  # the proxy's subnets' free IPs, for PENDING_PROXY_CAPACITY
}
READ_ONLY_PREFIXES = ("Describe", "Get", "List")


# --- Template properties -> API response fields ---------------------------------------------------
class Compare(str, enum.Enum):
    SCALAR = "scalar"  # one value (text, number, boolean)
    SET = "set"  # a list whose order AWS does not keep (subnet and security group ids)
    MAPS = "maps"  # a list of maps, each compared on the keys the template sets (Auth)
    MAP = "map"  # one map, compared key by key on the keys the template sets (pool settings)


@dataclass(frozen=True)
class Field:
    """One template property and the response field that holds its live value."""

    prop: str  # the CloudFormation property
    api: str  # the field of the describe response
    compare: Compare
    set_keys: tuple[str, ...] = ()  # inside a MAP: the keys whose value is a set


# DescribeDBProxies -> DBProxies[]; DescribeDBProxyTargetGroups -> TargetGroups[];
# DescribeDBProxyEndpoints -> DBProxyEndpoints[] (RDS API reference, DBProxy / DBProxyTargetGroup /
# DBProxyEndpoint). The target group's DBInstanceIdentifiers and DBClusterIdentifiers are compared
# with DescribeDBProxyTargets instead: TARGET_TYPES.
PROPERTY_MAP: dict[str, tuple[Field, ...]] = {
    "AWS::RDS::DBProxy": (
        Field("DBProxyName", "DBProxyName", Compare.SCALAR),
        Field("EngineFamily", "EngineFamily", Compare.SCALAR),
        Field("RequireTLS", "RequireTLS", Compare.SCALAR),
        Field("IdleClientTimeout", "IdleClientTimeout", Compare.SCALAR),
        Field("DebugLogging", "DebugLogging", Compare.SCALAR),
        Field("RoleArn", "RoleArn", Compare.SCALAR),
        Field("VpcSubnetIds", "VpcSubnetIds", Compare.SET),
        Field("VpcSecurityGroupIds", "VpcSecurityGroupIds", Compare.SET),
        Field("Auth", "Auth", Compare.MAPS),  # UserAuthConfig -> UserAuthConfigInfo, same key names
        # Newer API versions return DefaultAuthScheme; where the response lacks it: "not compared".
        Field("DefaultAuthScheme", "DefaultAuthScheme", Compare.SCALAR),
    ),
    "AWS::RDS::DBProxyTargetGroup": (
        Field("TargetGroupName", "TargetGroupName", Compare.SCALAR),
        # ConnectionPoolConfigurationInfo (template) -> ConnectionPoolConfig (response), same keys:
        # MaxConnectionsPercent, MaxIdleConnectionsPercent, ConnectionBorrowTimeout,
        # SessionPinningFilters, InitQuery.
        Field("ConnectionPoolConfigurationInfo", "ConnectionPoolConfig", Compare.MAP,
              set_keys=("SessionPinningFilters",)),
    ),
    "AWS::RDS::DBProxyEndpoint": (
        Field("DBProxyEndpointName", "DBProxyEndpointName", Compare.SCALAR),
        Field("TargetRole", "TargetRole", Compare.SCALAR),
        Field("VpcSubnetIds", "VpcSubnetIds", Compare.SET),
        Field("VpcSecurityGroupIds", "VpcSecurityGroupIds", Compare.SET),
    ),
}

# Target group property -> DescribeDBProxyTargets' Targets[].Type whose RdsResourceId it lists.
# An Aurora cluster shows as one TRACKED_CLUSTER target (RdsResourceId: the cluster) beside an
# RDS_INSTANCE target per instance (TrackedClusterId: the cluster), which are not compared.
TARGET_TYPES: dict[str, str] = {
    "DBInstanceIdentifiers": "RDS_INSTANCE",
    "DBClusterIdentifiers": "TRACKED_CLUSTER",
}

# Properties of mapped resources that are not compared, and why (reported as "not compared").
NOT_COMPARED: dict[str, str] = {
    "Tags": "the describe calls do not return tags (ListTagsForResource is not on the allow-list)",
    "DBProxyName": "the proxy is looked up by it",
}


# --- Intrinsic functions ---------------------------------------------------------------------------
# Fn::GetAtt values status can rebuild from a resource's physical id (DescribeStackResources).
# "{id}" is the physical id; "{partition}", "{account}", "{region}" come from the stack's ARN;
# "{path}" from the resource's literal Path property (IAM's default "/"). Sources: the "Return
# values" of AWS::EC2::SecurityGroup (Ref and GroupId: the group id), AWS::IAM::Role (Ref: the
# name; Arn), AWS::SecretsManager::Secret (Ref: the ARN), AWS::RDS::DBProxy (Ref: the name).
GETATT_FORMATS: dict[tuple[str, str], str] = {
    ("AWS::EC2::SecurityGroup", "GroupId"): "{id}",
    ("AWS::IAM::Role", "Arn"): "arn:{partition}:iam::{account}:role{path}{id}",
    ("AWS::RDS::DBProxy", "DBProxyName"): "{id}",
    ("AWS::RDS::DBProxyEndpoint", "DBProxyEndpointName"): "{id}",
}

PSEUDO_PARAMETERS = ("AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName",
                     "AWS::URLSuffix")
URL_SUFFIXES = {"aws-cn": "amazonaws.com.cn"}  # every other partition: amazonaws.com


# --- Health ----------------------------------------------------------------------------------------
# TargetHealth (RDS API reference): State REGISTERING | AVAILABLE | UNAVAILABLE | UNUSED; Reason
# UNREACHABLE | CONNECTION_FAILED | AUTH_FAILURE | PENDING_PROXY_CAPACITY |
# INVALID_REPLICATION_STATE | PROMOTED; Description absent when AVAILABLE.
HEALTHY_STATE = "AVAILABLE"
# UNUSED: the API reference lists it without saying when; the proxy does not route to the target
# then. Reported, not counted as unhealthy (a reader nobody routes to is not an outage).
NEUTRAL_STATES = ("UNUSED",)


class AuthMode(str, enum.Enum):
    """How the env's database users come to exist: the advice for AUTH_FAILURE differs."""

    SCRIPT = "script"  # create-db-users.sh (DEPLOY.md)
    PROVISIONER = "provisioner"  # the stack's provisioner function
    IAM = "iam"  # end-to-end IAM: no secrets, the proxy signs in with IAM


# One line per reason: what it means and what to do ("Troubleshooting for RDS Proxy": UNAVAILABLE
# with PENDING_PROXY_CAPACITY, retry after the proxy scales; with UNREACHABLE, CONNECTION_FAILED
# or AUTH_FAILURE the Description says more). {script}, {port} are filled in by health.py.
AUTH_FAILURE_ADVICE: dict[AuthMode, str] = {
    AuthMode.SCRIPT: ("the users in the secrets do not exist on the database or their passwords differ: "
                      "run {script} (DEPLOY.md)"),
    AuthMode.PROVISIONER: ("the users in the secrets do not exist on the database or their passwords differ: "
                           "let the provisioner run again by updating the stack (deploy.sh)"),
    AuthMode.IAM: ("end-to-end IAM: turn IAM database authentication on for the database, and give each user "
                   "IAM login (rds_iam on PostgreSQL, AWSAuthenticationPlugin on MySQL)"),
}
REASON_ADVICE: dict[str, str] = {
    "CONNECTION_FAILED": ("the database refused the proxy's connection: let the proxy's security group in on "
                          "port {port} in the database's security group, and check the database is available "
                          "and below max_connections"),
    "UNREACHABLE": ("the proxy cannot reach the database: let the proxy's security group in on port {port} in "
                    "the database's security group, and check the subnets' routes and network ACLs"),
    "PENDING_PROXY_CAPACITY": ("the proxy is scaling: wait a few minutes and run status again; if it stays, check "
                               "the proxy's subnets have free IP addresses"),
    "INVALID_REPLICATION_STATE": ("the reader is not replicating: check the instance's status and replica lag; "
                                  "the proxy uses it again once it is in sync"),
    "PROMOTED": ("the instance was promoted out of its cluster or replication: point target: at the database "
                 "you mean and update the stack"),
}
STATE_ADVICE: dict[str, str] = {
    "REGISTERING": "the proxy is registering the target (minutes after a create or a failover): wait and run "
                   "status again",
    "UNUSED": "the proxy does not route to this target now; nothing to do unless you expect traffic on it",
}
UNKNOWN_ADVICE = ("read the Description, then \"Troubleshooting for RDS Proxy\" in the RDS User Guide "
                  "(rds-proxy.troubleshooting.html)")

# DBProxy.Status (RDS API reference): available | modifying | incompatible-network |
# insufficient-resource-limits | creating | deleting | suspended | suspending | reactivating.
PROXY_STATUS_ADVICE: dict[str, str] = {
    "incompatible-network": "the proxy's subnets or security groups no longer fit (a subnet deleted, or no free "
                            "IP addresses): check network.subnet_ids",
    "insufficient-resource-limits": "an account quota stops the proxy (RDS Proxy or ENI quotas): ask for a "
                                    "higher quota",
    "suspended": "RDS suspended the proxy (its network or role broke for long): fix the cause, then it resumes",
}
PROXY_TRANSIENT_STATUSES = ("modifying", "creating", "reactivating", "suspending")

# Stack statuses that mean the stack is at rest with a template applied (CloudFormation
# DescribeStacks StackStatus). UPDATE_ROLLBACK_COMPLETE: the last update failed and was undone;
# the deployed template is the older one (the committed template then differs: drift).
STACK_SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                 "IMPORT_ROLLBACK_COMPLETE")
