"""The project's policies, as the build enforces them: pure functions of a template, no engine.

These are the rules ``policies/*.guard`` state in CloudFormation Guard (shipped for an
organisation's Guard Hook or its own scans). The Python form is the one the build runs, as
cfn-lint rules (``lint_rules``) in the lint pass it already makes, so they hold on every Python
and platform cfn-lint installs on. This module is their table (``RULES``: each rule's cfn-lint id,
Guard twin and check) and what applies it (``violations``); the checks, with their messages and
patterns, live with their group, one module per ``.guard`` file (``proxy``, ``iam``, ``network``,
``retention``, ``secrets``, ``product``), those written from the AWS Guard Rules Registry's
intent in ``registry``. The Python form is the source; the tests check that each ``.guard`` file
carries its rule names, messages and patterns and that both forms find the same violations in a
corpus of planted ones (running Guard where an engine is installed).

Semantics follow Guard's: ``x[*]`` of a single value is that value and of an empty list a
failure; a comparison with a value of the wrong type (an intrinsic function where a literal is
expected) is a violation, since nothing can show it is safe.

Waivable rules skip a resource whose ``Metadata.RdsProxyCfn.Waivers.<rule name>`` is a
non-blank string (written there by the params' ``waivers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import iam as policy_iam, network as policy_network, product as policy_product, proxy as policy_proxy
from . import registry as policy_registry, retention as policy_retention, secrets as policy_secrets
from .walk import Check, Path

# Every message of the resource policies (each appears in its .guard twin).
MESSAGES = {
    **policy_proxy.MESSAGES,
    **policy_iam.MESSAGES,
    **policy_network.MESSAGES,
    **policy_retention.MESSAGES,
    **policy_secrets.MESSAGES,
    **policy_registry.MESSAGES,
}


# --- the table --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyRule:
    """One rule: its cfn-lint id, the .guard file (stem) and rule name of its Guard twin."""

    lint_id: str
    policy: str
    name: str
    waivable: bool
    description: str
    check: Check
    # Judges what a template lets a launcher choose (its Parameters), so it applies to the
    # Service Catalog product too, whose lint job the resource policies above skip.
    product: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.policy}/{self.name}"


RULES: tuple[PolicyRule, ...] = (
    PolicyRule("E9101", "proxy", "rds_proxy_requires_tls", True, "Every RDS Proxy requires TLS",
               policy_proxy.requires_tls),
    PolicyRule("E9102", "proxy", "rds_proxy_auth_iam_required", True,
               "Every RDS Proxy user logs in with an IAM token", policy_proxy.auth_iam_required),
    PolicyRule("E9201", "iam", "client_policy_scoped_to_proxy", False,
               "rds-db:connect only on named users of this proxy or database", policy_iam.client_policy_scoped),
    PolicyRule("E9202", "iam", "no_inline_policies", False,
               "No inline policies on roles, users or groups (registry IAM_NO_INLINE_POLICY_CHECK)",
               policy_registry.no_inline_policies),
    PolicyRule("E9301", "network", "no_world_open_ingress_resources", False,
               "No SecurityGroupIngress from 0.0.0.0/0 or ::/0", policy_network.no_world_ingress_resources),
    PolicyRule("E9302", "network", "no_world_open_inline_ingress", False,
               "No inline security group ingress from 0.0.0.0/0 or ::/0", policy_network.no_world_inline_ingress),
    PolicyRule("E9303", "network", "no_world_open_egress", True,
               "No security group egress to 0.0.0.0/0 or ::/0 (registry EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE)",
               policy_registry.no_world_open_egress),
    PolicyRule("E9304", "network", "security_groups_name_egress", False,
               "Every security group names its egress rules (registry SECURITY_GROUP_MISSING_EGRESS_RULE)",
               policy_registry.security_groups_name_egress),
    PolicyRule("E9305", "network", "egress_one_port", False,
               "Each egress rule names one TCP or UDP port (registry SECURITY_GROUP_EGRESS_PORT_RANGE_RULE, "
               "SECURITY_GROUP_EGRESS_ALL_PROTOCOLS_RULE)", policy_registry.egress_one_port),
    PolicyRule("E9401", "retention", "secrets_key_and_logs_retained", True,
               "Secrets, KMS keys and log groups outlive the stack", policy_retention.retained),
    PolicyRule("E9501", "secrets", "no_plaintext_secret_string", False,
               "No password in a template: secrets are generated", policy_secrets.no_plaintext_secret),
    PolicyRule("E9502", "secrets", "generated_secrets_rotated", True,
               "Every secret has a rotation schedule (registry SECRETSMANAGER_ROTATION_ENABLED_CHECK)",
               policy_registry.generated_secrets_rotated),
    # Waived by the template's own Metadata (the product's), not a resource's: ``waivable`` False.
    PolicyRule("E9601", "product", "product_offers_tls_only", False,
               "The product lets launchers set RequireTLS true only (unless its Metadata records waivers.require_tls)",
               policy_product.offers_tls_only, product=True),
    PolicyRule("E9602", "product", "product_offers_iam_auth_required_only", False,
               "The product lets launchers set IamAuth REQUIRED only (unless its Metadata records waivers.iam_auth)",
               policy_product.offers_iam_auth_required_only, product=True),
)
BY_LINT_ID = {rule.lint_id: rule for rule in RULES}


@dataclass(frozen=True, order=True)
class Violation:
    rule: str  # "<policy>/<rule name>", as the Guard twin reports it
    path: Path
    message: str

    @property
    def pointer(self) -> str:
        """The path as a JSON pointer, as Guard reports it: /Resources/Proxy/Properties/RequireTLS."""
        return "/" + "/".join(str(part) for part in self.path)


def violations(template: Mapping[str, Any], rules: tuple[PolicyRule, ...] = RULES) -> list[Violation]:
    """Every violation of the project's policies by a template (a decoded dict), sorted."""
    return sorted({Violation(rule.qualified, path, message) for rule in rules for path, message in rule.check(template)},
                  key=lambda v: (v.rule, v.pointer, v.message))
