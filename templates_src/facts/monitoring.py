"""AWS facts for watching a proxy: its CloudWatch metrics, their dimensions and statistics.

Source: "Monitoring RDS Proxy metrics with Amazon CloudWatch",
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html : every metric
is in namespace AWS/RDS and is published on some of four dimension sets (``DimensionSet``), listed
per metric in the page's table (``METRIC_DIMENSION_SETS``, below; tests/builders/test_alarm_dimensions.py
holds every alarm and dashboard line to it). AvailabilityPercentage is published per target group
and role only (its useful statistic is Average); the connection counts' useful statistic is Sum (the
proxy runs on several nodes, each publishing its own value); the latencies are in microseconds,
statistic Average.
"""

from __future__ import annotations

import enum

NAMESPACE = "AWS/RDS"
PROXY_DIMENSION = "ProxyName"
TARGET_GROUP_DIMENSION = "TargetGroup"
TARGET_ROLE_DIMENSION = "TargetRole"
ENDPOINT_DIMENSION = "EndpointName"
TARGET_DIMENSION = "Target"
READ_WRITE_ROLE = "READ_WRITE"  # TargetRole of the writer (every target has one)
READ_ONLY_ROLE = "READ_ONLY"  # TargetRole of an Aurora cluster's readers, when an endpoint targets them

AVAILABILITY = "AvailabilityPercentage"
DATABASE_CONNECTIONS = "DatabaseConnections"
MAX_DATABASE_CONNECTIONS = "MaxDatabaseConnectionsAllowed"
BORROW_LATENCY = "DatabaseConnectionsBorrowLatency"  # microseconds
FAILED_AUTH = "ClientConnectionsSetupFailedAuth"
SESSION_PINNED = "DatabaseConnectionsCurrentlySessionPinned"
DATABASE_SETUP_FAILED = "DatabaseConnectionsSetupFailed"
CLIENT_CONNECTIONS = "ClientConnections"
QUERY_RESPONSE_LATENCY = "QueryResponseLatency"  # microseconds
MICROSECONDS_PER_MILLISECOND = 1000


class DimensionSet(enum.Enum):
    """The page's four dimension sets: what one series of a metric is split by (``value``: the
    dimension names)."""

    PROXY = (PROXY_DIMENSION,)  # set 1: the whole proxy, every endpoint and target summed
    ENDPOINT = (PROXY_DIMENSION, ENDPOINT_DIMENSION)  # set 2: one endpoint's clients
    TARGET = (PROXY_DIMENSION, TARGET_GROUP_DIMENSION, TARGET_DIMENSION)  # set 3: one database instance
    TARGET_ROLE = (PROXY_DIMENSION, TARGET_GROUP_DIMENSION, TARGET_ROLE_DIMENSION)  # set 4: writer or readers


_P, _E, _T, _R = DimensionSet.PROXY, DimensionSet.ENDPOINT, DimensionSet.TARGET, DimensionSet.TARGET_ROLE
# The page's table ("CloudWatch dimension set" column), for the metrics this project reads. What a
# client sees (logins, borrow and query latency) is split by endpoint; what the proxy does with the
# database (its connections, pinning, failures, availability) by target or role.
METRIC_DIMENSION_SETS: dict[str, frozenset[DimensionSet]] = {
    AVAILABILITY: frozenset({_R}),
    CLIENT_CONNECTIONS: frozenset({_P, _E}),
    FAILED_AUTH: frozenset({_P, _E}),
    DATABASE_CONNECTIONS: frozenset({_P, _T, _R}),
    BORROW_LATENCY: frozenset({_P, _E}),
    SESSION_PINNED: frozenset({_P, _T, _R}),
    DATABASE_SETUP_FAILED: frozenset({_P, _T, _R}),
    MAX_DATABASE_CONNECTIONS: frozenset({_P, _T, _R}),
    QUERY_RESPONSE_LATENCY: frozenset({_P, _E}),
}


def dimension_set(names: frozenset[str] | set[str]) -> DimensionSet | None:
    """The dimension set of exactly these dimension names (None: no such set)."""
    return next((s for s in DimensionSet if set(s.value) == set(names)), None)

# Alarm names start with the proxy's name: the KMS key policy lets CloudWatch use the key only for
# alarms of this account and region whose names match (aws:SourceArn, below).
ALARM_NAME_FORMAT = "{proxy_name}-{what}"
ALARM_ARN_SUB = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:%s-*"
# CloudWatch publishes to an encrypted topic only if the key policy lets its service principal
# decrypt and generate data keys ("Enable compatibility between event sources from AWS services
# and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
CLOUDWATCH_SERVICE_PRINCIPAL = "cloudwatch.amazonaws.com"
SNS_TOPIC_ARN_PATTERN = r"^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
# Dashboards are global: "All dashboards in your account are global, not region-specific"
# (CloudFormation Template Reference, AWS::CloudWatch::Dashboard). The name carries the region, so
# one proxy name in two regions of an account (a stack set, two product launches, a moved env)
# gets two dashboards; the builder writes ${AWS::Region}. A-Z a-z 0-9 - _, at most 255 characters.
DASHBOARD_NAME_FORMAT = "rds-proxy-{proxy_name}-{region}"
PERIOD_SECONDS = 60
