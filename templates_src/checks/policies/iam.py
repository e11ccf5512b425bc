"""The IAM policy: rds-db:connect only, and only as named database users, in one of two forms.

Through this stack's proxy (a client policy: the proxy's prx-... id cut from its ARN), or, for
the proxy role with end-to-end IAM auth, to the database's resource id. Each pattern appears,
anchored, in the Guard form, ``policies/iam.guard`` (whose ``no_inline_policies`` is one of the
registry's intents: ``registry``). The table of rules and Guard's semantics: ``rules``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from ...facts.aws import USERNAME_PATTERN
from .walk import Path, at, each, get, matches, resources_of, say

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

POLICY_TYPES = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")

MESSAGES = {
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
}


_say = partial(say, MESSAGES)


def _statements(template: Mapping[str, Any]) -> Iterator[tuple[Path, Any]]:
    """Every statement of a managed or attached policy, and of a role's inline policies."""
    documents: list[tuple[Path, Any]] = []
    for name, resource in resources_of(template, POLICY_TYPES):
        documents.append((("Resources", name, "Properties", "PolicyDocument"),
                          get(resource.get("Properties"), "PolicyDocument")))
    for name, role in resources_of(template, ("AWS::IAM::Role",)):
        for index, policy in each(get(role.get("Properties"), "Policies")) or []:
            documents.append((at(("Resources", name, "Properties", "Policies"), index) + ("PolicyDocument",),
                              get(policy, "PolicyDocument")))
    for where, document in documents:
        statements = get(document, "Statement")
        if statements is None:
            continue
        for index, statement in each(statements) or []:
            yield at((*where, "Statement"), index), statement


def _actions(statement: Any) -> list[tuple[int | None, Any]]:
    return each(get(statement, "Action")) or []


def _is_connect(statement: Any) -> bool:
    return (get(statement, "Effect") == "Allow"
            and any(isinstance(a, str) and a.startswith("rds-db:") for _, a in _actions(statement)))


def _connect_resource(resource: Any) -> str | None:
    """Why an rds-db:connect resource is not one of the two scoped forms (None: it is)."""
    if not isinstance(resource, Mapping):
        return "connect_struct"
    sub = resource.get("Fn::Sub")
    if isinstance(sub, str):
        return None if matches(CONNECT_TO_DATABASE, sub) else "connect_database"
    if not isinstance(sub, list) or not matches(CONNECT_VIA_PROXY, sub[0] if sub else None):
        return "connect_proxy"
    select = get(get(sub[1] if len(sub) > 1 else None, "ProxyId"), "Fn::Select")
    if not isinstance(select, list) or len(select) < 2 or type(select[0]) is not int or select[0] != 6:
        return "connect_select"
    split = get(select[1], "Fn::Split")
    if not isinstance(split, list) or len(split) < 2 or split[0] != ":":
        return "connect_select"
    getatt = get(split[1], "Fn::GetAtt")
    if matches(GETATT_DOTTED, getatt) or (isinstance(getatt, list) and len(getatt) > 1 and getatt[1] == "DBProxyArn"):
        return None
    return "connect_getatt"


def client_policy_scoped(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """rds-db:connect only, and only as named users: through this stack's proxy (its prx-... id
    cut from its ARN) or, for the proxy role with end-to-end IAM, to the database's resource id."""
    for where, statement in _statements(template):
        if not _is_connect(statement):
            continue
        for index, action in _actions(statement):
            if action != "rds-db:connect":
                yield at((*where, "Action"), index), _say("connect_action")
        resources = each(get(statement, "Resource"))
        if resources is None:
            yield (*where, "Resource"), _say("connect_struct")
            continue
        for index, resource in resources:
            problem = _connect_resource(resource)
            if problem:
                yield at((*where, "Resource"), index), _say(problem)
