"""IAM: the role the proxy assumes, its managed policy, and one client policy per database user."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import rds_db, secretsmanager, sts
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from troposphere import AccountId, GetAtt, Ref, Select, Split, Sub
from troposphere.iam import ManagedPolicy, Role

from ..facts import aws as facts
from ..config.schema.model import EnvConfig, UserParams
from . import names
from .common import tags
from .kms import key_arn
from .secrets import secret_arns


def proxy_resource_id() -> Select:
    """The proxy's prx-... id, cut from its ARN (CloudFormation has no attribute for it)."""
    return Select(facts.PROXY_ARN_RESOURCE_ID_INDEX, Split(":", GetAtt(names.PROXY, "DBProxyArn")))


def proxy_trust_policy(cfg: EnvConfig) -> PolicyDocument:
    """Who may assume the proxy role: RDS. The trust is the one the RDS Proxy setup page gives
    ("Configuring IAM authentication for RDS Proxy", RDS User Guide, rds-proxy-iam-setup.html):
    rds.amazonaws.com, sts:AssumeRole, no condition. RDS's confused-deputy page
    (cross-service-confused-deputy-prevention.html) recommends aws:SourceArn/aws:SourceAccount for
    roles RDS assumes, but no page says RDS Proxy sends them; a condition it does not satisfy
    would leave every proxy unable to read its secrets, so the guard is iam.proxy_trust_source_account,
    off unless a team has verified it."""
    guard = ({"Condition": Condition([StringEquals("aws:SourceAccount", AccountId)])}
             if cfg.iam.proxy_trust_source_account else {})
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[Statement(
            Effect=Allow,
            Principal=Principal("Service", [facts.RDS_SERVICE_PRINCIPAL]),
            Action=[sts.AssumeRole],
            **guard,
        )],
    )


def secret_keys(cfg: EnvConfig) -> list[str | GetAtt]:
    """The keys of the secrets the proxy reads: the env's key (the generated secrets'), then each
    brought secret's customer managed key (users[].secret_kms_key_arn). A brought secret under
    aws/secretsmanager needs none: that key's policy lets the account's principals use it through
    Secrets Manager ("Secret encryption and decryption", Secrets Manager User Guide)."""
    return [key_arn(cfg), *(key for key in cfg.brought_secret_keys if key != cfg.secrets.kms_key_arn)]


def proxy_role_statements(cfg: EnvConfig) -> tuple[list[Statement], str]:
    """What the proxy role may do, and why (the stack's policy, or what an existing role needs)."""
    if cfg.end_to_end_iam:
        # The proxy signs in to the database as each of its users, and as nobody else.
        statements = [Statement(
            Sid="ConnectToDatabaseAsItsUsers", Effect=Allow, Action=[rds_db.connect],
            Resource=[Sub(facts.DATABASE_USER_ARN_SUB % (cfg.target.database_resource_id, user.username))
                      for user in cfg.users],
        )]
        return statements, f"Lets RDS Proxy {cfg.proxy.name} ({cfg.environment}) sign in to its database with IAM"
    statements = [
        Statement(Sid="ReadProxySecrets", Effect=Allow, Action=[secretsmanager.GetSecretValue],
                  Resource=secret_arns(cfg)),
        # kms:ViaService as in the RDS Proxy setup page's own policy (rds-proxy-iam-setup.html): the
        # keys only serve GetSecretValue ("kms:ViaService", AWS KMS Developer Guide).
        Statement(Sid="DecryptProxySecrets", Effect=Allow, Action=[kms_actions.Decrypt],
                  Resource=secret_keys(cfg),
                  Condition=Condition([StringEquals("kms:ViaService",
                                                    Sub(facts.SECRETS_MANAGER_VIA_SERVICE_SUB))])),
    ]
    return statements, f"Lets RDS Proxy {cfg.proxy.name} ({cfg.environment}) read its database secrets"


def proxy_role_arn(cfg: EnvConfig) -> str | GetAtt:
    """The role the proxy assumes: the env's existing one (iam.proxy_role_arn) or the created one."""
    return cfg.iam.proxy_role_arn or GetAtt(names.ROLE, "Arn")


def role_options(cfg: EnvConfig) -> dict[str, str]:
    """PermissionsBoundary and Path of every role the stack creates (iam: section)."""
    options = {}
    if cfg.iam.permissions_boundary_arn:
        options["PermissionsBoundary"] = cfg.iam.permissions_boundary_arn
    if cfg.iam.role_path:
        # Path is create-only (AWS::IAM::Role schema): changing it replaces the role.
        options["Path"] = cfg.iam.role_path
    return options


def build_proxy_role(cfg: EnvConfig) -> list[Role | ManagedPolicy]:
    """The role, and what it may do as a managed policy (not inline: AWS Config's
    iam-no-inline-policy-check and the Guard rules registry flag inline policies). The role lists
    the policy, so CloudFormation creates the policy, then the role, then the proxy. Nothing with
    an existing role (iam.proxy_role_arn): its owner grants what DEPLOY.md lists."""
    if cfg.iam.proxy_role_arn:
        return []
    statements, purpose = proxy_role_statements(cfg)
    policy = ManagedPolicy(
        names.ROLE_POLICY,
        # Description is create-only (AWS::IAM::ManagedPolicy schema): nothing in it changes
        # when users are added or removed.
        Description=purpose,
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=statements),
    )
    role = Role(
        names.ROLE,
        Description=f"Assumed by RDS Proxy {cfg.proxy.name} ({cfg.environment})",
        AssumeRolePolicyDocument=proxy_trust_policy(cfg),
        ManagedPolicyArns=[Ref(policy)],
        Tags=tags(cfg),
        **role_options(cfg),
    )
    return [policy, role]


def user_connect_arn(user: UserParams) -> Sub:
    """rds-db:connect to this proxy as one database user."""
    return Sub(facts.DB_USER_ARN_SUB % user.username, ProxyId=proxy_resource_id())


def build_client_policies(cfg: EnvConfig) -> list[ManagedPolicy]:
    """One policy per IAM-auth user: a caller attaches the one of the user it logs in as and
    cannot connect as any other (the migration user's DDL stays with the migration job)."""
    return [
        ManagedPolicy(
            names.client_policy(user.username),
            # Create-only, like every ManagedPolicy Description: it names only its own user, so
            # adding another user never replaces it (a replacement detaches it from every role).
            Description=f"Connect to RDS Proxy {cfg.proxy.name} ({cfg.environment}) with IAM auth as {user.username}",
            PolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[Statement(Sid="ConnectThroughProxy", Effect=Allow, Action=[rds_db.connect],
                                     Resource=[user_connect_arn(user)])],
            ),
        )
        for user in cfg.policy_users
    ]
