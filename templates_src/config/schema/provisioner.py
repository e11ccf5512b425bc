"""The params of the database-users provisioner (``provisioner:``)."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts import provisioner as pfacts
from ...facts.provisioner import AwsApiRoute
from .keys import key


@dataclass(frozen=True)
class ProvisionerParams:
    admin_secret_arn: str = key(
        "The secret of the database's admin (master) user, JSON with username and password: RDS's managed "
        "master user secret (MasterUserSecret.SecretArn) or any such secret. Only the provisioner reads it.",
        pattern=facts.SECRET_ARN_PATTERN,
    )
    artifact_bucket: str = key(
        "The S3 bucket, in the stack's region, that holds the provisioner's code "
        "(rds-proxy-cfn/provisioner-<digest>.zip; DEPLOY.md says how it gets there).",
        pattern=pfacts.S3_BUCKET_PATTERN,
    )
    ca_bundle_sha256: str = key(
        "SHA-256 (lowercase hex) of the RDS certificate bundle the provisioner verifies the database's "
        "TLS certificate against (the global-bundle.pem you downloaded from AWS: sha256sum it).",
        pattern=pfacts.SHA256_PATTERN,
    )
    aws_apis_via: AwsApiRoute = key(
        "How the function in the proxy's subnets reaches Secrets Manager, the RDS API, CloudWatch Logs and S3: "
        "vpc_endpoints (interface endpoints for secretsmanager, rds and logs in endpoint_security_group_id, the S3 gateway "
        "endpoint's s3_prefix_list_id) or nat (HTTPS to any address; needs waivers.world_egress).",
    )
    admin_secret_kms_key_arn: str | None = key(
        "The customer managed key that encrypts the admin secret; absent: aws/secretsmanager. The "
        "provisioner may decrypt only this key, and only through Secrets Manager.", default=None,
        pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    endpoint_security_group_id: str | None = key(
        "vpc_endpoints: the security group of the Secrets Manager, RDS and CloudWatch Logs interface endpoints (the stack "
        "adds an HTTPS rule from the function to it).", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN,
        derived="network.secrets_manager_endpoint_security_group_id",
    )
    s3_prefix_list_id: str | None = key(
        "vpc_endpoints: the prefix list of the VPC's S3 gateway endpoint (com.amazonaws.<region>.s3), "
        "for the custom resource's response.", default=None, pattern=pfacts.PREFIX_LIST_ID_PATTERN,
    )
