"""One environment as a launch of the product: its parameter values, and what it cannot fit.

``provisioning_values(cfg)`` gives every product parameter a value (empty slots included), so a
launch never depends on the product's defaults; ``logical_ids(cfg)`` says which env resource each
product slot resource stands for (the product's ids are fixed, the env template names resources
after usernames, groups and CIDRs).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..facts import aws as facts
from ..facts.aws import EngineFamily, IamAuth
from ..dbusers.deploy_order import artifact_key
from ..facts.drivers import DEFAULT_DATABASE
from ..facts.provisioner import AwsApiRoute
from ..facts.sql import DEFAULT_SCHEMA
from .parameters import PRODUCT_ENGINES
from ..builders import names
from ..builders.outputs import client_policy_output_name, secret_output_name
from .env_parameters import DB_CLUSTER, DB_INSTANCE, parameter_values
from ..config.errors import ParamsError
from ..config.model import EnvConfig
from ..config.product_settings import DEFAULT_SETTINGS, ProductSettings, missing_waivers
from . import placeholders as ph
from .placeholders import slots

def _flag(value: bool) -> str:
    return "true" if value else "false"


def _cidrs(cfg: EnvConfig, version: int) -> list[str]:
    return [c for c in cfg.network.allowed_cidrs if ipaddress.ip_network(c, strict=False).version == version]


def _extra_tags(cfg: EnvConfig) -> list[tuple[str, str]]:
    """The env's tags other than Environment (the product sets that one from EnvironmentName)."""
    return sorted((k, v) for k, v in (cfg.tags or {}).items() if k != facts.ENVIRONMENT_TAG)


def _fill(names_: list[str], values: list[str]) -> dict[str, str]:
    return {name: values[i] if i < len(values) else "" for i, name in enumerate(names_)}


def product_limits(cfg: EnvConfig, settings: ProductSettings = DEFAULT_SETTINGS) -> list[ParamsError]:
    """What in this env the product (built with ``settings``) cannot take (each a params error on
    the env's file)."""
    problems: list[tuple[tuple[Any, ...], str]] = []

    def at_most(path: tuple[Any, ...], count: int, limit: int, what: str) -> None:
        if count > limit:
            problems.append((path, f"has {count} {what}; the Service Catalog product takes at most {limit}"))

    at_most(("users",), len(cfg.users), ph.USER_SLOTS, "users")
    at_most(("network", "client_security_group_ids"), len(cfg.network.client_security_group_ids),
            ph.CLIENT_SECURITY_GROUP_SLOTS, "client security groups")
    at_most(("network", "allowed_cidrs"), len(_cidrs(cfg, 4)), ph.IPV4_CIDR_SLOTS, "IPv4 CIDRs")
    at_most(("network", "allowed_cidrs"), len(_cidrs(cfg, 6)), ph.IPV6_CIDR_SLOTS, "IPv6 CIDRs")
    at_most(("tags",), len(_extra_tags(cfg)), ph.TAG_SLOTS, "tags besides Environment")
    if cfg.network.database_cidr:
        problems.append((("network", "database_cidr"), "the Service Catalog product narrows the proxy's egress by the "
                                                       "database's security group only, not by a range"))
    # The product's proxy has exactly the group it builds (no parameter names other groups).
    if not cfg.network.create_security_group:
        problems.append((("network", "create_security_group"), "the Service Catalog product always builds the "
                                                               "proxy's security group and attaches only that one"))
    elif cfg.network.proxy_security_group_ids:
        problems.append((("network", "proxy_security_group_ids"), "the Service Catalog product attaches only the "
                                                                  "security group it builds to the proxy"))
    if cfg.secrets.rotation_days is not None:
        problems.append((("secrets", "rotation_days"), "password rotation needs the AWS::SecretsManager "
                                                       "transform, which a Service Catalog product launch cannot expand"))
    problems += _provisioner_limits(cfg)
    if cfg.end_to_end_iam:
        problems.append((("proxy", "default_auth_scheme"), "end-to-end IAM (IAM_AUTH) is not a choice of the Service "
                                                           "Catalog product (it always logs in to the database with "
                                                           "generated secrets)"))
    # The product's role, key and secrets are one shape for every launch but for the boundary (a
    # role path would put the role outside the launch role's role/SC-* scope).
    for name, value in sorted(vars(cfg.iam).items()):
        if value and name != "permissions_boundary_arn":  # the one the product takes
            problems.append((("iam", name), "of the iam: options the Service Catalog product takes only "
                                            "permissions_boundary_arn "
                                            "(launch the env's own template)"))
    # TLS off, or a user without IAM auth REQUIRED: the product offers those values only when the
    # portfolio owner's _product.yaml waives them (parameters.SECURE_VALUES); Service Catalog would
    # refuse a provisioning file with a value outside a parameter's AllowedValues.
    problems += missing_waivers(cfg, settings)
    if cfg.endpoints:  # each has its own VPC, subnets and clients: no fixed set of slots would fit
        problems.append((("endpoints",), "the Service Catalog product has no extra endpoints (deploy the env's "
                                         "own template)"))
    for index, user in enumerate(cfg.users):
        if user.secret_arn:
            problems.append((("users", index, "secret_arn"), "an existing secret cannot be given to the Service "
                                                              "Catalog product (it always generates the secrets)"))
    return [ParamsError(cfg.source, 0, 0, path, message) for path, message in problems]


