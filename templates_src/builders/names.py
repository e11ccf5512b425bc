"""Logical ids of the template's resources, parameters and outputs, in one place."""

from __future__ import annotations

import re

from ..config.schema.network import StackEndpoint
from ..facts.naming import resource_name


KEY = "ProxySecretsKey"
KEY_ALIAS = "ProxySecretsKeyAlias"
SECURITY_GROUP = "ProxySecurityGroup"
DATABASE_INGRESS = "DatabaseIngressFromProxy"
ROLE = "ProxyRole"
ROLE_POLICY = "ProxyRolePolicy"
PROXY = "Proxy"
TARGET_GROUP = "ProxyTargetGroup"
READ_ONLY_ENDPOINT = "ProxyReadOnlyEndpoint"
LOG_GROUP = "ProxyLogGroup"
ADOPTED_LOG_GROUP = "AdoptedProxyLogGroup"  # with the users provisioner (builders/logs.py)
ROTATION_SECURITY_GROUP = "RotationSecurityGroup"
DATABASE_INGRESS_FROM_ROTATION = "DatabaseIngressFromRotation"
ENDPOINT_INGRESS_FROM_ROTATION = "SecretsManagerEndpointIngressFromRotation"


def secret(username: str) -> str:
    return f"{resource_name(username)}Secret"


def secret_policy(username: str) -> str:
    return f"{resource_name(username)}SecretPolicy"


def users_ready(digest: str) -> str:
    return f"DatabaseUsers{digest}Ready"


def users_ready_handle(digest: str) -> str:
    return f"DatabaseUsers{digest}Handle"


def client_policy(username: str) -> str:
    return f"{resource_name(username)}ClientPolicy"


def secret_attachment(username: str) -> str:
    return f"{resource_name(username)}SecretAttachment"


def secret_rotation(username: str) -> str:
    return f"{resource_name(username)}SecretRotation"


def ssm_parameter(what: str) -> str:
    """An SSM parameter of ssm_parameter_path: endpoint -> SsmParameterEndpoint."""
    return "SsmParameter" + resource_name(what.replace("-", "_").replace("/", "_"))


def ingress_from_security_group(group_id: str) -> str:
    return "ProxyIngressFrom" + resource_name(group_id.replace("-", "_"))


def endpoint(name: str) -> str:
    """An extra endpoint's DBProxyEndpoint: orders-apps -> EndpointOrdersApps (its group and rules
    start with the same id, its outputs too)."""
    return "Endpoint" + resource_name(name.replace("-", "_"))


def stack_endpoint(made: StackEndpoint) -> str:
    """The DBProxyEndpoint of any endpoint the stack makes: the read-only endpoint, in the proxy's
    network, keeps the id its stacks were deployed with (a new one would replace it); an
    ``endpoints:`` entry is named after its name."""
    return READ_ONLY_ENDPOINT if made.shares_proxy_network else endpoint(made.name)


def endpoint_security_group(name: str) -> str:
    return endpoint(name) + "SecurityGroup"


def endpoint_ingress_from_security_group(name: str, group_id: str) -> str:
    return endpoint(name) + "IngressFrom" + resource_name(group_id.replace("-", "_"))


def endpoint_ingress_from_cidr(name: str, cidr: str) -> str:
    return endpoint(name) + ingress_from_cidr(cidr).removeprefix("Proxy")


def ingress_from_cidr(cidr: str) -> str:
    # Keep every character's meaning so two ranges never share a name: . -> D, / -> P, : -> C.
    return "ProxyIngressFromCidr" + re.sub(r"[./:]", lambda m: {".": "D", "/": "P", ":": "C"}[m.group()], cidr)


# The Service Catalog product (and so every stack set instance) names resources by slot, not by
# username (catalog/placeholders.py uses these): user i's secret is User<i>Secret, or its
# <id>Deletable twin when RetainOnDelete is false (catalog/twins.py).
DELETABLE_SUFFIX = "Deletable"


def product_user_secret(index: int, retained: bool = True) -> str:
    return f"User{index}Secret" + ("" if retained else DELETABLE_SUFFIX)


ALARM_TOPIC = "ProxyAlarmTopic"
DASHBOARD = "ProxyDashboard"


def alarm(what: str) -> str:
    """``pool-saturation`` -> ``ProxyPoolSaturationAlarm``."""
    return "Proxy" + "".join(part.capitalize() for part in what.split("-")) + "Alarm"


# The database-users provisioner (builders/provisioner.py).
DATABASE_USERS = "DatabaseUsers"
PROVISIONER_FUNCTION = "DatabaseUsersFunction"
PROVISIONER_ROLE = "DatabaseUsersRole"
PROVISIONER_POLICY = "DatabaseUsersPolicy"
PROVISIONER_LOG_GROUP = "DatabaseUsersLogGroup"
PROVISIONER_SECURITY_GROUP = "DatabaseUsersSecurityGroup"
DATABASE_INGRESS_FROM_PROVISIONER = "DatabaseIngressFromDatabaseUsers"
ENDPOINT_INGRESS_FROM_PROVISIONER = "VpcEndpointIngressFromDatabaseUsers"
