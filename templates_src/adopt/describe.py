"""Reading what the AWS CLI printed about a proxy made by hand: ``<command>.json`` files in one
folder, the shapes of the RDS API's DescribeDBProxies, DescribeDBProxyTargetGroups,
DescribeDBProxyTargets and DescribeDBProxyEndpoints responses (RDS API Reference: DBProxy,
DBProxyTargetGroup, DBProxyTarget, DBProxyEndpoint) and EC2's DescribeSecurityGroups.

Only the fields the params need are read, each checked for its JSON type; every problem is one
``ParamsError`` naming the file and the field (``describe-db-proxies.json: DBProxies[0].VpcId:
missing``). Values are data: what they may hold is the params validation's business (``params``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.errors import KeyPath, ParamsError

PROXIES_FILE = "describe-db-proxies.json"
TARGET_GROUPS_FILE = "describe-db-proxy-target-groups.json"
TARGETS_FILE = "describe-db-proxy-targets.json"
ENDPOINTS_FILE = "describe-db-proxy-endpoints.json"  # optional
SECURITY_GROUPS_FILE = "describe-security-groups.json"
MAX_FILE_BYTES = 5_000_000  # a describe output of one proxy is a few KB

# How each file is made (for the error that says a file is missing).
COMMANDS = {
    PROXIES_FILE: "aws rds describe-db-proxies --db-proxy-name NAME",
    TARGET_GROUPS_FILE: "aws rds describe-db-proxy-target-groups --db-proxy-name NAME",
    TARGETS_FILE: "aws rds describe-db-proxy-targets --db-proxy-name NAME",
    ENDPOINTS_FILE: "aws rds describe-db-proxy-endpoints --db-proxy-name NAME",
    SECURITY_GROUPS_FILE: "aws ec2 describe-security-groups --group-ids <the proxy's VpcSecurityGroupIds>",
}


@dataclass
class Field:
    """A value read from a describe file, and where it came from (for errors about it)."""

    value: Any
    file: str
    path: KeyPath


@dataclass
class Described:
    proxy: dict[str, Field]
    auth: list[dict[str, Field]]
    pool: dict[str, Field]
    target_group_arn: Field
    targets: list[dict[str, Field]]
    endpoints: list[dict[str, Field]] = field(default_factory=list)
    # Security group rules of the proxy's groups: (direction, rule fields) per permission.
    permissions: list[tuple[str, dict[str, Field]]] = field(default_factory=list)


class Reader:
    """Typed access to one file's JSON; problems are collected, not raised."""

    def __init__(self, shown: str, errors: list[ParamsError]) -> None:
        self.shown, self.errors = shown, errors

    def fail(self, path: KeyPath, message: str) -> None:
        self.errors.append(ParamsError(self.shown, 0, 0, path, message))

    def get(self, node: Any, path: KeyPath, name: str, kind: type | tuple[type, ...], *,
            required: bool = True) -> Field | None:
        where = (*path, name)
        if not isinstance(node, dict) or name not in node or node[name] is None:
            if required:
                self.fail(where, "missing")
            return None
        value = node[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(where, f"expected {_kind(kind)}, got {_json_kind(value)}")
            return None
        return Field(value, self.shown, where)

    def texts(self, node: Any, path: KeyPath, name: str, *, required: bool = True) -> Field | None:
        found = self.get(node, path, name, list, required=required)
        if found is None:
            return None
        for index, item in enumerate(found.value):
            if not isinstance(item, str):
                self.fail((*path, name, index), f"expected text, got {_json_kind(item)}")
                return None
        return found

    def items(self, node: Any, name: str, *, least: int = 1) -> list[tuple[KeyPath, dict[str, Any]]]:
        found = self.get(node, (), name, list)
        if found is None:
            return []
        listed = [((name, i), item) for i, item in enumerate(found.value)]
        for path, item in listed:
            if not isinstance(item, dict):
                self.fail(path, f"expected an object, got {_json_kind(item)}")
                return []
        if len(listed) < least:
            self.fail((name,), f"is empty; the file must describe the proxy (made by: {COMMANDS.get(Path(self.shown).name, '')})")
        return listed


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "an object"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names[k] for k in kinds)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), "null")


def load_json(folder: Path, shown: str, name: str, errors: list[ParamsError], *, optional: bool = False) -> Any:
    """The parsed file (None if it is missing and optional, or unreadable: then an error says why)."""
    path, where = folder / name, f"{shown}/{name}"
    if not path.exists():
        if not optional:
            errors.append(ParamsError(where, 0, 0, (), f"missing; save the output of `{COMMANDS[name]}` there"))
        return None
    if not path.is_file():
        errors.append(ParamsError(where, 0, 0, (), "is not a regular file"))
        return None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            errors.append(ParamsError(where, 0, 0, (), f"is over {MAX_FILE_BYTES:,} bytes; not a describe output of one proxy"))
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ParamsError(where, 0, 0, (), f"cannot be read: {getattr(exc, 'strerror', None) or exc}"))
        return None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        errors.append(ParamsError(where, exc.lineno, exc.colno, (), f"not valid JSON: {exc.msg}"))
    except ValueError as exc:
        errors.append(ParamsError(where, 0, 0, (), f"not valid JSON: {exc}"))
    except RecursionError:  # the parser recurses per level; a describe output is a few levels deep
        errors.append(ParamsError(where, 0, 0, (), "nested too deeply to be a describe output (thousands of levels)"))
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read(folder: Path, shown: str) -> tuple[Described | None, list[ParamsError]]:
    errors: list[ParamsError] = []
    raw = {name: load_json(folder, shown, name, errors, optional=name == ENDPOINTS_FILE)
           for name in (PROXIES_FILE, TARGET_GROUPS_FILE, TARGETS_FILE, ENDPOINTS_FILE, SECURITY_GROUPS_FILE)}
    if errors:
        return None, errors
    readers = {name: Reader(f"{shown}/{name}", errors) for name in raw}
    r = readers[PROXIES_FILE]
    proxies = r.items(raw[PROXIES_FILE], "DBProxies")
    if len(proxies) > 1:
        r.fail(("DBProxies",), f"describes {len(proxies)} proxies; save one: {COMMANDS[PROXIES_FILE]}")
    described = None
    if len(proxies) == 1:
        described = _described(proxies[0], raw, readers)
    return (None if errors else described), errors


