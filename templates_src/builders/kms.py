"""The customer-managed KMS key that encrypts the proxy's secrets and its log group."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs.aws import (Allow, ArnEquals, ArnLike, Bool, BoolIfExists, Condition, Deny, PolicyDocument, Principal, Statement,
                       StringEquals)
from troposphere import AccountId, GetAtt, Ref, Sub
from troposphere.kms import Alias, Key

from ..facts import aws as facts
from ..facts import monitoring as monitoring_facts
from ..config.schema.model import EnvConfig
from . import names
from .common import keep_on_delete, provisioner_log_group_name, tags, waiver_metadata

_ACCOUNT_ROOT = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")

# Everything an administrator does to a key, but not using it and not CreateGrant (which is only
# allowed for grants to AWS services, below).
_ADMIN_ACTIONS = [
    kms_actions.Action(a)
    for a in ("CancelKeyDeletion", "CreateAlias", "Delete*", "Describe*", "Disable*", "Enable*", "Get*",
              "List*", "Put*", "RevokeGrant", "RotateKeyOnDemand", "ScheduleKeyDeletion", "TagResource",
              "UntagResource", "Update*")
]
_READ_ACTIONS = [kms_actions.Action(a) for a in ("Describe*", "Get*", "List*")]
_USE_ACTIONS = [kms_actions.Encrypt, kms_actions.Decrypt, kms_actions.Action("ReEncrypt*"),
                kms_actions.Action("GenerateDataKey*"), kms_actions.DescribeKey]


def _administration(cfg: EnvConfig, account: Principal) -> list[Statement]:
    """Who administers the key: the account (so IAM policies decide, as in KMS's default key
    policy), or only the named iam.key_admin_arns. Then the account keeps reading the key's
    metadata and policy through IAM (audits, drift detection, the console) but no principal
    outside the list can disable it, schedule its deletion or change its policy. The key stays
    manageable: KMS refuses a CreateKey/PutKeyPolicy whose policy would not let the caller put
    the policy again ("policy lockout safety check", KMS API Reference, CreateKey
    BypassPolicyLockoutSafetyCheck; never bypassed here, Control Tower CT.KMS.PV.3), so the
    stack's deployer must be one of the named administrators, and the principals must exist
    (CreateKey Policy: "The principals in the key policy must exist and be visible to AWS KMS")."""
    admins = cfg.iam.key_admin_arns
    if not admins:
        return [Statement(Sid="AccountAdministersKey", Effect=Allow, Principal=account,
                          Action=_ADMIN_ACTIONS, Resource=["*"])]
    return [
        Statement(Sid="NamedAdministratorsAdministerKey", Effect=Allow, Principal=Principal("AWS", list(admins)),
                  Action=_ADMIN_ACTIONS, Resource=["*"]),
        Statement(Sid="AccountReadsKeyMetadata", Effect=Allow, Principal=account,
                  Action=_READ_ACTIONS, Resource=["*"]),
    ]


def key_policy(cfg: EnvConfig) -> PolicyDocument:
    """Account admins manage the key; it is used only through Secrets Manager (when the proxy
    has secrets) and by CloudWatch Logs for the proxy's log group."""
    account = Principal("AWS", [_ACCOUNT_ROOT])
    log_group_arn = Sub(facts.LOG_GROUP_ARN_SUB % facts.LOG_GROUP_NAME_FORMAT.format(proxy_name=cfg.proxy.name))
    # The provisioner's function logs to a group of its own, encrypted with this key too.
    log_groups = log_group_arn if cfg.provisioner is None else [
        log_group_arn, Sub(facts.LOG_GROUP_ARN_SUB % "${Name}", Name=provisioner_log_group_name(cfg.proxy.name))]
    # kms:CallerAccount and kms:ViaService as in the aws/secretsmanager key's own policy ("Secret
    # encryption and decryption in AWS Secrets Manager", security-encryption.html).
    secrets_use = [] if cfg.end_to_end_iam else [
        Statement(Sid="UseThroughSecretsManagerOnly", Effect=Allow, Principal=account,
                  Action=_USE_ACTIONS, Resource=["*"],
                  Condition=Condition([StringEquals({
                      "kms:CallerAccount": AccountId,
                      "kms:ViaService": Sub(facts.SECRETS_MANAGER_VIA_SERVICE_SUB),
                  })])),
    ]
    # The alarm topic the stack creates is encrypted with this key: CloudWatch may use it for this
    # proxy's alarms only (aws:SourceAccount and aws:SourceArn, monitoring_facts). Both keys as
    # step 3 of "Enable compatibility between event sources from AWS services and encrypted topics"
    # (sns-key-management.html) adds them for the event sources it lists, CloudWatch among them.
    alarms_use = [
        Statement(Sid="AlarmTopicEncryption", Effect=Allow,
                  Principal=Principal("Service", [monitoring_facts.CLOUDWATCH_SERVICE_PRINCIPAL]),
                  Action=[kms_actions.Decrypt, kms_actions.Action("GenerateDataKey*")], Resource=["*"],
                  Condition=Condition([StringEquals("aws:SourceAccount", AccountId),
                                       ArnLike("aws:SourceArn", Sub(monitoring_facts.ALARM_ARN_SUB % cfg.proxy.name))])),
    ] if cfg.monitoring.alarms and not cfg.monitoring.alarm_topic_arn else []
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            *_administration(cfg, account),
            *secrets_use,
            Statement(Sid="GrantsOnlyForAwsResources", Effect=Allow, Principal=account,
                      Action=[kms_actions.CreateGrant, kms_actions.ListGrants], Resource=["*"],
                      Condition=Condition([Bool("kms:GrantIsForAWSResource", "true")])),
            # AWS Control Tower's CT.KMS.PR.3: deny CreateGrant to everyone unless the grant is for
            # an AWS resource or the caller is an AWS service (BoolIfExists, both false).
            Statement(Sid="DenyGrantsExceptForAwsServices", Effect=Deny, Principal=Principal("AWS", "*"),
                      Action=[kms_actions.CreateGrant], Resource=["*"],
                      Condition=Condition([BoolIfExists({"kms:GrantIsForAWSResource": "false",
                                                         "aws:PrincipalIsAWSService": "false"})])),
            # As "Encrypt log data in CloudWatch Logs using AWS KMS" (encrypt-log-data-kms.html) grants it.
            Statement(Sid="ProxyLogGroupEncryption", Effect=Allow,
                      Principal=Principal("Service", [Sub(facts.LOGS_SERVICE_SUB)]),
                      Action=_USE_ACTIONS, Resource=["*"],
                      Condition=Condition([ArnEquals("kms:EncryptionContext:aws:logs:arn", log_groups)])),
            *alarms_use,
        ],
    )


def build_key(cfg: EnvConfig) -> list[Key | Alias]:
    """The key and its alias, or nothing when the env brings its own key (secrets.kms_key_arn)."""
    if cfg.secrets.kms_key_arn:
        return []
    key = Key(
        names.KEY,
        Description=f"Encrypts the {'logs' if cfg.end_to_end_iam else 'secrets and logs'} of RDS Proxy "
                    f"{cfg.proxy.name} ({cfg.environment})",
        EnableKeyRotation=True,
        KeyPolicy=key_policy(cfg),
        Tags=tags(cfg),
        **keep_on_delete(cfg),
        **waiver_metadata(cfg, "retain_on_delete"),
    )
    alias = Alias(names.KEY_ALIAS, AliasName=facts.KMS_ALIAS_FORMAT.format(proxy_name=cfg.proxy.name),
                  TargetKeyId=Ref(key))
    return [key, alias]


def key_arn(cfg: EnvConfig) -> str | GetAtt:
    """The ARN other resources use: the env's own key or the created one."""
    return cfg.secrets.kms_key_arn or GetAtt(names.KEY, "Arn")
