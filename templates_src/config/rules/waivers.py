"""Secure defaults a params file turns off, and the waivers that must give the reason.

Each weakening names its waiver key (``waivers.<key>``); the builders write the reason into the
weakened resource's Metadata (builders/common.py), where the project's policies, Guard's
``SuppressedRules`` and checkov's ``skip`` read it. A weakening without its waiver, or a waiver
with nothing to waive, is refused. Same shape as ``env``: ``(config, report)``.
"""

from __future__ import annotations

from collections.abc import Callable

from ...facts import aws as facts
from ...facts.aws import ENGINES, IamAuth
from ..errors import KeyPath
from ..schema.model import EnvConfig
from .text import MIN_REASON_WORDS, is_reason

Report = Callable[[KeyPath, str], None]

MIN_WAIVER_REASON = 10
WAIVABLE = ("iam_auth", "require_tls", "retain_on_delete", "log_retention", "world_egress", "rotation", "alarms")


def weakened_defaults(cfg: EnvConfig) -> dict[str, tuple[KeyPath, str]]:
    """Each secure default this env turns off: waiver key -> (where, what was set)."""
    weakened: dict[str, tuple[KeyPath, str]] = {}
    for index, user in enumerate(cfg.users):
        own = user.iam_auth is not None
        value = user.iam_auth or cfg.proxy.iam_auth
        if value is not IamAuth.REQUIRED:
            where = ("users", index, "iam_auth") if own else ("proxy", "iam_auth")
            weakened.setdefault("iam_auth", (where, f"{value.value} turns off the secure default (REQUIRED)"))
    if not cfg.proxy.require_tls:
        weakened["require_tls"] = (("proxy", "require_tls"), "false turns off the secure default (true)")
    if not cfg.secrets.retain_on_delete:
        weakened["retain_on_delete"] = (("secrets", "retain_on_delete"), "false turns off the secure default (true)")
    if cfg.proxy.log_retention_days < facts.MIN_LOG_RETENTION_DAYS:
        weakened["log_retention"] = (("proxy", "log_retention_days"),
                                     f"{cfg.proxy.log_retention_days} is under a year, which AWS Control Tower's "
                                     f"CT.CLOUDWATCH.PR.2 refuses (the default is {facts.MIN_LOG_RETENTION_DAYS})")
    # Which built group would send the database port to any address: the proxy's, or without it
    # (network.create_security_group false: its own groups' rules decide) the rotation functions'.
    database_egress = "the proxy's" if cfg.network.create_security_group else \
        "the rotation functions'" if cfg.rotates else "the provisioner's" if cfg.provisioner is not None else None
    if database_egress and not cfg.database_destination_known:
        # Egress to 0.0.0.0/0 is what the Guard Rules Registry's
        # EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE (and the project's no_world_open_egress) flag.
        weakened["world_egress"] = (("network",), "neither database_security_group_id nor database_cidr is given "
                                                  f"(give one), so {database_egress} egress would allow the "
                                                  "database port to every address (0.0.0.0/0)")
    elif cfg.rotates and not cfg.network.secrets_manager_endpoint_security_group_id:
        # The hosted rotation functions call the Secrets Manager API: its VPC endpoint or, through
        # a NAT gateway, its public addresses; without the endpoint's group the rule names any address.
        weakened["world_egress"] = (("secrets", "rotation_days"),
                                    "rotation functions would reach the Secrets Manager API over HTTPS at any "
                                    "address (0.0.0.0/0; give network.secrets_manager_endpoint_security_group_id "
                                    "to reach only its VPC endpoint)")
    elif cfg.provisioner_via_nat:
        weakened["world_egress"] = (("provisioner", "aws_apis_via"),
                                    "nat lets the provisioner reach Secrets Manager, the RDS API, CloudWatch Logs and S3 over HTTPS "
                                    "at any address (0.0.0.0/0; vpc_endpoints reaches only the VPC's endpoints)")
    if cfg.generates_secrets and cfg.secrets.rotation_days is None:
        # The Guard Rules Registry's SECRETSMANAGER_ROTATION_ENABLED_CHECK flags a secret without
        # a rotation schedule. Rotation is not turned on by itself: it needs a route from the
        # subnets to Secrets Manager and the SecretsManager transform (which the Service Catalog
        # product does not carry), so no rotation is a choice the params state.
        weakened["rotation"] = (("secrets", "rotation_days"), "missing, so the generated secrets are never rotated "
                                                              "(set it to rotate them)")
    if not cfg.monitoring.alarms:
        weakened["alarms"] = (("monitoring", "alarms"), "false turns off the secure default (true)")
    return weakened


def weakened_defaults_waived(cfg: EnvConfig, report: Report) -> None:
    # Turning a secure default off is allowed, but only with a reason a reviewer can read.
    weakened = weakened_defaults(cfg)
    database_egress = cfg.network.create_security_group or cfg.rotates or cfg.provisioner is not None
    engine = ENGINES[cfg.engine_family]
    for name, (path, what) in weakened.items():
        # Settings another rule already refuses need fixing, not a waiver: say nothing more.
        refused = (name == "iam_auth" and any((u.iam_auth or cfg.proxy.iam_auth) not in engine.iam_auth_values
                                              for u in cfg.users)) or (
            name == "require_tls" and any((u.iam_auth or cfg.proxy.iam_auth) is IamAuth.REQUIRED
                                          for u in cfg.users))
        if getattr(cfg.waivers, name) is None and not refused:
            report(path, f"{what}; add waivers.{name}: <the reason> to allow it")
    for name in WAIVABLE:
        reason = getattr(cfg.waivers, name)
        if reason is None:
            continue
        if name not in weakened:
            if name == "world_egress" and not database_egress:
                continue  # no group of the stack has egress: security_group_rules says why
            report(("waivers", name), "nothing to waive (the secure default is in place); remove it")
        elif len(reason.strip()) < MIN_WAIVER_REASON or not is_reason(reason):
            report(("waivers", name), f"give the reason in words (at least {MIN_WAIVER_REASON} characters and "
                                      f"{MIN_REASON_WORDS} words)")
