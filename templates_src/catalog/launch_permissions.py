"""What the portfolio's launch role may do: a table per resource type (``LAUNCH_PERMISSIONS``),
and the launch policy made from it.

Each type's entry holds the actions CloudFormation's handler for that type calls (its resource
schema's ``handlers``) that the product's use of the type needs, each on the narrowest resource
AWS allows. Stacks launched by Service Catalog are named ``SC-<account>-pp-<id>``, and
CloudFormation names the roles and policies it creates after the stack, so IAM permissions are
limited to ``role/SC-*`` and ``policy/SC-*``; log groups to ``/aws/rds/proxy/*``; KMS aliases to
``alias/rds-proxy/*``. One role serves every region of the account (portfolio.py), so its
regional ARNs name any region of this account.
"""

from __future__ import annotations

from typing import Any

from awacs.aws import Action, Allow, ArnLike, Condition, PolicyDocument, Statement, StringEquals, StringLike
from troposphere import If, Ref, Sub, encode_to_dict

from ..builders.provisioner import LAMBDA_SERVICE_PRINCIPAL, VPC_ACCESS_POLICY_SUB
from ..facts import aws as facts
from ..facts import provisioner as pfacts

SECRETS_MANAGER_ANY_REGION = "secretsmanager.*.amazonaws.com"

_ACCOUNT = "arn:${AWS::Partition}:%s:*:${AWS::AccountId}:%s"  # any region: the role serves them all
_GLOBAL = "arn:${AWS::Partition}:%s::${AWS::AccountId}:%s"
KEYS = _ACCOUNT % ("kms", "key/*")
ALIASES = _ACCOUNT % ("kms", "alias/rds-proxy/*")
SECRETS = _ACCOUNT % ("secretsmanager", "secret:*")
SECURITY_GROUPS = _ACCOUNT % ("ec2", "security-group/*")
SECURITY_GROUP_RULES = _ACCOUNT % ("ec2", "security-group-rule/*")
VPCS = _ACCOUNT % ("ec2", "vpc/*")
STACK_ROLES = _GLOBAL % ("iam", "role/SC-*")
STACK_POLICIES = _GLOBAL % ("iam", "policy/SC-*")
ATTACHABLE = tuple(_GLOBAL % ("iam", f"{kind}/*") for kind in ("role", "user", "group"))
# Deleting an AWS::IAM::ManagedPolicy that is attached (the client policy: its users attach it
# to their Lambda roles) makes CloudFormation's handler detach it from every role, user and
# group first (the type's delete handler permissions, in its resource schema); those can be
# anywhere in the account, so the condition limits it to the product's own policies.
DETACH_ACTIONS = ("iam:DetachGroupPolicy", "iam:DetachRolePolicy", "iam:DetachUserPolicy")
LOG_GROUPS = _ACCOUNT % ("logs", "log-group:" + facts.LOG_GROUP_NAME_FORMAT.format(proxy_name="*"))
PROVISIONER_LOG_GROUPS = _ACCOUNT % ("logs", "log-group:" + pfacts.LOG_GROUP_PREFIX.format(proxy_name="*") + "*")
FUNCTIONS = _ACCOUNT % ("lambda", "function:SC-*")  # named after the stack, as the roles
# The database-users function's code: in the portfolio owner's bucket (_product.yaml's
# provisioner.artifact_bucket), else in any bucket a launch names, under this project's prefix.
ARTIFACTS = "arn:${AWS::Partition}:s3:::%s/" + pfacts.ARTIFACT_KEY_PREFIX + "provisioner-*.zip"
ANY_BUCKET = "*"
SUBNETS = _ACCOUNT % ("ec2", "subnet/*")
RDS = _ACCOUNT % ("rds", "*")  # proxies, endpoints, target groups and the databases they register
STACKS = _ACCOUNT % ("cloudformation", "stack/SC-*")
CHANGE_SETS = _ACCOUNT % ("cloudformation", "changeSet/*")
ALARMS = _ACCOUNT % ("cloudwatch", "alarm:*")
DASHBOARDS = _GLOBAL % ("cloudwatch", "dashboard/rds-proxy-*")  # dashboards have no region
TOPICS = _ACCOUNT % ("sns", "rds-proxy-*-alarms")
ANY = "*"

