"""AWS facts the database-users provisioner relies on: Lambda, the APIs it calls, how it reaches them.

Data only; builders/provisioner.py and config/rules/provisioner.py read it.
"""

from __future__ import annotations

import enum

# Lambda's Python 3.13 runtime (Amazon Linux 2023); boto3 is part of it, so the artifact carries
# only the database drivers (Lambda Developer Guide, "Building Lambda functions with Python").
LAMBDA_RUNTIME = "python3.13"
HANDLER = "handler.handler"
# The handler answers within this; CloudFormation waits at most ServiceTimeout for the response
# (AWS::CloudFormation::CustomResource, ServiceTimeout: 1-3600 seconds) instead of the default hour.
FUNCTION_TIMEOUT_SECONDS = 120
SERVICE_TIMEOUT_SECONDS = 300
FUNCTION_MEMORY_MB = 256
# One run at a time: two stack operations never race on one database (checkov CKV_AWS_115).
RESERVED_CONCURRENCY = 1
# Where the artifact lives in params' provisioner.artifact_bucket.
ARTIFACT_KEY_PREFIX = "rds-proxy-cfn/"
# Where AWS publishes the RDS CA bundle for every commercial region ("Using SSL/TLS to encrypt a
# connection to a DB instance or cluster", RDS User Guide); provisioner.ca_bundle_sha256 pins it.
CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
CUSTOM_RESOURCE_TYPE = "Custom::DatabaseUsers"
# The proxy's log group, made or adopted by the same function (runtime/log_groups.py).
ADOPTED_LOG_GROUP_TYPE = "Custom::AdoptedLogGroup"

S3_BUCKET_PATTERN = r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
PREFIX_LIST_ID_PATTERN = r"^pl-[0-9a-f]{8}(?:[0-9a-f]{9})?$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

# What the function may describe to find the database's address and port (RDS API
# DescribeDBInstances / DescribeDBClusters; both take the resource's ARN as resource-level scope:
# Service Authorization Reference, "Actions defined by Amazon RDS").
DB_INSTANCE_ARN_SUB = "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:%s"
DB_CLUSTER_ARN_SUB = "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:%s"


class AwsApiRoute(str, enum.Enum):
    """How the function, in the proxy's private subnets, reaches Secrets Manager, the RDS API,
    CloudWatch Logs (the proxy's log group) and S3 (the custom resource's response URL is a pre-signed S3 URL: CloudFormation User Guide,
    "Custom resources")."""
    VPC_ENDPOINTS = "vpc_endpoints"  # interface endpoints (Secrets Manager, RDS, CloudWatch Logs) + the S3 gateway endpoint
    NAT = "nat"  # a NAT gateway to the public endpoints: HTTPS to any address

# Named so the stack's key policy can let CloudWatch Logs encrypt it (kms:EncryptionContext:
# aws:logs:arn names the log group); the stack's id ends the name (builders/common.py).
LOG_GROUP_PREFIX = "/rds-proxy-cfn/{proxy_name}/database-users/"