def _provisioner_limits(cfg: EnvConfig) -> list[tuple[tuple[Any, ...], str]]:
    """The product creates the database users itself (nobody runs create-db-users.sh at a launch)."""
    if cfg.engine_family not in PRODUCT_ENGINES:
        return [(("engine_family",), "the Service Catalog product offers the engines whose users its provisioner "
                                     f"creates ({', '.join(e.value for e in PRODUCT_ENGINES)}); deploy the env's own "
                                     "template")]
    provisioner = cfg.provisioner
    if provisioner is None:
        return [(("provisioner",), "the Service Catalog product creates the database users with the provisioner "
                                   "(nobody runs create-db-users.sh at a launch): add provisioner:")]
    problems: list[tuple[tuple[Any, ...], str]] = []
    if provisioner.aws_apis_via is not AwsApiRoute.VPC_ENDPOINTS:
        problems.append((("provisioner", "aws_apis_via"), "the Service Catalog product's provisioner reaches AWS's "
                                                          "APIs through VPC endpoints only"))
    if not cfg.network.database_security_group_id:
        problems.append((("network", "database_security_group_id"), "the Service Catalog product lets the proxy "
                                                                    "and its provisioner into the database's group: "
                                                                    "give it"))
    if cfg.target.schema_name not in (None, DEFAULT_SCHEMA[cfg.engine_family]):
        problems.append((("target", "schema_name"), "the Service Catalog product grants on the engine's default "
                                                    "schema only"))
    for index, user in enumerate(cfg.users):
        if user.privileges is not None:
            problems.append((("users", index, "privileges"), "the Service Catalog product grants by role only"))
    return problems