# resource type -> [(actions, resources)], from the type's CloudFormation handler permissions.
LAUNCH_PERMISSIONS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "AWS::KMS::Key": [
        (("kms:CreateKey",), (ANY,)),  # a key's ARN is not known before it exists
        (("kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
          "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription"), (KEYS,)),
    ],
    "AWS::KMS::Alias": [
        (("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"), (ALIASES, KEYS)),
        (("kms:ListAliases",), (ANY,)),
    ],
    "AWS::SecretsManager::Secret": [
        (("secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue", "secretsmanager:TagResource", "secretsmanager:UntagResource",
          "secretsmanager:UpdateSecret"), (SECRETS,)),
        (("secretsmanager:GetRandomPassword",), (ANY,)),
    ],
    "AWS::EC2::SecurityGroup": [
        (("ec2:CreateSecurityGroup",), (SECURITY_GROUPS, VPCS)),
        (("ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags",
          "ec2:DeleteSecurityGroup", "ec2:DeleteTags", "ec2:RevokeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
          "ec2:UpdateSecurityGroupRuleDescriptionsIngress"), (SECURITY_GROUPS, SECURITY_GROUP_RULES)),
        (("ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"), (ANY,)),
    ],
    "AWS::EC2::SecurityGroupIngress": [],  # covered by AWS::EC2::SecurityGroup
    "AWS::EC2::SecurityGroupEgress": [],
    "AWS::IAM::Role": [
        # AttachRolePolicy: the proxy role lists its managed policy (detaching: DETACH_ACTIONS).
        (("iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy",
          "iam:GetRole", "iam:GetRolePolicy",
          "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PutRolePolicy", "iam:TagRole",
          # The PermissionsBoundary launch parameter (set at create, removed when emptied).
          "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
          "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"),
         (STACK_ROLES,)),
    ],
    "AWS::IAM::ManagedPolicy": [
        (("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
          "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListEntitiesForPolicy", "iam:ListPolicyVersions"),
         (STACK_POLICIES,)),
    ],
    "AWS::Logs::LogGroup": [
        (("logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
          "logs:DescribeIndexPolicies", "logs:DisassociateKmsKey", "logs:GetDataProtectionPolicy",
          "logs:ListTagsForResource", "logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"),
         (LOG_GROUPS,)),
        (("logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
          "logs:DescribeIndexPolicies", "logs:DisassociateKmsKey", "logs:GetDataProtectionPolicy",
          "logs:ListTagsForResource", "logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"),
         (PROVISIONER_LOG_GROUPS,)),
        (("logs:DescribeLogGroups", "logs:DescribeResourcePolicies"), (ANY,)),
    ],
    "AWS::Lambda::Function": [
        (("lambda:CreateFunction", "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency", "lambda:GetFunction",
          "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionRecursionConfig", "lambda:GetRuntimeManagementConfig",
          "lambda:ListTags", "lambda:PutFunctionConcurrency", "lambda:TagResource", "lambda:UntagResource",
          "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"), (FUNCTIONS,)),
        (("s3:GetObjectVersion",), (ARTIFACTS % ANY_BUCKET,)),
        # Lambda checks the function's subnets and group; none of these takes a resource scope.
        (("ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"),
         (ANY,)),
    ],
    # CloudFormation invokes the custom resource's function as the stack's role ("Custom resources",
    # CloudFormation User Guide: the service role, here the launch role, needs lambda:InvokeFunction).
    "Custom::DatabaseUsers": [
        (("lambda:InvokeFunction",), (FUNCTIONS,)),
    ],
    # The proxy's log group, made or adopted by the same function (its role calls CloudWatch Logs).
    "Custom::AdoptedLogGroup": [
        (("lambda:InvokeFunction",), (FUNCTIONS,)),
    ],
    "AWS::RDS::DBProxy": [
        (("rds:AddTagsToResource", "rds:CreateDBProxy", "rds:DeleteDBProxy", "rds:DescribeDBProxies",
          "rds:ListTagsForResource", "rds:ModifyDBProxy", "rds:RemoveTagsFromResource"), (RDS,)),
    ],
    "AWS::RDS::DBProxyTargetGroup": [
        (("rds:DeregisterDBProxyTargets", "rds:DescribeDBProxyTargetGroups", "rds:DescribeDBProxyTargets",
          "rds:ModifyDBProxyTargetGroup", "rds:RegisterDBProxyTargets", "rds:DescribeDBInstances",
          "rds:DescribeDBClusters"), (RDS,)),
    ],
    "AWS::RDS::DBProxyEndpoint": [
        (("rds:CreateDBProxyEndpoint", "rds:DeleteDBProxyEndpoint", "rds:DescribeDBProxyEndpoints",
          "rds:ModifyDBProxyEndpoint"), (RDS,)),
    ],
    "AWS::CloudWatch::Alarm": [
        (("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
          "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"), (ALARMS,)),
    ],
    "AWS::CloudWatch::Dashboard": [
        (("cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard",
          "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"), (DASHBOARDS,)),
        (("cloudwatch:ListDashboards",), (ANY,)),
    ],
    "AWS::SNS::Topic": [
        (("sns:CreateTopic", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:SetTopicAttributes", "sns:TagResource",
          "sns:UntagResource"), (TOPICS,)),
        (("sns:ListTopics",), (ANY,)),
    ],
    "AWS::CloudFormation::WaitConditionHandle": [],  # no API call
    "AWS::CloudFormation::WaitCondition": [],
}