# Fields a describe may leave out; every other field read below is required.
OPTIONAL_PROXY_FIELDS = frozenset({"DefaultAuthScheme", "EndpointNetworkType", "TargetConnectionNetworkType"})


def _described(first: tuple[KeyPath, dict[str, Any]], raw: dict[str, Any], readers: dict[str, Reader]) -> Described | None:
    path, node = first
    r = readers[PROXIES_FILE]
    proxy = {name: r.get(node, path, name, kind, required=required) for name, kind, required in (
        ("DBProxyName", str, True), ("DBProxyArn", str, True), ("EngineFamily", str, True), ("VpcId", str, True),
        ("RoleArn", str, True), ("RequireTLS", bool, True), ("IdleClientTimeout", int, True),
        ("DebugLogging", bool, True), ("DefaultAuthScheme", str, False),
        # Absent from proxies described before RDS Proxy had IPv6 (both default to IPV4).
        ("EndpointNetworkType", str, False), ("TargetConnectionNetworkType", str, False))}
    proxy.update({name: r.texts(node, path, name) for name in ("VpcSecurityGroupIds", "VpcSubnetIds")})
    auth = []
    listed = r.get(node, path, "Auth", list)
    for index, entry in enumerate(listed.value if listed else []):
        where = (*path, "Auth", index)
        if not isinstance(entry, dict):
            r.fail(where, f"expected an object, got {_json_kind(entry)}")
            continue
        auth.append({name: r.get(entry, where, name, str, required=required) for name, required in (
            ("AuthScheme", True), ("SecretArn", False), ("IAMAuth", True), ("ClientPasswordAuthType", False),
            ("Description", False), ("UserName", False))})
    rg = readers[TARGET_GROUPS_FILE]
    groups = [(p, g) for p, g in rg.items(raw[TARGET_GROUPS_FILE], "TargetGroups")
              if isinstance(g, dict) and g.get("IsDefault") is True]
    if not groups:
        rg.fail(("TargetGroups",), "has no default target group (IsDefault true)")
        return None
    group_path, group = groups[0]
    arn = rg.get(group, group_path, "TargetGroupArn", str)
    pool_node = group.get("ConnectionPoolConfig")
    pool_path = (*group_path, "ConnectionPoolConfig")
    pool = {name: rg.get(pool_node, pool_path, name, int) for name in (
        "MaxConnectionsPercent", "MaxIdleConnectionsPercent", "ConnectionBorrowTimeout")}
    pool["InitQuery"] = rg.get(pool_node, pool_path, "InitQuery", str, required=False)
    pool["SessionPinningFilters"] = rg.texts(pool_node, pool_path, "SessionPinningFilters", required=False)
    rt = readers[TARGETS_FILE]
    targets = [{name: rt.get(t, p, name, kind, required=required) for name, kind, required in (
        ("Type", str, True), ("RdsResourceId", str, True), ("Port", int, False), ("TrackedClusterId", str, False))}
        for p, t in rt.items(raw[TARGETS_FILE], "Targets")]
    endpoints = []
    if raw[ENDPOINTS_FILE] is not None:
        re_ = readers[ENDPOINTS_FILE]
        for p, e in re_.items(raw[ENDPOINTS_FILE], "DBProxyEndpoints", least=0):
            endpoint = {name: re_.get(e, p, name, kind, required=required) for name, kind, required in (
                ("DBProxyEndpointName", str, True), ("TargetRole", str, True), ("IsDefault", bool, False))}
            endpoint["VpcSecurityGroupIds"] = re_.texts(e, p, "VpcSecurityGroupIds")
            endpoint["VpcSubnetIds"] = re_.texts(e, p, "VpcSubnetIds")
            endpoints.append(endpoint)
    permissions = _permissions(raw[SECURITY_GROUPS_FILE], readers[SECURITY_GROUPS_FILE])
    if not arn or any(v is None for k, v in proxy.items() if k not in OPTIONAL_PROXY_FIELDS):
        return None
    return Described(proxy, auth, pool, arn, targets, endpoints, permissions)


def _permissions(raw: Any, r: Reader) -> list[tuple[str, dict[str, Field]]]:
    result = []
    for path, group in r.items(raw, "SecurityGroups"):
        for direction in ("IpPermissions", "IpPermissionsEgress"):
            listed = r.get(group, path, direction, list, required=False)
            for index, rule in enumerate(listed.value if listed else []):
                where = (*path, direction, index)
                fields = {name: r.get(rule, where, name, kind, required=required) for name, kind, required in (
                    ("IpProtocol", str, True), ("FromPort", int, False), ("ToPort", int, False))}
                for name, key in (("UserIdGroupPairs", "GroupId"), ("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
                    pairs = r.get(rule, where, name, list, required=False)
                    values = []
                    for i, pair in enumerate(pairs.value if pairs else []):
                        got = r.get(pair, (*where, name, i), key, str)
                        if got is not None:
                            values.append(got)
                    fields[name] = Field(values, r.shown, (*where, name))
                result.append((direction, fields))
    return result
