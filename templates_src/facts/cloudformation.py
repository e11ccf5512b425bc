"""How CloudFormation treats the resources of a deployed stack: what a change does to them (read by
``impact``; which properties force a replacement comes from the provider schemas, never from
here), and where AWS keeps each resource's name unique.
"""

from __future__ import annotations

import enum

# DeletionPolicy / UpdateReplacePolicy values that keep the physical resource, outside the stack
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html,
# .../aws-attribute-updatereplacepolicy.html). RetainExceptOnCreate deletes the resource only
# when the operation that created it rolls back.
RETAIN_POLICIES = ("Retain", "RetainExceptOnCreate")
RETAIN_EXCEPT_ON_CREATE = "RetainExceptOnCreate"
# A secret's GenerateSecretString: when it changes (or the secret is replaced) Secrets Manager
# generates a new value (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
# aws-resource-secretsmanager-secret.html, GenerateSecretString).
SECRET_TYPE = "AWS::SecretsManager::Secret"
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
GENERATED_SECRET_PROPERTY = "GenerateSecretString"
# Replacing these gives clients a new endpoint host, ARN and (proxy) prx- resource id.
ENDPOINT_TYPES = ("AWS::RDS::DBProxy", "AWS::RDS::DBProxyEndpoint")
# How long a stack without the provisioner waits for its database users (builders/users_ready.py):
# long enough to run create-db-users.sh by hand if deploy.sh is not used; a wait condition waits
# at most 12 hours (AWS::CloudFormation::WaitCondition, Timeout).
USERS_READY_TIMEOUT_SECONDS = 3600


class NameScope(str, enum.Enum):
    """Where AWS keeps a name unique: two resources of one type and name clash there."""

    REGION = "region"  # per account and region (the name is part of a regional ARN)
    ACCOUNT = "account"  # per account, across regions: a global service or a global resource
    PARENT = "parent"  # per parent resource (a proxy's target group, a role's inline policy)
    LABEL = "label"  # shown to people; AWS generates the id and keeps no name unique


# The property that names each resource type the templates create, and where AWS keeps that name
# unique (None: the templates never set it; CloudFormation generates a name from the stack's, which
# is unique). A name of an ACCOUNT type must carry the region (``${AWS::Region}``) or be named on
# purpose (tests/test_name_scopes.py holds every template to this table). Sources, per type:
# Dashboard, "All dashboards in your account are global, not region-specific" (CloudFormation
# Template Reference, AWS::CloudWatch::Dashboard); IAM roles and policies, IAM is global and "Naming
# an IAM resource can cause an unrecoverable error if you reuse the same template in multiple
# Regions" (AWS::IAM::Role, RoleName); proxies and endpoints, "unique for all proxies owned by your
# AWS account in the specified AWS Region" (RDS API CreateDBProxy, CreateDBProxyEndpoint); alarms,
# topics, aliases, log groups, secrets, functions and stack sets have regional ARNs (their
# Template Reference pages' return values).
RESOURCE_NAMES: dict[str, tuple[str | None, NameScope]] = {
    "AWS::CloudWatch::Dashboard": ("DashboardName", NameScope.ACCOUNT),
    "AWS::IAM::Role": ("RoleName", NameScope.ACCOUNT),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", NameScope.ACCOUNT),
    "AWS::CloudWatch::Alarm": ("AlarmName", NameScope.REGION),
    "AWS::SNS::Topic": ("TopicName", NameScope.REGION),
    "AWS::KMS::Alias": ("AliasName", NameScope.REGION),
    "AWS::KMS::Key": (None, NameScope.REGION),
    "AWS::Logs::LogGroup": ("LogGroupName", NameScope.REGION),
    "AWS::RDS::DBProxy": ("DBProxyName", NameScope.REGION),
    "AWS::RDS::DBProxyEndpoint": ("DBProxyEndpointName", NameScope.REGION),
    "AWS::RDS::DBProxyTargetGroup": ("TargetGroupName", NameScope.PARENT),
    "AWS::SecretsManager::Secret": ("Name", NameScope.REGION),
    "AWS::SecretsManager::ResourcePolicy": (None, NameScope.PARENT),
    "AWS::SecretsManager::RotationSchedule": (None, NameScope.PARENT),
    "AWS::SecretsManager::SecretTargetAttachment": (None, NameScope.PARENT),
    "AWS::Lambda::Function": ("FunctionName", NameScope.REGION),
    "AWS::SSM::Parameter": ("Name", NameScope.REGION),
    "AWS::EC2::SecurityGroup": ("GroupName", NameScope.PARENT),  # unique per VPC
    "AWS::EC2::SecurityGroupIngress": (None, NameScope.PARENT),
    "AWS::CloudFormation::WaitCondition": (None, NameScope.PARENT),
    "AWS::CloudFormation::WaitConditionHandle": (None, NameScope.PARENT),
    "AWS::CloudFormation::StackSet": ("StackSetName", NameScope.REGION),
    "Custom::DatabaseUsers": (None, NameScope.PARENT),
    # The proxy's log group, made or adopted by the users provisioner (builders/logs.py).
    "Custom::AdoptedLogGroup": ("LogGroupName", NameScope.REGION),
    "AWS::ServiceCatalog::Portfolio": ("DisplayName", NameScope.LABEL),
    "AWS::ServiceCatalog::CloudFormationProduct": ("Name", NameScope.LABEL),
    "AWS::ServiceCatalog::LaunchRoleConstraint": (None, NameScope.PARENT),
    "AWS::ServiceCatalog::PortfolioPrincipalAssociation": (None, NameScope.PARENT),
    "AWS::ServiceCatalog::PortfolioProductAssociation": (None, NameScope.PARENT),
}
