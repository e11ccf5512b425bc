"""The project's policies, as the build enforces them: pure functions of a template, no engine.

These are the rules ``policies/*.guard`` state in CloudFormation Guard (shipped for an
organisation's Guard Hook or its own scans). This module is the one the build runs, as cfn-lint
rules (``lint_rules``) in the lint pass it already makes, so they hold on every Python and
platform cfn-lint installs on. The rule names, messages and patterns here are the source; the
tests check that each ``.guard`` file carries them and that both forms find the same violations
in a corpus of planted ones (running Guard where an engine is installed).

Semantics follow Guard's: ``x[*]`` of a single value is that value and of an empty list a
failure; a comparison with a value of the wrong type (an intrinsic function where a literal is
expected) is a violation, since nothing can show it is safe.

Waivable rules skip a resource whose ``Metadata.RdsProxyCfn.Waivers.<rule name>`` is a
non-blank string (written there by the params' ``waivers``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...facts.aws import USERNAME_PATTERN
from . import product as policy_product, registry as policy_registry
from .walk import BLANK, WORLD, Check, Path  # noqa: F401 (re-exported for the rule table's readers)
from .walk import at as _at, each as _each, get as _get, matches as _matches
from .walk import resources_of as _resources, waived as _waived


# --- patterns (each appears, anchored, in its .guard twin) ------------------------------------

# A database user name as the params take it, unanchored.
USER = USERNAME_PATTERN.removeprefix("^").removesuffix("$")
_CONNECT_PREFIX = r"arn:\$\{AWS::Partition\}:rds-db:\$\{AWS::Region\}:\$\{AWS::AccountId\}:dbuser:"
# The client form: the proxy's prx-... id (a Sub variable), one named user.
CONNECT_VIA_PROXY = _CONNECT_PREFIX + r"\$\{ProxyId\}/" + USER
# The proxy role's end-to-end IAM form: the database's resource id (db-... of an instance,
# cluster-... of an Aurora cluster), one named user. "IAM authentication for the proxy to the
# database": https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam-auth.html
CONNECT_TO_DATABASE = _CONNECT_PREFIX + r"(db|cluster)-[A-Za-z0-9]+/" + USER
# !GetAtt 'Proxy.DBProxyArn' as Guard's own CLI reads short-form YAML.
GETATT_DOTTED = r"[A-Za-z0-9]+\.DBProxyArn"
PASSWORD_KEY = r'"password"'

RETAINED_TYPES = ("AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::Logs::LogGroup", "Custom::AdoptedLogGroup")
DELETION_POLICIES = ("Retain", "RetainExceptOnCreate")  # RetainExceptOnCreate: a failed create cleans up
POLICY_TYPES = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")

# --- messages (each appears in its .guard twin) -----------------------------------------------

FIX_TLS = "Fix: set proxy.require_tls: true in the params file"
FIX_IAM = "Fix: remove iam_auth DISABLED/ENABLED from proxy.iam_auth and users[*].iam_auth"
FIX_CIDR = "Fix: name the client security groups or ranges in network.allowed_cidrs"
FIX_RETAIN = "Fix: set secrets.retain_on_delete: true"
FIX_SECRET = "Fix: let GenerateSecretString create the password"

MESSAGES = {
    "tls": "Violation: an RDS Proxy must set RequireTLS: true",
    "auth_entry": "Violation: every Auth entry of an RDS Proxy must have IAMAuth: REQUIRED",
    "auth_none": "Violation: an RDS Proxy without Auth entries must set DefaultAuthScheme: IAM_AUTH",
    "connect_action": "Violation: a statement allowing rds-db actions may allow only rds-db:connect",
    "connect_struct": "Violation: an rds-db:connect resource must be built with Fn::Sub, not a fixed string or \"*\"",
    "connect_database": "Violation: an rds-db:connect resource given as one string must be "
                        "dbuser:<db-... or cluster-... resource id>/<one named user> in this account and region",
    "connect_proxy": "Violation: an rds-db:connect resource must be dbuser:${ProxyId}/<one named user> in this "
                     "account and region",
    "connect_select": "Violation: ProxyId must be the prx-... id cut from the proxy's DBProxyArn "
                      "(Fn::Select 6 of Fn::Split ':')",
    "connect_getatt": "Violation: ProxyId must be the prx-... id cut from the proxy's DBProxyArn "
                      "(Fn::GetAtt <proxy>.DBProxyArn)",
    "ingress_v4": "Violation: a SecurityGroupIngress is open to every IPv4 address (0.0.0.0/0)",
    "ingress_v6": "Violation: a SecurityGroupIngress is open to every IPv6 address (::/0)",
    "inline_v4": "Violation: a security group has an inline ingress rule open to 0.0.0.0/0",
    "inline_v6": "Violation: a security group has an inline ingress rule open to ::/0",
    "deletion": "Violation: secrets, KMS keys and log groups must have DeletionPolicy: Retain or RetainExceptOnCreate",
    "replace": "Violation: secrets, KMS keys and log groups must have UpdateReplacePolicy: Retain",
    "secret_string": "Violation: a secret carries a plaintext SecretString",
    "secret_generated": "Violation: a secret must be generated (GenerateSecretString)",
    "secret_template": "Violation: the SecretStringTemplate of a generated secret must not contain a password",
    **policy_registry.MESSAGES,
}


def _say(key: str, fix: str = "") -> str:
    return f"{MESSAGES[key]}; {fix}" if fix else MESSAGES[key]




# --- proxy ------------------------------------------------------------------------------------

def _requires_tls(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, proxy in _resources(template, ("AWS::RDS::DBProxy",)):
        if not _waived(proxy, "rds_proxy_requires_tls") and _get(proxy.get("Properties"), "RequireTLS") is not True:
            yield ("Resources", name, "Properties", "RequireTLS"), _say("tls", FIX_TLS)


def _auth_iam_required(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every Auth entry has IAMAuth REQUIRED; a proxy with no Auth must use end-to-end IAM auth
    (DefaultAuthScheme IAM_AUTH: clients and the proxy both authenticate with IAM)."""
    for name, proxy in _resources(template, ("AWS::RDS::DBProxy",)):
        if _waived(proxy, "rds_proxy_auth_iam_required"):
            continue
        properties, where = proxy.get("Properties"), ("Resources", name, "Properties")
        if not isinstance(properties, Mapping):
            yield where, _say("auth_entry", FIX_IAM)
            continue
        if "Auth" not in properties:
            if properties.get("DefaultAuthScheme") != "IAM_AUTH":
                yield (*where, "Auth"), _say("auth_none")
            continue
        entries = _each(properties["Auth"])
        if entries is None:
            yield (*where, "Auth"), _say("auth_entry", FIX_IAM)
            continue
        for index, entry in entries:
            if _get(entry, "IAMAuth") != "REQUIRED":
                yield (*_at((*where, "Auth"), index), "IAMAuth"), _say("auth_entry", FIX_IAM)


