"""The project's policies (``policies.rules``) as cfn-lint rules, one class per rule.

cfn-lint loads this module as extra rules (``append_rules``; from a shell:
``cfn-lint --append-rules templates_src.checks.lint_rules generated/dev/rds-proxy.yaml``), so the
policies run in the lint pass the build already makes, on every platform cfn-lint runs on. A
match's message ends with the JSON pointer of the offending value, as the Guard twin reports it;
``checks`` reports it under the rule's Guard name (``proxy/rds_proxy_requires_tls``).
"""

from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from .policies.rules import RULES, PolicyRule, violations


def _existing(template: Any, path: tuple[str | int, ...]) -> list[str | int]:
    """The longest prefix of ``path`` present in the template: where cfn-lint finds a line."""
    node, found = template, []
    for part in path:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                and part < len(node):
            node = node[part]
            found.append(part)
        else:
            break
    return found


def _rule_class(rule: PolicyRule) -> type[CloudFormationLintRule]:
    def match(self: CloudFormationLintRule, cfn: Any) -> list[RuleMatch]:
        return [RuleMatch(_existing(cfn.template, v.path), f"{v.message} ({v.pointer})")
                for v in violations(cfn.template, (rule,))]

    return type(f"Policy{rule.lint_id}", (CloudFormationLintRule,), {
        "id": rule.lint_id,
        "shortdesc": rule.description,
        "description": f"rds-proxy-cfn policy {rule.qualified} (policies/{rule.policy}.guard)"
                       + (f"; waivable with Metadata.RdsProxyCfn.Waivers.{rule.name}" if rule.waivable else ""),
        "source_url": "policies/README.md",
        "tags": ["rds-proxy-cfn", rule.policy],
        "policy": rule.qualified,
        "match": match,
        "__module__": __name__,
    })


# cfn-lint instantiates every CloudFormationLintRule subclass it finds in this module's namespace.
for _rule in RULES:
    globals()[f"Policy{_rule.lint_id}"] = _rule_class(_rule)
del _rule
