"""Rules of the ``provisioner:`` section (schema/provisioner.py) that relate it to the rest of the params."""

from __future__ import annotations

from collections.abc import Callable

from ...facts.aws import EngineFamily
from ...facts.provisioner import AwsApiRoute
from ..errors import KeyPath
from ..schema.model import EnvConfig

Report = Callable[[KeyPath, str], None]

# python-tds, the pure-Python SQL Server driver, does TLS through pyOpenSSL (native code, the
# cryptography package), and no SQL Server runs where the provisioner is tested: docs/provisioner.md.
SQLSERVER_STAYS_ON_SCRIPT = ("SQL Server stays on the script mode (create-db-users.sh): its driver's TLS needs native "
                             "code the provisioner does not ship, and it is not tested against a real server; remove "
                             "provisioner:")


def _engine_supported(cfg: EnvConfig, report: Report) -> None:
    if cfg.provisioner is not None and cfg.engine_family is EngineFamily.SQLSERVER:
        report(("provisioner",), SQLSERVER_STAYS_ON_SCRIPT)


def _route_complete(cfg: EnvConfig, report: Report) -> None:
    provisioner = cfg.provisioner
    if provisioner is None:
        return
    if provisioner.aws_apis_via is AwsApiRoute.VPC_ENDPOINTS:
        if not (provisioner.endpoint_security_group_id or cfg.network.secrets_manager_endpoint_security_group_id):
            report(("provisioner", "aws_apis_via"),
                   "vpc_endpoints needs provisioner.endpoint_security_group_id (the group of the Secrets Manager "
                   "and RDS interface endpoints) or network.secrets_manager_endpoint_security_group_id")
        if not provisioner.s3_prefix_list_id:
            report(("provisioner", "aws_apis_via"),
                   "vpc_endpoints needs provisioner.s3_prefix_list_id (the S3 gateway endpoint's prefix list): "
                   "CloudFormation takes the function's answer at a pre-signed S3 URL")
        return
    for name in ("endpoint_security_group_id", "s3_prefix_list_id"):
        if getattr(provisioner, name):
            report(("provisioner", name), "is for aws_apis_via vpc_endpoints; with nat the function reaches "
                                          "every API through the NAT gateway: remove it")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _engine_supported,
    _route_complete,
)