# --- iam --------------------------------------------------------------------------------------

def _statements(template: Mapping[str, Any]) -> Iterator[tuple[Path, Any]]:
    """Every statement of a managed or attached policy, and of a role's inline policies."""
    documents: list[tuple[Path, Any]] = []
    for name, resource in _resources(template, POLICY_TYPES):
        documents.append((("Resources", name, "Properties", "PolicyDocument"),
                          _get(resource.get("Properties"), "PolicyDocument")))
    for name, role in _resources(template, ("AWS::IAM::Role",)):
        for index, policy in _each(_get(role.get("Properties"), "Policies")) or []:
            documents.append((_at(("Resources", name, "Properties", "Policies"), index) + ("PolicyDocument",),
                              _get(policy, "PolicyDocument")))
    for where, document in documents:
        statements = _get(document, "Statement")
        if statements is None:
            continue
        for index, statement in _each(statements) or []:
            yield _at((*where, "Statement"), index), statement


def _actions(statement: Any) -> list[tuple[int | None, Any]]:
    return _each(_get(statement, "Action")) or []


def _is_connect(statement: Any) -> bool:
    return (_get(statement, "Effect") == "Allow"
            and any(isinstance(a, str) and a.startswith("rds-db:") for _, a in _actions(statement)))


def _connect_resource(resource: Any) -> str | None:
    """Why an rds-db:connect resource is not one of the two scoped forms (None: it is)."""
    if not isinstance(resource, Mapping):
        return "connect_struct"
    sub = resource.get("Fn::Sub")
    if isinstance(sub, str):
        return None if _matches(CONNECT_TO_DATABASE, sub) else "connect_database"
    if not isinstance(sub, list) or not _matches(CONNECT_VIA_PROXY, sub[0] if sub else None):
        return "connect_proxy"
    select = _get(_get(sub[1] if len(sub) > 1 else None, "ProxyId"), "Fn::Select")
    if not isinstance(select, list) or len(select) < 2 or type(select[0]) is not int or select[0] != 6:
        return "connect_select"
    split = _get(select[1], "Fn::Split")
    if not isinstance(split, list) or len(split) < 2 or split[0] != ":":
        return "connect_select"
    getatt = _get(split[1], "Fn::GetAtt")
    if _matches(GETATT_DOTTED, getatt) or (isinstance(getatt, list) and len(getatt) > 1 and getatt[1] == "DBProxyArn"):
        return None
    return "connect_getatt"


