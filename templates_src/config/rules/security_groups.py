"""The proxy's security groups: the one the stack builds, existing ones beside it, or only those.

``network.proxy_security_group_ids`` are attached to the proxy (and its read-only endpoint) after
the built group; with ``network.create_security_group: false`` they are its only groups and the
stack builds none. The built group is where this tool writes who may connect (client groups and
ranges) and where the proxy may go (the database's group or range, with the ingress rule on the
database's group): without it those keys would configure nothing, so they are refused rather than
silently ignored. Same shape as ``env``: each rule is ``(config, report)``.
"""

from __future__ import annotations

from collections.abc import Callable

from ...facts import aws as facts
from ..errors import KeyPath
from ..schema.model import EnvConfig

Report = Callable[[KeyPath, str], None]

# Why each key that shapes the built group is refused without it (one line, as every message).
OWN_RULES = ("the groups in proxy_security_group_ids decide by their own rules who may connect to the proxy "
             "and where it may go")
# Keys whose only effect is a rule of the built group.
CLIENT_KEYS = ("client_security_group_ids", "allowed_cidrs")
# Keys that are also the rotation functions' database destination (their own group is built
# whatever create_security_group says).
DATABASE_KEYS = ("database_security_group_id", "database_cidr")


def _beside_the_built_group(cfg: EnvConfig, report: Report) -> None:
    groups = cfg.network.proxy_security_group_ids
    room = facts.SECURITY_GROUPS_PER_NETWORK_INTERFACE - 1
    if cfg.network.create_security_group and len(groups) > room:
        report(("network", "proxy_security_group_ids"),
               f"has {len(groups)} groups; at most {room} beside the group the stack builds (a network interface "
               f"takes {facts.SECURITY_GROUPS_PER_NETWORK_INTERFACE} security groups by default; or set "
               "create_security_group: false)")


def _instead_of_the_built_group(cfg: EnvConfig, report: Report) -> None:
    network = cfg.network
    if network.create_security_group:
        return
    if not network.proxy_security_group_ids:
        report(("network", "create_security_group"),
               "false needs network.proxy_security_group_ids: at least one existing security group for the proxy")
    for name in CLIENT_KEYS:
        if getattr(network, name):
            report(("network", name), f"is refused with create_security_group false: {OWN_RULES} (remove it)")
    # With rotation the database's group or range stays meaningful: the rotation functions'
    # own group (network.build_rotation_network) sends the database port there, and the rule on
    # the database's group lets that group (never the proxy's) in. Without rotation nothing
    # would use them. The provisioner's function has a group of its own too.
    if not cfg.rotates and cfg.provisioner is None:
        for name in DATABASE_KEYS:
            if getattr(network, name):
                report(("network", name), f"is refused with create_security_group false: {OWN_RULES}, and no "
                                          "rotation or provisioner function needs it (remove it)")


def _world_egress_waiver_unused(cfg: EnvConfig, report: Report) -> None:
    # Without the built group and without rotation the stack has no egress rule at all, so the
    # waiver waives nothing; waiver_rules leaves this case to the message here, which says why.
    if (cfg.waivers.world_egress is not None and not cfg.network.create_security_group and not cfg.rotates
            and cfg.provisioner is None):
        report(("waivers", "world_egress"), f"has nothing to waive with network.create_security_group false: "
                                            f"{OWN_RULES} (remove it)")


RULES: tuple[Callable[[EnvConfig, Report], None], ...] = (
    _beside_the_built_group,
    _instead_of_the_built_group,
    _world_egress_waiver_unused,
)
