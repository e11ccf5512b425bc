"""The ``iam:`` section of a params file: what enterprises require of the roles, the key and the
secrets a stack makes (permissions boundary, role path, an existing proxy role, named key
administrators, who may read the generated secrets). config/rules/iam.py relates these keys to the rest."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import aws as facts
from .keys import key


@dataclass(frozen=True)
class IamParams:
    permissions_boundary_arn: str | None = key(
        "A managed policy set as the permissions boundary of every role the stack creates (not with "
        "secrets.rotation_days: the hosted rotation function's role cannot carry one).", default=None,
        pattern=facts.IAM_MANAGED_POLICY_ARN_PATTERN,
    )
    role_path: str | None = key(
        "The IAM path of every role the stack creates, like /platform/rds-proxy/ (not with "
        "secrets.rotation_days, as for the boundary).", default=None,
        pattern=facts.IAM_PATH_PATTERN, max_length=facts.IAM_PATH_MAX,
    )
    proxy_role_arn: str | None = key(
        "An existing role for the proxy: the stack creates no proxy role and no policy for it; DEPLOY.md "
        "says what the role must allow.", default=None, pattern=facts.IAM_ROLE_ARN_PATTERN,
    )
    key_admin_arns: tuple[str, ...] = key(
        "IAM roles or users that administer the stack's KMS key (disable, schedule deletion, change its "
        "policy) instead of every principal of the account; whoever deploys the stack must be one.",
        default=(), pattern=facts.IAM_PRINCIPAL_ARN_PATTERN, unique=True,
    )
    proxy_trust_source_account: bool = key(
        "Let rds.amazonaws.com assume the proxy role only with aws:SourceAccount equal to this account "
        "(a confused-deputy guard). Off by default: no AWS page documents that RDS Proxy sends "
        "aws:SourceAccount when it assumes its role, and if it does not, the proxy cannot read its "
        "secrets (or sign in with end-to-end IAM) and its target stays unavailable. Turn on only once "
        "verified in your own account (docs/policy-assumptions.md).", default=False,
    )
    secret_reader_arns: tuple[str, ...] = key(
        "IAM roles or users that, besides the proxy role, may read the generated secrets; given, each "
        "generated secret gets a resource policy denying everyone else (whoever runs create-db-users.sh "
        "must be one; not with secrets.rotation_days).", default=(),
        pattern=facts.IAM_PRINCIPAL_ARN_PATTERN, unique=True,
    )