def _client_policy_scoped(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """rds-db:connect only, and only as named users: through this stack's proxy (its prx-... id
    cut from its ARN) or, for the proxy role with end-to-end IAM, to the database's resource id."""
    for where, statement in _statements(template):
        if not _is_connect(statement):
            continue
        for index, action in _actions(statement):
            if action != "rds-db:connect":
                yield _at((*where, "Action"), index), _say("connect_action")
        resources = _each(_get(statement, "Resource"))
        if resources is None:
            yield (*where, "Resource"), _say("connect_struct")
            continue
        for index, resource in resources:
            problem = _connect_resource(resource)
            if problem:
                yield _at((*where, "Resource"), index), _say(problem)


# --- network ----------------------------------------------------------------------------------

def _open_to_world(rule: Any, where: Path, v4: str, v6: str) -> Iterator[tuple[Path, str]]:
    for key, message in (("CidrIp", v4), ("CidrIpv6", v6)):
        if isinstance(rule, Mapping) and key in rule:
            value = rule[key]
            if not isinstance(value, str) or value.endswith(WORLD):
                yield (*where, key), message


def _no_world_ingress_resources(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, resource in _resources(template, ("AWS::EC2::SecurityGroupIngress",)):
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping):
            yield ("Resources", name), _say("ingress_v4", FIX_CIDR)
            continue
        yield from _open_to_world(properties, ("Resources", name, "Properties"),
                                  _say("ingress_v4", FIX_CIDR), _say("ingress_v6", FIX_CIDR))


def _no_world_inline_ingress(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, group in _resources(template, ("AWS::EC2::SecurityGroup",)):
        where = ("Resources", name, "Properties", "SecurityGroupIngress")
        rules = _get(group.get("Properties"), "SecurityGroupIngress")
        for index, rule in (_each(rules) or []) if rules is not None else []:
            yield from _open_to_world(rule, _at(where, index), _say("inline_v4"), _say("inline_v6"))


# --- retention --------------------------------------------------------------------------------

def _retained(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, resource in _resources(template, RETAINED_TYPES):
        if _waived(resource, "secrets_key_and_logs_retained"):
            continue
        if resource.get("DeletionPolicy") not in DELETION_POLICIES:
            yield ("Resources", name, "DeletionPolicy"), _say("deletion", FIX_RETAIN)
        if resource.get("UpdateReplacePolicy") != "Retain":
            yield ("Resources", name, "UpdateReplacePolicy"), _say("replace", FIX_RETAIN)


# --- secrets ----------------------------------------------------------------------------------

def _no_plaintext_secret(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, secret in _resources(template, ("AWS::SecretsManager::Secret",)):
        properties, where = secret.get("Properties"), ("Resources", name, "Properties")
        if not isinstance(properties, Mapping):
            yield ("Resources", name), _say("secret_generated")
            continue
        if "SecretString" in properties:
            yield (*where, "SecretString"), _say("secret_string", FIX_SECRET)
        if "GenerateSecretString" not in properties:
            yield (*where, "GenerateSecretString"), _say("secret_generated")
            continue
        generated = properties["GenerateSecretString"]
        if isinstance(generated, Mapping) and "SecretStringTemplate" in generated:
            text = generated["SecretStringTemplate"]
            if not isinstance(text, str) or re.search(PASSWORD_KEY, text):
                yield (*where, "GenerateSecretString", "SecretStringTemplate"), _say("secret_template")


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
    PolicyRule("E9101", "proxy", "rds_proxy_requires_tls", True, "Every RDS Proxy requires TLS", _requires_tls),
    PolicyRule("E9102", "proxy", "rds_proxy_auth_iam_required", True,
               "Every RDS Proxy user logs in with an IAM token", _auth_iam_required),
    PolicyRule("E9201", "iam", "client_policy_scoped_to_proxy", False,
               "rds-db:connect only on named users of this proxy or database", _client_policy_scoped),
    PolicyRule("E9202", "iam", "no_inline_policies", False,
               "No inline policies on roles, users or groups (registry IAM_NO_INLINE_POLICY_CHECK)",
               policy_registry.no_inline_policies),
    PolicyRule("E9301", "network", "no_world_open_ingress_resources", False,
               "No SecurityGroupIngress from 0.0.0.0/0 or ::/0", _no_world_ingress_resources),
    PolicyRule("E9302", "network", "no_world_open_inline_ingress", False,
               "No inline security group ingress from 0.0.0.0/0 or ::/0", _no_world_inline_ingress),
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
               "Secrets, KMS keys and log groups outlive the stack", _retained),
    PolicyRule("E9501", "secrets", "no_plaintext_secret_string", False,
               "No password in a template: secrets are generated", _no_plaintext_secret),
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
