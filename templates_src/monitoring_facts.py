"""AWS facts for watching a proxy: its CloudWatch metrics, their dimensions and statistics.

Source: "Monitoring RDS Proxy metrics with Amazon CloudWatch",
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html : every metric
is in namespace AWS/RDS; dimension sets ProxyName; ProxyName+EndpointName;
ProxyName+TargetGroup+Target; ProxyName+TargetGroup+TargetRole. AvailabilityPercentage is
published per target group and role (its useful statistic is Average); the connection counts'
useful statistic is Sum (the proxy runs on several nodes, each publishing its own value); the
latencies are in microseconds, statistic Average.
"""

from __future__ import annotations

NAMESPACE = "AWS/RDS"
PROXY_DIMENSION = "ProxyName"
TARGET_GROUP_DIMENSION = "TargetGroup"
TARGET_ROLE_DIMENSION = "TargetRole"
READ_WRITE_ROLE = "READ_WRITE"

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

# Alarm names start with the proxy's name: the KMS key policy lets CloudWatch use the key only for
# alarms of this account and region whose names match (aws:SourceArn, below).
ALARM_NAME_FORMAT = "{proxy_name}-{what}"
ALARM_ARN_SUB = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:%s-*"
# CloudWatch publishes to an encrypted topic only if the key policy lets its service principal
# decrypt and generate data keys ("Enable compatibility between event sources from AWS services
# and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
CLOUDWATCH_SERVICE_PRINCIPAL = "cloudwatch.amazonaws.com"
SNS_TOPIC_ARN_PATTERN = r"^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
DASHBOARD_NAME_FORMAT = "rds-proxy-{proxy_name}"  # dashboard names: A-Z a-z 0-9 - _, at most 255
PERIOD_SECONDS = 60
