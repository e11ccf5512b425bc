"""Shared by the catalog tests: example and variant envs, the product, resolution, cfn-lint."""

from __future__ import annotations

import dataclasses

import copy
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from templates_src import __version__
from templates_src.catalog import product, verify
from templates_src.config import load_environments
from templates_src.config.schema.model import EnvConfig
from templates_src.config.product_settings import (DEFAULT_SETTINGS, ProductSettings, ProductWaiverParams,
                                                   missing_waivers)

from builders.envs import PROVISIONER, merge_into

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "tests" / "fixtures" / "params" / "examples"  # conftest.EXAMPLES
REASON = "throwaway test stacks, ticket TEST-1"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"

WITHOUT_DEFAULTS = "_without_defaults"

# Shapes the examples do not cover, each a change to params/dev.yaml (None deletes a key).
VARIANTS: dict[str, dict[str, Any]] = {
    # The dev example (script mode in params/) as the product launches it: with the provisioner.
    "dev": {},
    "own-key-not-retained": {
        "secrets": {"kms_key_arn": KEY_ARN, "retain_on_delete": False, "exclude_characters": ""},
        "waivers": {"retain_on_delete": REASON},
    },
    "postgres-cluster-ipv6": {
        "engine_family": "POSTGRESQL",
        "network": {"client_security_group_ids": [], "allowed_cidrs": ["2001:db8::/32", "10.0.0.0/8"],
                    "endpoint_network_type": "DUAL"},
        "target": {"db_instance_identifier": None, "db_cluster_identifier": "pg-aurora", "port": 5432,
                   "read_only_endpoint": True, "database_name": "orders_pg"},
        "pool": {"max_idle_connections_percent": 0},
        # Every role of the users' SQL on PostgreSQL: the migration users (two, in slots 1 and 3) own
        # the tables the others get default privileges on; an MD5 user's password form.
        "users": [{"username": "owner_a", "role": "migration", "client_password_auth_type": "POSTGRES_MD5"},
                  {"username": "app", "role": "app"}, {"username": "owner_b", "role": "migration"}],
        # Three tags beside Environment: every tag slot used (as the prod example did before its endpoint).
        "tags": {"team": "spaces and = signs", "cost-center": "", "data-classification": "internal"},
        "provisioner": {"admin_secret_kms_key_arn": KEY_ARN},  # the function decrypts the admin's key too
    },
    "postgres-no-roles-no-database": {
        "engine_family": "POSTGRESQL",
        "target": {"port": 5432, "database_name": None},
        "users": [{"username": "plain"}, {"username": "reader", "client_password_auth_type": "POSTGRES_MD5"},
                  {"username": "third", "client_password_auth_type": "POSTGRES_MD5"}],
    },
    "mariadb-without-iam": {
        "proxy": {"require_tls": False, "iam_auth": "DISABLED", "debug_logging": True},
        "target": {"engine": "mariadb"},
        "users": [{"username": "svc", "description": "costs $5 {not a variable}", "role": "app"},
                  {"username": "report", "role": "readonly"}, {"username": "etl", "description": "Loads", "role": "app"}],
        "waivers": {"require_tls": REASON, "iam_auth": REASON, "alarms": REASON},
        "monitoring": {"alarms": False},  # the product's HasAlarms false (the dashboard stays)
    },
    "mysql-pinning-mixed-iam": {
        "pool": {"session_pinning_filters": ["EXCLUDE_VARIABLE_SETS"], "init_query": "SET NAMES utf8mb4"},
        # A given topic with the stack's own key (CreateKey true, CreateAlarmTopic false).
        "monitoring": {"alarm_topic_arn": "arn:aws:sns:eu-west-1:111122223333:ops-alarms", "pinned_percent": 5},
        "users": [{"username": "a_user", "iam_auth": "DISABLED"}, {"username": "b_user", "iam_auth": "DISABLED"},
                  {"username": "c_user"}],
        "waivers": {"iam_auth": REASON},
        # The one iam: option the product takes (HasPermissionsBoundary true).
        "iam": {"permissions_boundary_arn": "arn:aws:iam::111122223333:policy/platform/Boundary"},
    },
    # Without _defaults.yaml (so without tags): every slot full, nothing kept, nobody on IAM.
    "full-slots-nothing-kept": {
        WITHOUT_DEFAULTS: True,
        "engine_family": "MYSQL",
        "region": "eu-west-1",  # the provisioner's admin secret is there
        "target": {"database_name": None},  # no user has a role: MySQL's function connects to no database
        "network": {"client_security_group_ids": ["sg-0a1b2c3d4e5f60733", "sg-0a1b2c3d4e5f60734",
                                                  "sg-0a1b2c3d4e5f60735"],
                    "allowed_cidrs": ["10.1.0.0/16", "192.168.7.0/24", "2001:db8:1::/48"],
                    "endpoint_network_type": "DUAL"},
        "proxy": {"iam_auth": "DISABLED"},
        "secrets": {"retain_on_delete": False},
        "users": [{"username": "one"}, {"username": "two"}, {"username": "three", "description": "Third"}],
        "waivers": {"iam_auth": REASON, "retain_on_delete": REASON},
    },
}


