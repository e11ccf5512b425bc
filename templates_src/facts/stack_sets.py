"""CloudFormation StackSets, as data (AWS::CloudFormation::StackSet provider schema in cfn-lint's
data; CloudFormation User Guide, "Managing stacks across accounts and Regions with StackSets")."""

from __future__ import annotations

import enum


class PermissionModel(str, enum.Enum):
    SELF_MANAGED = "SELF_MANAGED"  # IAM roles made by hand: Accounts as targets
    SERVICE_MANAGED = "SERVICE_MANAGED"  # through AWS Organizations: OUs (or the root) as targets


class CallAs(str, enum.Enum):
    SELF = "SELF"  # the administrator (or the organization's management) account
    DELEGATED_ADMIN = "DELEGATED_ADMIN"  # a delegated administrator of service-managed stack sets


class RegionConcurrency(str, enum.Enum):
    SEQUENTIAL = "SEQUENTIAL"
    PARALLEL = "PARALLEL"


class AccountFilterType(str, enum.Enum):
    """Service-managed targets that name accounts beside OUs (DeploymentTargets.AccountFilterType)."""

    INTERSECTION = "INTERSECTION"  # only these accounts of the OUs
    DIFFERENCE = "DIFFERENCE"  # the OUs' accounts but these
    UNION = "UNION"  # the OUs' accounts and these


ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
# The provider schema's OrganizationalUnitId: an OU id (ou-<root part>-<ou part>) or a root (r-...).
ORGANIZATIONAL_UNIT_PATTERN = r"^(?:ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"
# The StackSet resource's create and update handlers wait at most 2160 minutes (provider schema,
# handlers.create.timeoutInMinutes) for every stack instance of the operation.
STACK_SET_HANDLER_TIMEOUT_MINUTES = 2160
# In the default STRICT_FAILURE_TOLERANCE mode "MaxConcurrentCount is at most one more than the
# FailureToleranceCount" (CloudFormation API Reference, StackSetOperationPreferences).
MAX_CONCURRENT_ABOVE_TOLERANCE = 1
STACK_SET_MAX_CONCURRENT_RANGE = (1, 100)
STACK_SET_FAILURE_TOLERANCE_RANGE = (0, 99)
# Member template: TemplateBody takes at most 51,200 bytes, TemplateURL (S3) 460,800 (provider
# schema): the product template (~50 KB, the stack set template around it more) goes by URL.
STACK_SET_TEMPLATE_BODY_MAX = 51_200
# The default roles of self-managed stack sets (User Guide, "Grant self-managed permissions").
STACK_SET_ADMINISTRATION_ROLE = "AWSCloudFormationStackSetAdministrationRole"
STACK_SET_EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
# A stack set's tags (propagated to its stacks) allow fewer characters than a resource's: no @, and
# a value of at least one character (provider schema, definitions.Tag).
STACK_SET_TAG_KEY_PATTERN = r"^(?!aws:)[a-zA-Z0-9\s:_./=+-]+$"


