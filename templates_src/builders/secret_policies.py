"""A resource policy on each generated secret when iam.secret_reader_arns is given: only the
proxy role and the named readers may read it.

The policy only denies: identity policies still have to grant the read (the proxy role's policy
does, iam.py), and a Deny in a resource policy wins over any Allow ("Policy evaluation logic",
IAM User Guide), so no other principal of the account reads the password whatever its IAM
policies say. Brought secrets (users[].secret_arn) are their owners' to police.
"""

from __future__ import annotations

from awacs import secretsmanager
from awacs.aws import ArnNotEquals, Condition, Deny, PolicyDocument, Principal, Statement
from troposphere import GetAtt, Ref
from troposphere.secretsmanager import ResourcePolicy

from ..config.schema.model import EnvConfig
from . import names
from .iam import proxy_role_arn


def readers(cfg: EnvConfig) -> list:
    """Who may read the generated secrets: the proxy role, the provisioner's role (it sets each
    user's password from its secret), then the named readers."""
    provisioner = [GetAtt(names.PROVISIONER_ROLE, "Arn")] if cfg.provisioner is not None else []
    return [proxy_role_arn(cfg), *provisioner, *cfg.iam.secret_reader_arns]


def build_secret_policies(cfg: EnvConfig) -> list[ResourcePolicy]:
    if not cfg.iam.secret_reader_arns or cfg.end_to_end_iam:
        return []
    return [_policy(cfg, user.username) for user in cfg.users if not user.secret_arn]


def _policy(cfg: EnvConfig, username: str) -> ResourcePolicy:
    document = PolicyDocument(
        Version="2012-10-17",
        Statement=[Statement(
            Sid="OnlyTheProxyAndNamedReadersRead",
            Effect=Deny,
            Principal=Principal("AWS", "*"),
            Action=[secretsmanager.GetSecretValue],
            Resource=["*"],  # "*" in a secret's resource policy is the secret itself
            # aws:PrincipalArn is the role's ARN (path included) for a role session, the user's
            # for a user (IAM User Guide, "AWS global condition context keys"); a negated
            # operator is true when the key is absent, so nothing slips through without one.
            Condition=Condition([ArnNotEquals("aws:PrincipalArn", readers(cfg))]),
        )],
    )
    return ResourcePolicy(
        names.secret_policy(username),
        SecretId=Ref(names.secret(username)),
        ResourcePolicy=document,
        # Secrets Manager refuses a policy that grants broad access (ValidateResourcePolicy);
        # this one only denies, and the flag keeps anyone from widening it in place.
        BlockPublicPolicy=True,
    )
