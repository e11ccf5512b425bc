"""Planted violations (and planted non-violations) of the project's policies, as a table.

Each case edits the example ``dev`` template (built in memory from the example params) and
names the rules that must then fail, none for an edit the rules must accept. Both forms of the
policies are held to it: the cfn-lint rules the build runs (``policy_rules``) and their Guard
twins in ``policies/*.guard``. Resources are named by role (``{client}``: the first client
policy, ``{secret}``: the first secret, ...) so the table does not depend on logical ids.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from conftest import example_template_text

CONNECT = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:%s/app_user"
DB_RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXY1"
CLUSTER_RESOURCE_ID = "cluster-ABCDEFGHIJKLMNOPQRSTUV2"


@cache
def dev_template() -> str:
    """The dev template as JSON, long-form intrinsics (as Guard reads it)."""
    from cfn_flip import load_yaml

    return json.dumps(load_yaml(example_template_text("dev")))


def roles(template: dict[str, Any]) -> dict[str, str]:
    """Logical ids by role, found by type and shape."""
    resources = template["Resources"]

    def first(kind: str, test=lambda r: True, nth: int = 0) -> str:
        return [n for n, r in sorted(resources.items()) if r["Type"] == kind and test(r)][nth]

    connect = lambda r: "rds-db:connect" in json.dumps(r)  # noqa: E731
    return {
        "proxy": first("AWS::RDS::DBProxy"),
        "client": first("AWS::IAM::ManagedPolicy", connect),
        "role": first("AWS::IAM::Role", lambda r: "rds.amazonaws.com" in json.dumps(r)),
        "secret": first("AWS::SecretsManager::Secret"),
        "secret2": first("AWS::SecretsManager::Secret", nth=1),
        "key": first("AWS::KMS::Key"),
        "logs": first("AWS::Logs::LogGroup"),
        "sg": first("AWS::EC2::SecurityGroup"),
        "ingress": first("AWS::EC2::SecurityGroupIngress", lambda r: "SourceSecurityGroupId" in r["Properties"]),
    }


def _world_rule(family: str, cidr: str) -> dict:
    return {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["ProxySecurityGroup", "GroupId"]}, "IpProtocol": "tcp",
        "FromPort": 3306, "ToPort": 3306, "Description": "planted", family: cidr}}


def _egress_resource(family: str, cidr: str) -> dict:
    return {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["ProxySecurityGroup", "GroupId"]}, "IpProtocol": "tcp",
        "FromPort": 3306, "ToPort": 3306, "Description": "planted", family: cidr}}


def _schedule(secret: str) -> dict:
    """A rotation schedule of ``secret`` (a role placeholder, filled in by ``apply``)."""
    return {"Type": "AWS::SecretsManager::RotationSchedule", "Properties": {
        "SecretId": {"Ref": secret}, "RotationRules": {"AutomaticallyAfterDays": 30}}}


def _waive(rule: str, reason: Any = "legacy client, see TICKET-123") -> dict:
    return {"RdsProxyCfn": {"Waivers": {rule: reason}}}


def _role_connect(resource: Any) -> dict:
    """An inline policy of the proxy role allowing rds-db:connect on ``resource``."""
    return {"PolicyName": "connect-to-database", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "rds-db:connect", "Resource": resource}]}}


def _database_policy(resource: Any) -> dict:
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["rds-db:connect"], "Resource": [resource]}]}}}


_STMT = "{client}.Properties.PolicyDocument.Statement.0"
# The dev secrets record their rotation waiver here (params waivers.rotation).
_SECRET_WAIVERS = "{secret}.Metadata.RdsProxyCfn.Waivers"
_SG_EGRESS = "{sg}.Properties.SecurityGroupEgress.0"
_PROXY_ID = _STMT + ".Resource.0.Fn::Sub.1.ProxyId"
# AWS CDK's allowAllOutbound: false rule (ICMP type 252 code 86 to 255.255.255.255), and the
# endpoints' rule that reaches nothing instead (builders/endpoints.py).
_ICMP_PLACEHOLDER = {"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252,
                     "IpProtocol": "icmp", "ToPort": 86}
_LOOPBACK = {"CidrIp": "127.0.0.1/32", "Description": "planted", "FromPort": 3306, "IpProtocol": "tcp", "ToPort": 3306}
_APPEND = object()  # as a value: append the edit's item to the list at the path

# (case, edits as (path under Resources, new value; None deletes), the rules that must fail)
CASES: list[tuple[str, list[tuple[str, Any]], set[str]]] = [
    ("unchanged", [], set()),
    # proxy
    ("require-tls-false", [("{proxy}.Properties.RequireTLS", False)], {"proxy/rds_proxy_requires_tls"}),
    ("require-tls-missing", [("{proxy}.Properties.RequireTLS", None)], {"proxy/rds_proxy_requires_tls"}),
    ("require-tls-as-text", [("{proxy}.Properties.RequireTLS", "true")], {"proxy/rds_proxy_requires_tls"}),
    ("iam-auth-disabled", [("{proxy}.Properties.Auth.1.IAMAuth", "DISABLED")], {"proxy/rds_proxy_auth_iam_required"}),
    ("iam-auth-missing", [("{proxy}.Properties.Auth.0.IAMAuth", None)], {"proxy/rds_proxy_auth_iam_required"}),
    ("end-to-end-iam-no-auth", [("{proxy}.Properties.Auth", None), ("{proxy}.Properties.DefaultAuthScheme", "IAM_AUTH")],
     set()),
    ("no-auth-no-scheme", [("{proxy}.Properties.Auth", None)], {"proxy/rds_proxy_auth_iam_required"}),
    ("no-auth-scheme-none", [("{proxy}.Properties.Auth", None), ("{proxy}.Properties.DefaultAuthScheme", "NONE")],
     {"proxy/rds_proxy_auth_iam_required"}),
    ("end-to-end-iam-with-a-weak-entry", [("{proxy}.Properties.DefaultAuthScheme", "IAM_AUTH"),
                                          ("{proxy}.Properties.Auth.0.IAMAuth", "DISABLED")],
     {"proxy/rds_proxy_auth_iam_required"}),
    ("empty-auth", [("{proxy}.Properties.Auth", [])], {"proxy/rds_proxy_auth_iam_required"}),
    # network
    ("ingress-0.0.0.0/0", [("WorldIngress", _world_rule("CidrIp", "0.0.0.0/0"))],
     {"network/no_world_open_ingress_resources"}),
    ("ingress-::/0", [("WorldIngress", _world_rule("CidrIpv6", "::/0"))], {"network/no_world_open_ingress_resources"}),
    ("ingress-10.0.0.0/8", [("NarrowIngress", _world_rule("CidrIp", "10.0.0.0/8"))], set()),
    ("client-rule-opened", [("{ingress}.Properties.SourceSecurityGroupId", None),
                            ("{ingress}.Properties.CidrIp", "0.0.0.0/0")], {"network/no_world_open_ingress_resources"}),
    ("inline-ingress-open", [("{sg}.Properties.SecurityGroupIngress",
                              [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306}])],
     {"network/no_world_open_inline_ingress"}),
    ("inline-ingress-v6-open", [("{sg}.Properties.SecurityGroupIngress",
                                 [{"CidrIpv6": "::/0", "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306}])],
     {"network/no_world_open_inline_ingress"}),
    # secrets
    ("secret-string", [("{secret}.Properties.SecretString", '{"username": "app_user", "password": "hunter2"}')],
     {"secrets/no_plaintext_secret_string"}),
    ("secret-string-instead", [("{secret2}.Properties.GenerateSecretString", None),
                               ("{secret2}.Properties.SecretString", "hunter2")], {"secrets/no_plaintext_secret_string"}),
    ("password-in-template", [("{secret}.Properties.GenerateSecretString.SecretStringTemplate",
                               '{"username": "app_user", "password": "hunter2"}')], {"secrets/no_plaintext_secret_string"}),
    # retention
    ("retain-except-on-create", [("{secret}.DeletionPolicy", "RetainExceptOnCreate"),
                                 ("{key}.DeletionPolicy", "RetainExceptOnCreate"),
                                 ("{logs}.DeletionPolicy", "RetainExceptOnCreate")], set()),
    ("secret-deleted", [("{secret}.DeletionPolicy", "Delete")], {"retention/secrets_key_and_logs_retained"}),
    ("secret-snapshot", [("{secret}.DeletionPolicy", "Snapshot")], {"retention/secrets_key_and_logs_retained"}),
    ("key-replaced", [("{key}.UpdateReplacePolicy", "Delete")], {"retention/secrets_key_and_logs_retained"}),
    ("replace-except-on-create", [("{key}.UpdateReplacePolicy", "RetainExceptOnCreate")],
     {"retention/secrets_key_and_logs_retained"}),
    ("log-group-unprotected", [("{logs}.DeletionPolicy", None)], {"retention/secrets_key_and_logs_retained"}),
    # iam: the client form
    ("connect-anywhere", [(_STMT + ".Resource", ["*"])], {"iam/client_policy_scoped_to_proxy"}),
    ("connect-anywhere-single", [(_STMT + ".Resource", "*")], {"iam/client_policy_scoped_to_proxy"}),
    ("connect-any-user", [(_STMT + ".Resource.0.Fn::Sub.0", CONNECT.replace("/app_user", "/*") % "${ProxyId}")],
     {"iam/client_policy_scoped_to_proxy"}),
    ("connect-fixed-proxy", [(_STMT + ".Resource.0", {"Fn::Sub": CONNECT % "prx-0123456789abcdef0"})],
     {"iam/client_policy_scoped_to_proxy"}),
    ("connect-proxy-variable-unbound", [(_STMT + ".Resource.0", {"Fn::Sub": CONNECT % "${ProxyId}"})],
     {"iam/client_policy_scoped_to_proxy"}),
    ("connect-other-id", [(_PROXY_ID, {"Ref": "AWS::StackName"})], {"iam/client_policy_scoped_to_proxy"}),
    ("connect-other-attribute", [(_PROXY_ID + ".Fn::Select.1.Fn::Split.1.Fn::GetAtt", "Proxy.Endpoint")],
     {"iam/client_policy_scoped_to_proxy"}),
    ("connect-dotted-getatt", [(_PROXY_ID + ".Fn::Select.1.Fn::Split.1.Fn::GetAtt", "Proxy.DBProxyArn")], set()),
    ("connect-other-field", [(_PROXY_ID + ".Fn::Select.0", 5)], {"iam/client_policy_scoped_to_proxy"}),
    ("rds-db-wildcard-action", [(_STMT + ".Action", ["rds-db:*"])], {"iam/client_policy_scoped_to_proxy"}),
    ("connect-and-more", [(_STMT + ".Action", ["rds-db:connect", "rds-db:*"])], {"iam/client_policy_scoped_to_proxy"}),
    # iam: the proxy role's end-to-end IAM form (an inline policy or a managed policy)
    ("role-connects-to-instance", [("{role}.Properties.Policies", _APPEND,
                                    _role_connect({"Fn::Sub": CONNECT % DB_RESOURCE_ID}))], {"iam/no_inline_policies"}),
    ("role-connects-to-cluster", [("{role}.Properties.Policies", _APPEND,
                                   _role_connect([{"Fn::Sub": CONNECT % CLUSTER_RESOURCE_ID}]))], {"iam/no_inline_policies"}),
    ("managed-policy-connects-to-database", [("DatabasePolicy", _database_policy({"Fn::Sub": CONNECT % DB_RESOURCE_ID}))],
     set()),
    ("role-connects-anywhere", [("{role}.Properties.Policies", _APPEND, _role_connect("*"))],
     {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("role-connects-as-any-user", [("{role}.Properties.Policies", _APPEND, _role_connect(
        {"Fn::Sub": CONNECT.replace("app_user", "*") % DB_RESOURCE_ID}))], {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("role-connects-to-any-database", [("{role}.Properties.Policies", _APPEND, _role_connect(
        {"Fn::Sub": CONNECT % "*"}))], {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("role-connects-to-a-proxy-id-string", [("{role}.Properties.Policies", _APPEND, _role_connect(
        {"Fn::Sub": CONNECT % "prx-0123456789abcdef0"}))], {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("role-connects-by-fixed-arn", [("{role}.Properties.Policies", _APPEND, _role_connect(
        "arn:aws:rds-db:eu-west-1:111122223333:dbuser:" + DB_RESOURCE_ID + "/app_user"))],
     {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("role-connects-in-another-account", [("{role}.Properties.Policies", _APPEND, _role_connect(
        {"Fn::Sub": "arn:${AWS::Partition}:rds-db:${AWS::Region}:444455556666:dbuser:" + DB_RESOURCE_ID + "/app_user"}))],
     {"iam/client_policy_scoped_to_proxy", "iam/no_inline_policies"}),
    ("managed-policy-connects-to-any-database", [("DatabasePolicy", _database_policy({"Fn::Sub": CONNECT % "db-*"}))],
     {"iam/client_policy_scoped_to_proxy"}),
    # registry intents: no inline policies, no world egress, every secret rotated
    ("inline-policy-on-role", [("{role}.Properties.Policies", _APPEND, {"PolicyName": "extra", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}})],
     {"iam/no_inline_policies"}),
    ("empty-inline-policies", [("{role}.Properties.Policies", [])], set()),
    ("egress-to-every-ipv4-address", [(_SG_EGRESS + ".DestinationSecurityGroupId", None),
                                      (_SG_EGRESS + ".CidrIp", "0.0.0.0/0")], {"network/no_world_open_egress"}),
    ("egress-to-every-ipv6-address", [(_SG_EGRESS + ".DestinationSecurityGroupId", None),
                                      (_SG_EGRESS + ".CidrIpv6", "::/0")], {"network/no_world_open_egress"}),
    ("egress-to-a-range", [(_SG_EGRESS + ".DestinationSecurityGroupId", None), (_SG_EGRESS + ".CidrIp", "10.9.0.0/24")],
     set()),
    ("egress-resource-to-every-address", [("WorldEgress", _egress_resource("CidrIp", "0.0.0.0/0"))],
     {"network/no_world_open_egress"}),
    ("egress-resource-to-a-range", [("NarrowEgress", _egress_resource("CidrIpv6", "2001:db8::/48"))], set()),
    ("world-egress-waived", [(_SG_EGRESS + ".DestinationSecurityGroupId", None), (_SG_EGRESS + ".CidrIp", "0.0.0.0/0"),
                             ("{sg}.Metadata", _waive("no_world_open_egress"))], set()),
    ("world-egress-waiver-blank", [(_SG_EGRESS + ".DestinationSecurityGroupId", None),
                                   (_SG_EGRESS + ".CidrIp", "0.0.0.0/0"),
                                   ("{sg}.Metadata", _waive("no_world_open_egress", "  "))],
     {"network/no_world_open_egress"}),
    ("egress-resource-waived", [("WorldEgress", {**_egress_resource("CidrIp", "0.0.0.0/0"),
                                                 "Metadata": _waive("no_world_open_egress")})], set()),
    # registry intents: every group names its egress, each egress rule one TCP or UDP port
    ("group-without-egress", [("{sg}.Properties.SecurityGroupEgress", None)], {"network/security_groups_name_egress"}),
    ("group-with-empty-egress", [("{sg}.Properties.SecurityGroupEgress", [])], {"network/security_groups_name_egress"}),
    ("egress-icmp-placeholder", [("{sg}.Properties.SecurityGroupEgress", [_ICMP_PLACEHOLDER])],
     {"network/egress_one_port"}),
    ("egress-port-range", [(_SG_EGRESS + ".ToPort", 3307)], {"network/egress_one_port"}),
    ("egress-every-port", [(_SG_EGRESS + ".FromPort", 0), (_SG_EGRESS + ".ToPort", 65535)], {"network/egress_one_port"}),
    ("egress-every-protocol", [(_SG_EGRESS + ".IpProtocol", "-1"), (_SG_EGRESS + ".FromPort", None),
                               (_SG_EGRESS + ".ToPort", None)], {"network/egress_one_port"}),
    ("egress-port-as-text", [(_SG_EGRESS + ".ToPort", "3306")], {"network/egress_one_port"}),
    ("egress-udp-one-port", [(_SG_EGRESS + ".IpProtocol", "udp")], set()),
    ("egress-to-loopback-only", [("{sg}.Properties.SecurityGroupEgress", [_LOOPBACK])], set()),
    ("egress-resource-port-range", [("RangeEgress", {**_egress_resource("CidrIp", "10.9.0.0/24"), "Properties": {
        **_egress_resource("CidrIp", "10.9.0.0/24")["Properties"], "ToPort": 3310}})], {"network/egress_one_port"}),
    ("egress-resource-every-protocol", [("AnyEgress", {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["ProxySecurityGroup", "GroupId"]}, "IpProtocol": "-1",
        "CidrIp": "10.9.0.0/24", "Description": "planted"}})], {"network/egress_one_port"}),
    ("secret-not-rotated", [(_SECRET_WAIVERS + ".generated_secrets_rotated", None)],
     {"secrets/generated_secrets_rotated"}),
    ("rotation-waiver-blank", [(_SECRET_WAIVERS + ".generated_secrets_rotated", " ")],
     {"secrets/generated_secrets_rotated"}),
    ("secret-rotated", [(_SECRET_WAIVERS + ".generated_secrets_rotated", None), ("Rotation", _schedule("{secret}"))],
     set()),
    ("schedule-of-another-secret", [(_SECRET_WAIVERS + ".generated_secrets_rotated", None),
                                    ("Rotation", _schedule("{secret2}"))], {"secrets/generated_secrets_rotated"}),
    ("schedule-by-arn-string", [(_SECRET_WAIVERS + ".generated_secrets_rotated", None),
                                ("Rotation", {**_schedule("{secret}"), "Properties": {
                                    "SecretId": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf",
                                    "RotationRules": {"AutomaticallyAfterDays": 30}}})],
     {"secrets/generated_secrets_rotated"}),
    # waivers: a reason recorded in the weakened resource's Metadata
    ("tls-waived", [("{proxy}.Properties.RequireTLS", False), ("{proxy}.Metadata", _waive("rds_proxy_requires_tls"))],
     set()),
    ("iam-auth-waived", [("{proxy}.Properties.Auth.1.IAMAuth", "DISABLED"),
                         ("{proxy}.Metadata", _waive("rds_proxy_auth_iam_required"))], set()),
    ("secret-retention-waived", [("{secret}.DeletionPolicy", "Delete"),
                                 (_SECRET_WAIVERS + ".secrets_key_and_logs_retained", "throwaway, TICKET-123")], set()),
    ("blank-reason", [("{proxy}.Properties.RequireTLS", False), ("{proxy}.Metadata", _waive("rds_proxy_requires_tls", " "))],
     {"proxy/rds_proxy_requires_tls"}),
    ("reason-not-text", [("{proxy}.Properties.RequireTLS", False),
                         ("{proxy}.Metadata", _waive("rds_proxy_requires_tls", ["a reason"]))],
     {"proxy/rds_proxy_requires_tls"}),
    ("other-rule-waived", [("{proxy}.Properties.RequireTLS", False),
                           ("{proxy}.Metadata", _waive("rds_proxy_auth_iam_required"))], {"proxy/rds_proxy_requires_tls"}),
    ("waiver-on-another-resource", [("{secret}.DeletionPolicy", "Delete"),
                                    (_SECRET_WAIVERS.replace("{secret}", "{secret2}") + ".secrets_key_and_logs_retained",
                                     "throwaway, TICKET-123")],
     {"retention/secrets_key_and_logs_retained"}),
    ("world-ingress-is-not-waivable", [("WorldIngress", {**_world_rule("CidrIp", "0.0.0.0/0"),
                                                         "Metadata": _waive("no_world_open_ingress_resources")})],
     {"network/no_world_open_ingress_resources"}),
    ("secret-string-is-not-waivable", [("{secret}.Properties.SecretString", "hunter2"),
                                       (_SECRET_WAIVERS + ".no_plaintext_secret_string", "legacy, TICKET-123")],
     {"secrets/no_plaintext_secret_string"}),
    ("connect-is-not-waivable", [(_STMT + ".Resource", ["*"]),
                                 ("{client}.Metadata", _waive("client_policy_scoped_to_proxy"))],
     {"iam/client_policy_scoped_to_proxy"}),
]


def apply(template_json: str, edits: list[tuple]) -> dict[str, Any]:
    """The template with the edits made; paths name resources by role (see ``roles``)."""
    template = json.loads(template_json)
    names = roles(template)
    for path, value, *item in edits:
        value = _filled(value, names)
        *parents, last = path.format(**names).split(".")
        node = template["Resources"]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[int(last) if isinstance(node, list) else last]
        elif value is _APPEND:
            node[last] = [*node.get(last, []), copy.deepcopy(item[0])]
        elif isinstance(node, list):
            node[int(last)] = copy.deepcopy(value)
        else:
            node[last] = copy.deepcopy(value)
    return template


def _filled(value: Any, names: dict[str, str]) -> Any:
    """A planted value with role placeholders (a string that is exactly ``{secret}``) named."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in names:
        return names[value[1:-1]]
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, names) for v in value]
    return value


