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
from ..facts.aws import EngineFamily
from ..dbusers.deploy_order import artifact_key
from ..facts.drivers import DEFAULT_DATABASE
from ..facts.provisioner import AwsApiRoute
from ..facts.sql import DEFAULT_SCHEMA
from ..config.schema.key_paths import ITEM, value_at
from .parameters import ALL, PRODUCT_ENGINES
from .product_parameter import ProductParameter, cfn_text
from ..builders import names
from ..builders.outputs import client_policy_output_name, secret_output_name
from ..config.errors import ParamsError
from ..config.schema.model import EnvConfig
from ..config.product_settings import DEFAULT_SETTINGS, ProductSettings, missing_waivers
from . import placeholders as ph
from .placeholders import slots

CIDRS = "network.allowed_cidrs"
USERS = "users" + ITEM


def _cidrs(cfg: EnvConfig, version: int) -> list[str]:
    return [c for c in cfg.network.allowed_cidrs if ipaddress.ip_network(c, strict=False).version == version]


def _extra_tags(cfg: EnvConfig) -> list[tuple[str, str]]:
    """The env's tags other than Environment (the product sets that one from EnvironmentName)."""
    return sorted((k, v) for k, v in (cfg.tags or {}).items() if k != facts.ENVIRONMENT_TAG)


def _fill(names_: list[str], values: list[str]) -> dict[str, str]:
    return {name: values[i] if i < len(values) else "" for i, name in enumerate(names_)}


def _slot_limits(cfg: EnvConfig) -> list[tuple[tuple[Any, ...], str]]:
    """More users, client groups, CIDRs or tags than the product has slots for."""
    counts = (
        (("users",), len(cfg.users), ph.USER_SLOTS, "users"),
        (("network", "client_security_group_ids"), len(cfg.network.client_security_group_ids),
         ph.CLIENT_SECURITY_GROUP_SLOTS, "client security groups"),
        (("network", "allowed_cidrs"), len(_cidrs(cfg, 4)), ph.IPV4_CIDR_SLOTS, "IPv4 CIDRs"),
        (("network", "allowed_cidrs"), len(_cidrs(cfg, 6)), ph.IPV6_CIDR_SLOTS, "IPv6 CIDRs"),
        (("tags",), len(_extra_tags(cfg)), ph.TAG_SLOTS, "tags besides Environment"),
    )
    return [(path, f"has {count} {what}; the Service Catalog product takes at most {limit}")
            for path, count, limit, what in counts if count > limit]


def product_limits(cfg: EnvConfig, settings: ProductSettings = DEFAULT_SETTINGS) -> list[ParamsError]:
    """What in this env the product (built with ``settings``) cannot take (each a params error on
    the env's file)."""
    problems = _slot_limits(cfg)
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
    # portfolio owner's _product.yaml waives them (offer.SECURE_VALUES); Service Catalog would
    # refuse a provisioning file with a value outside a parameter's AllowedValues.
    problems += missing_waivers(cfg, settings)
    if cfg.endpoints:  # each has its own VPC, subnets and clients: no fixed set of slots would fit
        problems.append((("endpoints",), "the Service Catalog product has no extra endpoints (deploy the env's "
                                         "own template)"))
    if cfg.ssm_parameter_path:
        problems.append((("ssm_parameter_path",), "the Service Catalog product publishes no SSM parameters (deploy "
                                                  "the env's own template)"))
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


def _keyed_value(cfg: EnvConfig, parameter: ProductParameter) -> str | None:
    """The env's value of a parameter that carries a key, as text (an unused slot: the parameter's
    default, which every rule accepts); None for the product's own and the CIDR slots (by IP version)."""
    key, slot = parameter.key, parameter.slot
    if key is None or key == CIDRS:
        return None
    if key.startswith(USERS):
        assert slot is not None
        return cfn_text(value_at(cfg, key, slot - 1)) if slot <= len(cfg.users) else parameter.default
    value = value_at(cfg, key)
    if slot is not None:
        return cfn_text(value[slot - 1]) if slot <= len(value) else ""
    return cfn_text(value)


def provisioning_values(cfg: EnvConfig) -> dict[str, str]:
    """Every product parameter's value for this env (call ``product_limits`` first)."""
    provisioner = cfg.provisioner
    assert provisioner is not None and cfg.target.engine is not None, "product_limits refuses it"
    values = {p.name: value for p in ALL.values() if (value := _keyed_value(cfg, p)) is not None}
    values.update({
        # PostgreSQL's function connects to a database even when no grant names one.
        ph.DATABASE_NAME: cfg.target.database_name or (DEFAULT_DATABASE[cfg.engine_family]
                                                       if cfg.engine_family is EngineFamily.POSTGRESQL else ""),
        ph.ARTIFACT_KEY: artifact_key(provisioner.ca_bundle_sha256),
        **_fill([ph.ipv4_cidr(i) for i in slots(ph.IPV4_CIDR_SLOTS)], _cidrs(cfg, 4)),
        **_fill([ph.ipv6_cidr(i) for i in slots(ph.IPV6_CIDR_SLOTS)], _cidrs(cfg, 6)),
        **_fill([ph.tag_key(i) for i in slots(ph.TAG_SLOTS)], [k for k, _ in _extra_tags(cfg)]),
        **_fill([ph.tag_value(i) for i in slots(ph.TAG_SLOTS)], [v for _, v in _extra_tags(cfg)]),
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
