"""Does launching the product with an env's provisioning parameters give the env's own stack?

Both templates are resolved (``resolve.resolve``) and normalised (``resolve.comparable``), then
compared resource by resource and output by output. The build runs this for every env before it
writes a provisioning-parameters.json, and the tests run it for the examples and more shapes.

Two differences are expected and skipped: an output's Description cannot use functions, so the
product's per-user outputs (secret, client policy) describe the parameter (``User1Name``), not the username; and a
retained resource with a fixed name (the log group) keeps its retained policies in the product
whatever RetainOnDelete says (``twins``: it cannot have a twin).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from ..facts.cloudformation import RETAIN_POLICIES
from ..builders.outputs import client_policy_output_name, secret_output_name
from ..config.schema.model import EnvConfig
from ..builders import plain
from ..builders.stack import build_template
from . import provisioning, twins
from .resolve import comparable, resolve


def dedicated(cfg: EnvConfig, body: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The env's own template, resolved (``body``: the template as a dict, when the caller has
    built it already). It has no Parameters: every value is in it."""
    body = plain.body(build_template(cfg)) if body is None else body
    return comparable(resolve(body, {}))


def launched(cfg: EnvConfig, product: dict[str, Any], values: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The product, resolved with the env's provisioning parameters, in the env's logical ids."""
    values = provisioning.provisioning_values(cfg) if values is None else values
    return comparable(resolve(product, values), provisioning.logical_ids(cfg))


def _comparable_outputs(cfg: EnvConfig, outputs: dict[str, Any]) -> dict[str, Any]:
    user_outputs = {name for user in cfg.users
                    for name in (secret_output_name(user.username), client_policy_output_name(user.username))}
    return {name: {k: v for k, v in output.items() if not (name in user_outputs and k == "Description")}
            for name, output in outputs.items()}


def differences(want: dict[str, Any], got: dict[str, Any]) -> dict[str, str]:
    """Logical id -> a unified diff (env template, product), for each entry that differs
    (``want``, ``got``: sections made ``resolve.comparable``)."""
    result = {}
    for logical_id in sorted(set(want) | set(got)):
        # Equal trees first (resolve.comparable leaves only text, None, lists and dicts with text
        # keys, so == agrees with the dumps), then compact dumps (C encoder): the indented dump
        # for the diff only where they differ.
        if want.get(logical_id) == got.get(logical_id) or \
                json.dumps(want.get(logical_id), sort_keys=True) == json.dumps(got.get(logical_id), sort_keys=True):
            continue
        a = json.dumps(want.get(logical_id), indent=2, sort_keys=True).splitlines()
        b = json.dumps(got.get(logical_id), indent=2, sort_keys=True).splitlines()
        if a != b:
            result[logical_id] = "\n".join(difflib.unified_diff(a, b, "env template", "product", lineterm="", n=2))
    return result


def launch_differences(cfg: EnvConfig, product: dict[str, Any], values: dict[str, str] | None = None,
                       own_body: dict[str, Any] | None = None) -> dict[str, str]:
    """``Resources.<id>`` / ``Outputs.<id>`` -> diff, for what the launch would get wrong
    (``own_body``: the env's template as a dict, if already built; neither is changed)."""
    want, got = dedicated(cfg, own_body), launched(cfg, product, values)
    for logical_id, entry in got["Resources"].items():
        if logical_id in want["Resources"] and entry.get("DeletionPolicy") in RETAIN_POLICIES and twins.fixed_name(entry):
            want["Resources"][logical_id] = {**want["Resources"][logical_id], **{
                k: entry[k] for k in ("DeletionPolicy", "UpdateReplacePolicy") if k in entry}}
    found = {f"Resources.{k}": v for k, v in differences(want["Resources"], got["Resources"]).items()}
    outputs = differences(_comparable_outputs(cfg, want["Outputs"]), _comparable_outputs(cfg, got["Outputs"]))
    return {**found, **{f"Outputs.{k}": v for k, v in outputs.items()}}


def report(differing: dict[str, str]) -> str:
    return "\n".join(f"== {name}\n{diff}" for name, diff in differing.items())
