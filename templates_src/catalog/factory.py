"""portfolio-factory.yaml: the same portfolio and product for aws-service-catalog-factory
(``Schema: factory-2019-04-01``): one portfolio whose component is the product, one version per
project release, launched with the launch role of portfolio.yaml (by name).

The factory builds each version from a source holding ``product.template.yaml``; here an S3 zip
of ``service-catalog/rds-proxy-product.yaml`` renamed so (docs/service-catalog.md shows how). The owner,
support and source fields are the organisation's: change ``SETTINGS`` (the file is regenerated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .portfolio import PRODUCT_NAME

SCHEMA = "factory-2019-04-01"


@dataclass(frozen=True)
class FactorySettings:
    provider: str = "platform-team"
    owner: str = "platform-team@example.com"
    support_email: str = "platform-team@example.com"
    support_url: str = "https://example.com/platform-team/rds-proxy"
    source_bucket: str = "service-catalog-factory-sources"
    launch_role_name: str = "RdsProxyProductLaunchRole"  # portfolio.yaml's LaunchRoleName default


SETTINGS = FactorySettings()


def source_key(version: str) -> str:
    return f"rds-proxy/{version}/product.zip"


def factory_portfolio(version: str, settings: FactorySettings = SETTINGS) -> dict[str, Any]:
    return {
        "Schema": SCHEMA,
        "Portfolios": [{
            "DisplayName": PRODUCT_NAME,
            "Description": "RDS Proxy in front of an RDS instance or Aurora cluster, secure by default",
            "ProviderName": settings.provider,
            "Components": [{
                "Name": PRODUCT_NAME,
                "Owner": settings.owner,
                "Description": "An RDS Proxy with its secrets, KMS key, security group, IAM role and client policy",
                "Distributor": settings.provider,
                "SupportDescription": "Ask the platform team; each environment's provisioning-parameters.json "
                                      "launches it like its dedicated template",
                "SupportEmail": settings.support_email,
                "SupportUrl": settings.support_url,
                "Constraints": {"Launch": {"LocalRoleName": settings.launch_role_name}},
                "Versions": [{
                    "Name": version,
                    "Description": f"rds-proxy-cfn {version}",
                    "Active": True,
                    "Source": {"Provider": "S3", "Configuration": {
                        "BucketName": settings.source_bucket, "S3ObjectKey": source_key(version)}},
                }],
            }],
        }],
    }