# --- the Service Catalog product's launch parameters (policy_product, policies/product.guard) ----

@cache
def product_template() -> str:
    """The default product (no _product.yaml) as JSON, long-form intrinsics."""
    from templates_src import __version__
    from templates_src.catalog import product

    return json.dumps(product.product_body(__version__))


_PRODUCT_TLS = "product/product_offers_tls_only"
_PRODUCT_IAM = "product/product_offers_iam_auth_required_only"
_TLS_VALUES = "Parameters.RequireTLS.AllowedValues"
_IAM_VALUES = "Parameters.User2IamAuth.AllowedValues"
_WAIVERS = "Metadata.RdsProxyCfn"

# (case, edits as (path from the template's root, new value; None deletes), the rules that must fail)
PRODUCT_CASES: list[tuple[str, list[tuple[str, Any]], set[str]]] = [
    ("product-unchanged", [], set()),
    ("product-offers-tls-false", [(_TLS_VALUES, ["true", "false"])], {_PRODUCT_TLS}),
    ("product-tls-unconstrained", [(_TLS_VALUES, None)], {_PRODUCT_TLS}),
    ("product-tls-as-boolean", [(_TLS_VALUES, [True])], {_PRODUCT_TLS}),
    ("product-tls-waived", [(_TLS_VALUES, ["true", "false"]),
                            (_WAIVERS, {"Waivers": {"require_tls": "legacy clients, TICKET-9"}})], set()),
    ("product-tls-waiver-blank", [(_TLS_VALUES, ["true", "false"]), (_WAIVERS, {"Waivers": {"require_tls": " "}})],
     {_PRODUCT_TLS}),
    ("product-tls-waiver-not-text", [(_TLS_VALUES, ["true", "false"]),
                                     (_WAIVERS, {"Waivers": {"require_tls": ["legacy clients"]}})], {_PRODUCT_TLS}),
    ("product-offers-iam-disabled", [(_IAM_VALUES, ["REQUIRED", "DISABLED"])], {_PRODUCT_IAM}),
    ("product-iam-unconstrained", [("Parameters.User1IamAuth.AllowedValues", None)], {_PRODUCT_IAM}),
    ("product-iam-waived", [(_IAM_VALUES, ["REQUIRED", "DISABLED"]),
                            (_WAIVERS, {"Waivers": {"iam_auth": "vendor tool, TICKET-10"}})], set()),
    ("product-iam-waiver-of-tls-only", [(_IAM_VALUES, ["REQUIRED", "DISABLED"]),
                                        (_WAIVERS, {"Waivers": {"require_tls": "legacy clients, TICKET-9"}})],
     {_PRODUCT_IAM}),
    ("product-both-offered", [(_TLS_VALUES, ["false", "true"]), (_IAM_VALUES, ["ENABLED"])], {_PRODUCT_TLS, _PRODUCT_IAM}),
]


def apply_at_root(template_json: str, edits: list[tuple[str, Any]]) -> dict[str, Any]:
    """The template with the edits made, paths from its root (``Parameters.RequireTLS...``)."""
    template = json.loads(template_json)
    for path, value in edits:
        *parents, last = path.split(".")
        node = template
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return template