# Handler permissions the product's resources never need (features it does not use), so the
# launch role does not get them. The test compares the table with cfn-lint's resource schemas.
NOT_NEEDED = {
    "iam:AttachRolePolicy",  # the proxy role has no managed policies
    "iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy",  # the client policy is
    # attached by its users, not by the stack (but detached by it when deleted: DETACH_ACTIONS)
    "secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication",
    "logs:PutDataProtectionPolicy", "logs:DeleteDataProtectionPolicy", "logs:CreateLogDelivery",
    "logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:PutIndexPolicy", "logs:DeleteIndexPolicy",
    "logs:PutLogGroupDeletionProtection", "logs:PutBearerTokenAuthentication",
    "s3:REST.PUT.OBJECT", "firehose:TagDeliveryStream",
    # The alarm topic has no subscriptions, data protection policy or delivery logging role in the
    # template (subscribers are added after launch: DEPLOY.md).
    "sns:Subscribe", "sns:Unsubscribe", "sns:PutDataProtectionPolicy", "iam:GetRole", "iam:PassRole",
    # The database-users function: no EFS, code signing, layers, runtime alias, capacity provider,
    # scaling or recursion settings, versions or customer managed key of its own (its environment
    # holds nothing); its code is read by ARTIFACTS' s3:GetObject (ReadStagedCode).
    "elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets", "kms:CreateGrant", "kms:DescribeKey",
    "lambda:AssociateRuntimeAlias", "lambda:GetCodeSigningConfig", "lambda:GetLayerVersion",
    "lambda:PassCapacityProvider", "lambda:PutFunctionRecursionConfig", "lambda:PutFunctionScalingConfig",
    "lambda:PutRuntimeManagementConfig", "lambda:GetFunctionScalingConfig", "lambda:DeleteFunctionCodeSigningConfig",
    "lambda:PutFunctionCodeSigningConfig", "lambda:PublishVersion", "lambda:ListFunctions", "s3:GetObject",
}

STACK_ACTIONS = ("cloudformation:CreateChangeSet", "cloudformation:CreateStack", "cloudformation:DeleteChangeSet",
                 "cloudformation:DeleteStack", "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackEvents",
                 "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet", "cloudformation:GetTemplateSummary",
                 "cloudformation:ListChangeSets", "cloudformation:ListStackResources", "cloudformation:SetStackPolicy",
                 "cloudformation:TagResource", "cloudformation:UntagResource", "cloudformation:UpdateStack")


_SCOPE_NAMES = {KEYS: "Keys", ALIASES: "KeyAliases", SECRETS: "Secrets", SECURITY_GROUPS: "SecurityGroups",
                SECURITY_GROUP_RULES: "Rules", VPCS: "InVpcs", STACK_ROLES: "StackRoles",
                STACK_POLICIES: "StackPolicies", LOG_GROUPS: "ProxyLogGroups", RDS: "RdsProxies", ALARMS: "Alarms",
                DASHBOARDS: "ProxyDashboards", TOPICS: "AlarmTopics", ANY: "Unscoped",
                PROVISIONER_LOG_GROUPS: "FunctionLogGroups", FUNCTIONS: "Functions",
                ARTIFACTS % ANY_BUCKET: "StagedCode"}


def _scope_name(resources: tuple[str, ...]) -> str:
    """A statement id from what it applies to: ManageSecurityGroupsRules, ManageUnscoped, ..."""
    return "Manage" + "".join(_SCOPE_NAMES[r] for r in resources)


def _statement(sid: str, actions: tuple[str, ...], resources: tuple[str, ...], **condition: Any) -> Statement:
    return Statement(Sid=sid, Effect=Allow, Action=[action(a) for a in actions],
                     Resource=[r if r == ANY else Sub(r) for r in resources],
                     **({"Condition": Condition([StringEquals(condition)])} if condition else {}))


