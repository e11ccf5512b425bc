"""The ``stack_set:`` section of a params file: the same environment in many accounts and regions
through one CloudFormation stack set, whose member template is the Service Catalog product.

Each item of ``instances`` is one ``StackInstancesGroup`` entry: its targets (accounts, or OUs
with service-managed permissions) times its regions, all with the same ``overrides``. Overrides
name only what is by nature another value in another account or region (ids of the VPC, subnets,
security groups, database and key); everything else is the environment's, so every instance is
the environment itself, moved (``stack_set_instances.instance_configs``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from ...facts import stack_sets as stack_set_facts
from ...facts import provisioner as pfacts
from ...facts.stack_sets import AccountFilterType, CallAs, PermissionModel, RegionConcurrency
from .keys import key


@dataclass(frozen=True)
class InstanceOverrides:
    vpc_id: str | None = key("network.vpc_id in these accounts and regions.", default=None,
                             pattern=facts.VPC_ID_PATTERN)
    subnet_ids: tuple[str, ...] | None = key(
        "network.subnet_ids in these accounts and regions.", default=None, pattern=facts.SUBNET_ID_PATTERN,
        min_items=facts.MIN_SUBNETS, unique=True,
    )
    client_security_group_ids: tuple[str, ...] | None = key(
        "network.client_security_group_ids in these accounts and regions.", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN, unique=True,
    )
    allowed_cidrs: tuple[str, ...] | None = key(
        "network.allowed_cidrs in these accounts and regions.", default=None, unique=True,
    )
    database_security_group_id: str | None = key(
        "network.database_security_group_id in these accounts and regions.", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    db_instance_identifier: str | None = key(
        "target.db_instance_identifier in these accounts and regions.", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    db_cluster_identifier: str | None = key(
        "target.db_cluster_identifier in these accounts and regions.", default=None,
        pattern=facts.DB_IDENTIFIER_PATTERN,
    )
    kms_key_arn: str | None = key(
        "secrets.kms_key_arn in these accounts and regions (a key is regional).", default=None,
        pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    admin_secret_arn: str | None = key(
        "provisioner.admin_secret_arn in this account and region (each database has its own admin).",
        default=None, pattern=facts.SECRET_ARN_PATTERN,
    )
    admin_secret_kms_key_arn: str | None = key(
        "provisioner.admin_secret_kms_key_arn in this account and region.", default=None,
        pattern=facts.KMS_KEY_ARN_PATTERN,
    )
    artifact_bucket: str | None = key(
        "provisioner.artifact_bucket in these regions: Lambda reads a function's code from a bucket in the "
        "function's region (any account may own it).", default=None, pattern=pfacts.S3_BUCKET_PATTERN,
    )
    endpoint_security_group_id: str | None = key(
        "provisioner.endpoint_security_group_id in these accounts and regions (the VPC's endpoints).", default=None,
        pattern=facts.SECURITY_GROUP_ID_PATTERN,
    )
    s3_prefix_list_id: str | None = key(
        "provisioner.s3_prefix_list_id in these regions (each region's S3 has its own).", default=None,
        pattern=pfacts.PREFIX_LIST_ID_PATTERN,
    )


# Override field -> the key of the environment it replaces.
OVERRIDDEN_KEYS: dict[str, tuple[str, str]] = {
    "vpc_id": ("network", "vpc_id"),
    "subnet_ids": ("network", "subnet_ids"),
    "client_security_group_ids": ("network", "client_security_group_ids"),
    "allowed_cidrs": ("network", "allowed_cidrs"),
    "database_security_group_id": ("network", "database_security_group_id"),
    "db_instance_identifier": ("target", "db_instance_identifier"),
    "db_cluster_identifier": ("target", "db_cluster_identifier"),
    "kms_key_arn": ("secrets", "kms_key_arn"),
    **{name: ("provisioner", name) for name in ("admin_secret_arn", "admin_secret_kms_key_arn", "artifact_bucket",
                                                "endpoint_security_group_id", "s3_prefix_list_id")},
}


@dataclass(frozen=True)
class StackInstancesParams:
    regions: tuple[str, ...] = key("Regions of these stack instances.", pattern=facts.REGION_PATTERN,
                                   min_items=1, unique=True)
    accounts: tuple[str, ...] = key(
        "12-digit account ids (quoted): the targets of SELF_MANAGED, or with account_filter beside OUs.",
        default=(), pattern=stack_set_facts.ACCOUNT_ID_PATTERN, unique=True,
    )
    organizational_units: tuple[str, ...] = key(
        "OU ids (ou-...) or the organization's root (r-...): the targets of SERVICE_MANAGED.",
        default=(), pattern=stack_set_facts.ORGANIZATIONAL_UNIT_PATTERN, unique=True,
    )
    account_filter: AccountFilterType | None = key(
        "SERVICE_MANAGED with accounts: INTERSECTION (only these accounts of the OUs), DIFFERENCE (all "
        "but these) or UNION (the OUs' and these).", default=None,
    )
    overrides: InstanceOverrides = key(
        "Values that differ in these accounts and regions (ids only); the rest is the environment's.",
        default=InstanceOverrides(),
    )


@dataclass(frozen=True)
class StackSetParams:
    instances: tuple[StackInstancesParams, ...] = key(
        "Groups of stack instances: targets x regions with the same overrides.", min_items=1,
    )
    name: str | None = key("The stack set's name (unique in its region).", default=None,
                           pattern=facts.STACK_NAME_PATTERN, derived="stack_name")
    permission_model: PermissionModel = key(
        "SELF_MANAGED (roles made by hand, accounts as targets) or SERVICE_MANAGED (AWS Organizations, OUs).",
        default=PermissionModel.SELF_MANAGED,
    )
    call_as: CallAs = key(
        "SERVICE_MANAGED from a delegated administrator account: DELEGATED_ADMIN.", default=CallAs.SELF,
    )
    auto_deployment: bool = key(
        "SERVICE_MANAGED: deploy to accounts that join the OUs later (each new instance then waits for "
        "its database users like the first ones).", default=False,
    )
    retain_stacks_on_account_removal: bool = key(
        "With auto_deployment: keep an instance's stack when its account leaves the OU.", default=True,
    )
    max_concurrent: int = key(
        "Accounts deployed at once per region (at most failure_tolerance + 1).", default=1,
        minimum=stack_set_facts.STACK_SET_MAX_CONCURRENT_RANGE[0], maximum=stack_set_facts.STACK_SET_MAX_CONCURRENT_RANGE[1],
    )
    failure_tolerance: int = key(
        "Failed accounts per region before the operation stops there (and skips later regions).", default=0,
        minimum=stack_set_facts.STACK_SET_FAILURE_TOLERANCE_RANGE[0], maximum=stack_set_facts.STACK_SET_FAILURE_TOLERANCE_RANGE[1],
    )
    region_concurrency: RegionConcurrency = key(
        "SEQUENTIAL (one region after the other, in the order listed) or PARALLEL.",
        default=RegionConcurrency.SEQUENTIAL,
    )