@cache
def examples() -> tuple[EnvConfig, ...]:
    """The example envs the product can launch: it has no end-to-end IAM (each user slot is a
    secret), no extra endpoints, and always the provisioner (VPC endpoints route), so such an env
    gets a note instead of a provisioning file (test_equivalence)."""
    return tuple(cfg for cfg in load_environments(PARAMS, "params")
                 if not cfg.end_to_end_iam and not cfg.endpoints and cfg.provisioner is not None
                 and cfg.provisioner.aws_apis_via.value == "vpc_endpoints")


def dev() -> EnvConfig:
    """params/dev.yaml with the provisioner (the product always has it)."""
    return next(c for c in variants() if c.env == "dev")


def iam_examples() -> tuple[EnvConfig, ...]:
    return tuple(cfg for cfg in load_environments(PARAMS, "params") if cfg.end_to_end_iam)


@cache
def variants() -> tuple[EnvConfig, ...]:
    """The variants, each loaded (and validated) on its own like a params folder with _defaults.yaml."""
    dev = yaml.safe_load((PARAMS / "dev.yaml").read_text(encoding="utf-8"))
    merge_into(dev, PROVISIONER)  # the product always has the provisioner
    result = []
    for name, change in VARIANTS.items():
        params = copy.deepcopy(dev)
        change = dict(change)
        with_defaults = not change.pop(WITHOUT_DEFAULTS, False)
        merge_into(params, change)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "params"
            folder.mkdir()
            if with_defaults:
                shutil.copy(PARAMS / "_defaults.yaml", folder / "_defaults.yaml")
            (folder / f"{name}.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
            result += load_environments(folder, "params")
    return tuple(result)


# A portfolio owner's _product.yaml that lets launchers turn TLS and IAM auth off.
PRODUCT_REASON = "legacy reporting clients, ticket TEST-2"
WAIVED = ProductSettings(ProductWaiverParams(require_tls=PRODUCT_REASON, iam_auth=PRODUCT_REASON))


@cache
def product_body(settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, Any]:
    return product.product_body(__version__, settings)


def settings_for(cfg: EnvConfig) -> ProductSettings:
    """The product an env can be launched with: the default one, or for an env that turns TLS or
    IAM auth off, one whose _product.yaml waives them."""
    return WAIVED if missing_waivers(cfg, DEFAULT_SETTINGS) else DEFAULT_SETTINGS


def weakens(cfg: EnvConfig) -> bool:
    return settings_for(cfg) is WAIVED


def dedicated(cfg: EnvConfig) -> dict[str, dict[str, Any]]:
    return verify.dedicated(cfg)


def launched(cfg: EnvConfig, values: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    return verify.launched(cfg, product_body(settings_for(cfg)), values)


def differences(want: dict[str, Any], got: dict[str, Any]) -> str:
    """One readable report of every entry that differs, '' when none does."""
    return verify.report(verify.differences(want, got))


def lint(text: str, regions: list[str]) -> list[str]:
    """Every cfn-lint finding, informational ones included."""
    from cfnlint.api import lint as cfn_lint
    from cfnlint.config import ManualArgs

    matches = cfn_lint(text, config=ManualArgs(regions=regions, include_checks=["I"]))
    return [f"{m.linenumber}: {m.rule.id}: {m.message}" for m in matches]
