"""The AWS APIs the provisioner calls: where the database is, the secrets, and (for the proxy's
log group, log_groups.py) CloudWatch Logs.

Clients come from boto3, which Lambda's Python runtime provides (it is not bundled). Their
timeouts are set from the time the invocation has left, so a hung call cannot outlive it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from failures import ProvisionError


@dataclass(frozen=True)
class AwsClients:
    secretsmanager: Any
    rds: Any
    logs: Any = None


def default_clients(timeout: float) -> AwsClients:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=min(timeout, 10), read_timeout=max(1.0, min(timeout, 30)),
                    retries={"max_attempts": 3, "mode": "standard"})
    return AwsClients(boto3.client("secretsmanager", config=config), boto3.client("rds", config=config),
                      boto3.client("logs", config=config))


def _api_error(exc: Exception) -> str:
    """The API's error code only (botocore ClientError), never its message."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code") or type(exc).__name__
    return type(exc).__name__


def endpoint(rds: Any, instance: str | None, cluster: str | None) -> tuple[str, int]:
    """The instance's endpoint, or the cluster's writer endpoint: where users and grants are made."""
    name = instance or cluster
    try:
        if instance:
            # RDS API Reference, DescribeDBInstances: DBInstances[].Endpoint {Address, Port}.
            found = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]["Endpoint"]
            return found["Address"], int(found["Port"])
        # RDS API Reference, DescribeDBClusters: DBClusters[].Endpoint (the writer) and Port.
        found = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
        return found["Endpoint"], int(found["Port"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise ProvisionError(f"RDS returned no endpoint for {name} (is it still being created?)") from None
    except Exception as exc:  # noqa: BLE001 - botocore's errors, network errors
        raise ProvisionError(f"looking up the endpoint of {name} failed: {_api_error(exc)} (the function's "
                             "role needs rds:DescribeDBInstances or rds:DescribeDBClusters)") from None


def secret(secretsmanager: Any, arn: str, whose: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The secret's JSON keys asked for; ``whose`` names it in errors (the ARN is no secret, but
    the user is what a reader acts on)."""
    try:
        # Secrets Manager API Reference, GetSecretValue: SecretString holds the text, here the JSON
        # every RDS and Secrets Manager generated secret has ({"username": ..., "password": ...}).
        text = secretsmanager.get_secret_value(SecretId=arn).get("SecretString")
    except Exception as exc:  # noqa: BLE001
        raise ProvisionError(f"reading the secret of {whose} failed: {_api_error(exc)} (the function's role "
                             "needs secretsmanager:GetSecretValue and kms:Decrypt on its key)") from None
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        value = None  # never echo the text: it is the secret
    if not isinstance(value, dict) or not all(isinstance(value.get(key), str) for key in keys):
        raise ProvisionError(f"the secret of {whose} is no JSON object with {' and '.join(keys)}")
    return {key: value[key] for key in keys}