def provisioning_values(cfg: EnvConfig) -> dict[str, str]:
    """Every product parameter's value for this env (call ``product_limits`` first)."""
    deploy = parameter_values(cfg)
    provisioner = cfg.provisioner
    assert provisioner is not None and cfg.target.engine is not None, "product_limits refuses it"
    values = {
        ph.ENVIRONMENT: cfg.environment,
        ph.ENGINE: cfg.engine_family.value,
        ph.PROXY_NAME: cfg.proxy.name,
        ph.REQUIRE_TLS: _flag(cfg.proxy.require_tls),
        ph.DEBUG_LOGGING: _flag(cfg.proxy.debug_logging),
        **deploy,
        DB_INSTANCE: deploy.get(DB_INSTANCE, ""),
        DB_CLUSTER: deploy.get(DB_CLUSTER, ""),
        ph.DATABASE_SECURITY_GROUP: cfg.network.database_security_group_id or "",
        ph.ENDPOINT_NETWORK_TYPE: cfg.network.endpoint_network_type.value,
        ph.TARGET_CONNECTION_NETWORK_TYPE: cfg.network.target_connection_network_type.value,
        ph.READ_ONLY_ENDPOINT: _flag(cfg.target.read_only_endpoint),
        ph.INIT_QUERY: cfg.pool.init_query or "",
        ph.SESSION_PINNING: ",".join(f.value for f in cfg.pool.session_pinning_filters),
        ph.KMS_KEY: cfg.secrets.kms_key_arn or "",
        ph.PASSWORD_LENGTH: str(cfg.secrets.password_length),
        ph.EXCLUDE_CHARACTERS: cfg.secrets.exclude_characters or "",
        ph.RETAIN: _flag(cfg.secrets.retain_on_delete),
        ph.ALARMS: _flag(cfg.monitoring.alarms),
        ph.ALARM_TOPIC: cfg.monitoring.alarm_topic_arn or "",
        ph.PERMISSIONS_BOUNDARY: cfg.iam.permissions_boundary_arn or "",
        ph.DATABASE_ENGINE: cfg.target.engine.value,
        ph.DATABASE_NAME: cfg.target.database_name or (DEFAULT_DATABASE[cfg.engine_family]
                                                       if cfg.engine_family is EngineFamily.POSTGRESQL else ""),
        ph.ADMIN_SECRET: provisioner.admin_secret_arn,
        ph.ADMIN_SECRET_KEY: provisioner.admin_secret_kms_key_arn or "",
        ph.ENDPOINT_SECURITY_GROUP: provisioner.endpoint_security_group_id or "",
        ph.S3_PREFIX_LIST: provisioner.s3_prefix_list_id or "",
        ph.ARTIFACT_BUCKET: provisioner.artifact_bucket,
        ph.ARTIFACT_KEY: artifact_key(provisioner.ca_bundle_sha256),
        **_fill([ph.client_security_group(i) for i in slots(ph.CLIENT_SECURITY_GROUP_SLOTS)],
                list(cfg.network.client_security_group_ids)),
        **_fill([ph.ipv4_cidr(i) for i in slots(ph.IPV4_CIDR_SLOTS)], _cidrs(cfg, 4)),
        **_fill([ph.ipv6_cidr(i) for i in slots(ph.IPV6_CIDR_SLOTS)], _cidrs(cfg, 6)),
        **_fill([ph.tag_key(i) for i in slots(ph.TAG_SLOTS)], [k for k, _ in _extra_tags(cfg)]),
        **_fill([ph.tag_value(i) for i in slots(ph.TAG_SLOTS)], [v for _, v in _extra_tags(cfg)]),
    }
    for i in slots(ph.USER_SLOTS):
        user = cfg.users[i - 1] if i <= len(cfg.users) else None
        values.update({
            ph.user_param(i, "Name"): user.username if user else "",
            ph.user_param(i, "Description"): (user.description or "") if user else "",
            # An empty slot keeps the parameters' defaults, which every rule accepts.
            ph.user_param(i, "IamAuth"): user.iam_auth.value if user and user.iam_auth else IamAuth.REQUIRED.value,
            ph.user_param(i, "ClientPasswordAuthType"):
                user.client_password_auth_type.value if user and user.client_password_auth_type else "",
            ph.user_param(i, "Role"): user.role.value if user and user.role else "",
        })
    return values


def provisioning_parameters(cfg: EnvConfig) -> list[dict[str, str]]:
    """For ``aws servicecatalog provision-product --provisioning-parameters file://...``."""
    return [{"Key": key, "Value": value} for key, value in sorted(provisioning_values(cfg).items())]


def logical_ids(cfg: EnvConfig) -> dict[str, str]:
    """Product slot logical id -> the env template's logical id (users, client groups, CIDRs).
    A twin ``<id>Deletable`` (retain off) stands for the same env resource as ``<id>``."""
    mapping = {}
    for i, user in enumerate(cfg.users, start=1):
        mapping[ph.user_secret_id(i)] = names.secret(user.username)
        mapping[ph.user_output_id(i)] = secret_output_name(user.username)
        mapping[ph.user_client_policy_id(i)] = names.client_policy(user.username)
        mapping[ph.user_client_policy_output_id(i)] = client_policy_output_name(user.username)
    for i, group in enumerate(cfg.network.client_security_group_ids, start=1):
        mapping[ph.client_ingress_id(ph.client_security_group(i))] = names.ingress_from_security_group(group)
    for version, parameter in ((4, ph.ipv4_cidr), (6, ph.ipv6_cidr)):
        for i, cidr in enumerate(_cidrs(cfg, version), start=1):
            mapping[ph.client_ingress_id(parameter(i))] = names.ingress_from_cidr(cidr)
    return mapping
