"""IAM: the role the proxy assumes to read its secrets, and the policy callers attach to connect."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import rds_db, secretsmanager, sts
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from troposphere import AccountId, GetAtt, Select, Split, Sub
from troposphere.iam import ManagedPolicy, Policy, Role

from .. import aws_facts as facts
from ..config.model import EnvConfig
from ..config.rules import iam_users
from . import names
from .common import tags
from .kms import key_arn
from .secrets import secret_arns


def proxy_resource_id() -> Select:
    """The proxy's prx-... id, cut from its ARN (CloudFormation has no attribute for it)."""
    return Select(facts.PROXY_ARN_RESOURCE_ID_INDEX, Split(":", GetAtt(names.PROXY, "DBProxyArn")))


def build_proxy_role(cfg: EnvConfig) -> Role:
    trust = PolicyDocument(
        Version="2012-10-17",
        Statement=[Statement(
            Effect=Allow,
            Principal=Principal("Service", [facts.RDS_SERVICE_PRINCIPAL]),
            Action=[sts.AssumeRole],
            # Only RDS acting for this account may assume the role (confused-deputy guard).
            Condition=Condition([StringEquals("aws:SourceAccount", AccountId)]),
        )],
    )
    read_secrets = PolicyDocument(
        Version="2012-10-17",
        Statement=[
            Statement(Sid="ReadProxySecrets", Effect=Allow, Action=[secretsmanager.GetSecretValue],
                      Resource=secret_arns(cfg)),
            Statement(Sid="DecryptProxySecrets", Effect=Allow, Action=[kms_actions.Decrypt],
                      Resource=[key_arn(cfg)],
                      Condition=Condition([StringEquals("kms:ViaService",
                                                        Sub(facts.SECRETS_MANAGER_VIA_SERVICE_SUB))])),
        ],
    )
    return Role(
        names.ROLE,
        Description=f"Assumed by RDS Proxy {cfg.proxy.name} ({cfg.env}) to read its database secrets",
        AssumeRolePolicyDocument=trust,
        Policies=[Policy(PolicyName="read-proxy-secrets", PolicyDocument=read_secrets)],
        Tags=tags(cfg),
    )


def build_client_policy(cfg: EnvConfig) -> list[ManagedPolicy]:
    """rds-db:connect to this proxy as each IAM-auth user; nothing when no user uses IAM auth."""
    users = iam_users(cfg)
    if not users:
        return []
    user_arns = [Sub(facts.DB_USER_ARN_SUB % user.username, ProxyId=proxy_resource_id()) for user in users]
    return [ManagedPolicy(
        names.CLIENT_POLICY,
        Description=f"Connect to RDS Proxy {cfg.proxy.name} ({cfg.env}) with IAM auth as "
                    + ", ".join(u.username for u in users),
        PolicyDocument=PolicyDocument(
            Version="2012-10-17",
            Statement=[Statement(Sid="ConnectThroughProxy", Effect=Allow, Action=[rds_db.connect],
                                 Resource=user_arns)],
        ),
    )]
