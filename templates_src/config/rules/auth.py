"""The rules of how the proxy logs in to the database: secrets, or end-to-end IAM.

End-to-end IAM (``proxy.default_auth_scheme: IAM_AUTH``) has no secret and no password: the
proxy's role signs in to the database as each user, so it needs the database's resource id for
its rds-db:connect ARNs, an engine whose database takes IAM tokens, and no key that shapes a
secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...facts import aws as facts
from ...facts.aws import ENGINES, IamAuth
from ..errors import KeyPath
from ..schema.model import EnvConfig

Report = Callable[[KeyPath, str], None]


def auth_scheme_ok(cfg: EnvConfig, report: Report) -> None:
    resource_id = cfg.target.database_resource_id
    if not cfg.end_to_end_iam:
        if resource_id is not None:
            report(("target", "database_resource_id"),
                   "only used with proxy.default_auth_scheme IAM_AUTH (the proxy role's rds-db:connect); remove it")
        return
    if not ENGINES[cfg.engine_family].end_to_end_iam:
        report(("proxy", "default_auth_scheme"),
               f"IAM_AUTH needs IAM database authentication, which RDS offers for MySQL, MariaDB and "
               f"PostgreSQL only, got {cfg.engine_family.value} (use NONE: a secret per user)")
        return
    if resource_id is None:
        report(("target", "database_resource_id"),
               "missing: with default_auth_scheme IAM_AUTH the proxy role may connect only as its users of this "
               "database, named by its resource id (aws rds describe-db-instances --query "
               "'DBInstances[0].DbiResourceId', or describe-db-clusters ... DbClusterResourceId)")
    elif cfg.target.db_cluster_identifier and not re.fullmatch(facts.DB_CLUSTER_RESOURCE_ID_PATTERN, resource_id):
        report(("target", "database_resource_id"), f"{resource_id!r} is not a cluster's resource id (cluster-...)")
    elif cfg.target.db_instance_identifier and not re.fullmatch(facts.DB_INSTANCE_RESOURCE_ID_PATTERN, resource_id):
        report(("target", "database_resource_id"), f"{resource_id!r} is not an instance's resource id (db-...)")
    # With end-to-end IAM there is no secret and no password: keys that shape them mean nothing.
    for index, user in enumerate(cfg.users):
        if user.secret_arn is not None:
            report(("users", index, "secret_arn"), "has no effect with default_auth_scheme IAM_AUTH (no secrets); "
                                                   "remove it")
        if user.iam_auth is not None and user.iam_auth is not IamAuth.REQUIRED:
            report(("users", index, "iam_auth"), "must be REQUIRED with default_auth_scheme IAM_AUTH (clients log "
                                                 "in with IAM tokens end to end)")
        if user.client_password_auth_type is not None:
            report(("users", index, "client_password_auth_type"),
                   "has no effect with default_auth_scheme IAM_AUTH (no passwords); remove it")
    if cfg.proxy.iam_auth is not IamAuth.REQUIRED:
        report(("proxy", "iam_auth"), "must be REQUIRED with default_auth_scheme IAM_AUTH")
    if cfg.secrets.rotation_days is not None:
        report(("secrets", "rotation_days"), "nothing to rotate with default_auth_scheme IAM_AUTH (no secrets); "
                                             "remove it")


def master_user_ok(cfg: EnvConfig, report: Report) -> None:
    """The master (users[].master): logged in with its own secret, left alone by db-users.sql."""
    admin = cfg.provisioner.admin_secret_arn if cfg.provisioner else None
    first: int | None = None
    for index, user in enumerate(cfg.users):
        if not user.master:
            if admin and user.secret_arn == admin and not cfg.end_to_end_iam:
                report(("users", index, "secret_arn"), "is provisioner.admin_secret_arn: the provisioner would reset "
                                                       "the admin's password; if this is the master, mark it "
                                                       "master: true")
            continue
        path = ("users", index, "master")
        if first is not None:
            report(path, f"only one user is the database's master (also users[{first}])")
        first = index if first is None else first
        if cfg.end_to_end_iam:
            # IAM database authentication for the master means rds_iam on PostgreSQL, which ends its
            # password logins ("IAM database authentication for MariaDB, MySQL, and PostgreSQL").
            report(path, "only with secrets (default_auth_scheme NONE): with IAM_AUTH the proxy signs in with IAM, "
                         "and the master would need IAM database authentication (on PostgreSQL, rds_iam ends its "
                         "password logins)")
            continue
        if user.secret_arn is None:
            report(path, "needs secret_arn: the secret RDS manages for the master user (MasterUserSecret.SecretArn "
                         "of aws rds describe-db-instances or describe-db-clusters), or your own master secret")
        for what in ("role", "privileges"):
            if getattr(user, what) is not None:
                report(("users", index, what), "db-users.sql grants nothing to the master user, who owns the "
                                               "database already; remove it")