def launch_policy(resource_types: set[str], code_bucket: str = ANY_BUCKET) -> PolicyDocument:
    grouped: dict[tuple[str, ...], set[str]] = {}
    for resource_type in sorted(resource_types):
        for actions, resources in LAUNCH_PERMISSIONS[resource_type]:
            grouped.setdefault(resources, set()).update(actions)
    statements = [
        _statement("ManageProductStacks", STACK_ACTIONS, (STACKS, CHANGE_SETS)),
        _statement("ValidateProductTemplate", ("cloudformation:ValidateTemplate",), (ANY,)),
        # Service Catalog keeps the template in its own bucket, tagged for provisioning.
        _statement("ReadProductTemplate", ("s3:GetObject",), (ANY,),
                   **{"s3:ExistingObjectTag/servicecatalog:provisioning": "true"}),
        # Secrets Manager encrypts the generated secrets with the product's key on the caller's behalf,
        # in whichever region the product is launched (secretsmanager.<region>.amazonaws.com).
        Statement(Sid="EncryptSecretsWithKey", Effect=Allow,
                  Action=[action(a) for a in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")],
                  Resource=[Sub(KEYS)],
                  Condition=Condition([StringLike({"kms:ViaService": SECRETS_MANAGER_ANY_REGION})])),
        # iam:PassedToService is opt-in (PASS_ROLE_GUARD): no AWS page gives the value CreateDBProxy
        # checks it against (docs/policy-assumptions.md).
        _statement("PassProxyRoleToRds", ("iam:PassRole",), (STACK_ROLES,)),
        # Lambda reads the code with the caller's permissions (CreateFunction, UpdateFunctionCode).
        _statement("ReadStagedCode", ("s3:GetObject",), (ARTIFACTS % code_bucket,)),
        # iam:PassedToService is the principal the role is passed to (IAM condition keys), Lambda's
        # the one its execution role trusts (Lambda Developer Guide, "Lambda execution role"); needed
        # when PASS_ROLE_GUARD limits PassProxyRoleToRds to RDS (docs/policy-assumptions.md).
        _statement("PassFunctionRoleToLambda", ("iam:PassRole",), (STACK_ROLES,),
                   **{"iam:PassedToService": LAMBDA_SERVICE_PRINCIPAL}),
        # The database-users function's role holds the AWS managed policy Lambda's guide gives a
        # function in a VPC; deleting or updating the role detaches it.
        Statement(Sid="DetachVpcAccessPolicy", Effect=Allow, Action=[action("iam:DetachRolePolicy")],
                  Resource=[Sub(STACK_ROLES)],
                  Condition=Condition([ArnLike({"iam:PolicyARN": Sub(VPC_ACCESS_POLICY_SUB)})])),
    ]
    if "AWS::IAM::ManagedPolicy" in resource_types:
        statements.append(Statement(
            Sid="DetachProductPoliciesToDeleteThem", Effect=Allow, Action=[action(a) for a in DETACH_ACTIONS],
            Resource=[Sub(r) for r in ATTACHABLE],
            Condition=Condition([ArnLike({"iam:PolicyARN": Sub(STACK_POLICIES)})])))
    for resources, actions in sorted(grouped.items(), key=lambda item: _scope_name(item[0])):
        statements.append(_statement(_scope_name(resources), tuple(sorted(actions)), resources))
    return PolicyDocument(Version="2012-10-17", Statement=statements)


PASS_ROLE_GUARD = "PassRoleOnlyToRds"  # the parameter, and the condition of the same name


def guarded_launch_policy(resource_types: set[str], code_bucket: str = ANY_BUCKET) -> dict[str, Any]:
    """``launch_policy`` with the PassRole statement limited to iam:PassedToService
    rds.amazonaws.com when the portfolio's deployer turns PASS_ROLE_GUARD on. IAM documents the key
    ("IAM condition context keys", iam:PassedToService: the service principal the role is passed
    to), and Neptune's guide uses this value for its RDS APIs, but no RDS Proxy page says which
    value CreateDBProxy's PassRole check carries: if it is another, every launch fails."""
    document = encode_to_dict(launch_policy(resource_types, code_bucket))
    for statement in document["Statement"]:
        if statement["Sid"] == "PassProxyRoleToRds":
            statement["Condition"] = If(PASS_ROLE_GUARD, {"StringEquals": {
                "iam:PassedToService": facts.RDS_SERVICE_PRINCIPAL}}, Ref("AWS::NoValue"))
    return document


def action(name: str) -> Action:
    """An IAM action from its ``service:Action`` text."""
    prefix, verb = name.split(":")
    return Action(prefix, verb)
