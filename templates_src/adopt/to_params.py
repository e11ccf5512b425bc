"""A described proxy as a params tree: each value with the describe field it came from (so a
problem with it is reported there), and a comment wherever the describe output cannot know the
value (the users' names inside their secrets, the key of the secrets, the database's name).

The tree keeps every setting of the running proxy as it is, weakened defaults included (with a
waiver saying so): adopting it must change nothing; tightening comes after, as a reviewed change.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from ..facts.aws import ENGINES, EngineFamily, IamAuth
from ..facts.sql import DEFAULT_MASTER_USERNAME, MANAGED_MASTER_SECRET_PATTERN
from ..config.errors import KeyPath, ParamsError
from .describe import PROXIES_FILE, SECURITY_GROUPS_FILE, Described, Field

ADOPTED_REASON = "kept as the proxy made by hand has it, adopted unchanged; review before tightening"
ALL_TRAFFIC = "-1"


@dataclass
class Adopted:
    tree: dict[str, Any]
    sources: dict[KeyPath, Field] = field(default_factory=dict)
    comments: dict[KeyPath, str] = field(default_factory=dict)
    errors: list[ParamsError] = field(default_factory=list)

    def put(self, path: KeyPath, value: Any, source: Field | None = None, comment: str | None = None) -> None:
        node = self.tree
        for part in path[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[path[-1]] = value
        if source is not None:
            self.sources[path] = source
        if comment:
            self.comments[path] = comment

    def fail(self, source: Field, message: str) -> None:
        self.errors.append(ParamsError(source.file, 0, 0, source.path, message))


def _username(auth: dict[str, Field], index: int, engine: EngineFamily) -> tuple[str, str | None]:
    """The user's name: the describe's UserName, or a guess from the secret's name (commented);
    RDS's managed master secret names no user: RDS's default master name, to check."""
    if auth.get("UserName") is not None:
        return auth["UserName"].value, None
    secret = auth["SecretArn"].value if auth.get("SecretArn") else ""
    if re.search(MANAGED_MASTER_SECRET_PATTERN, secret):
        return DEFAULT_MASTER_USERNAME[engine], ("CHECK: RDS's managed master secret: the database's master username "
                                                 "(aws rds describe-db-instances or describe-db-clusters --query "
                                                 "'...[0].MasterUsername')")
    name = secret.split(":secret:", 1)[-1]
    name = re.sub(r"-[A-Za-z0-9]{6}$", "", name).rsplit("/", 1)[-1]  # Secrets Manager's random suffix
    guess = re.sub(r"[^A-Za-z0-9_]", "_", name)[:63] or f"user{index + 1}"
    if not re.match(r"[A-Za-z_]", guess):
        guess = f"user_{guess}"[:63]
    return guess, ("CHECK: guessed from the secret's name; it must be the username stored in the secret "
                   "(aws secretsmanager get-secret-value --secret-id ARN --query SecretString)")


def _covers(rule: dict[str, Field], port: int) -> bool:
    protocol = rule["IpProtocol"].value if rule.get("IpProtocol") else ""
    if protocol == ALL_TRAFFIC:
        return True
    low, high = rule.get("FromPort"), rule.get("ToPort")
    return protocol in ("tcp", "6") and low is not None and high is not None and low.value <= port <= high.value


def _network(adopted: Adopted, d: Described, engine: EngineFamily, database_port: int) -> None:
    proxy = d.proxy
    adopted.put(("network", "vpc_id"), proxy["VpcId"].value, proxy["VpcId"])
    adopted.put(("network", "subnet_ids"), list(proxy["VpcSubnetIds"].value), proxy["VpcSubnetIds"])
    for name, key in (("EndpointNetworkType", "endpoint_network_type"),
                      ("TargetConnectionNetworkType", "target_connection_network_type")):
        if proxy.get(name) is not None and proxy[name].value != "IPV4":  # IPV4: the default, left out
            adopted.put(("network", key), proxy[name].value, proxy[name])
    groups: list[Field] = []
    cidrs: list[Field] = []
    database_groups: list[Field] = []
    database_cidrs: list[Field] = []
    for direction, rule in d.permissions:
        ingress = direction == "IpPermissions"
        if not _covers(rule, ENGINES[engine].port if ingress else database_port):
            continue
        pairs = rule["UserIdGroupPairs"].value
        ranges = [*rule["IpRanges"].value, *rule["Ipv6Ranges"].value]
        (groups if ingress else database_groups).extend(pairs)
        (cidrs if ingress else database_cidrs).extend(ranges)
    own = set(proxy["VpcSecurityGroupIds"].value)
    groups = [g for g in _unique(groups) if g.value not in own]
    if groups:
        adopted.put(("network", "client_security_group_ids"), [g.value for g in groups])
        adopted.sources.update({("network", "client_security_group_ids", i): g for i, g in enumerate(groups)})
    cidrs = _unique(cidrs)
    if cidrs:
        adopted.put(("network", "allowed_cidrs"), [c.value for c in cidrs])
        adopted.sources.update({("network", "allowed_cidrs", i): c for i, c in enumerate(cidrs)})
    if not groups and not cidrs:
        adopted.errors.append(ParamsError(proxy["VpcSecurityGroupIds"].file.replace(PROXIES_FILE, SECURITY_GROUPS_FILE),
                                          0, 0, ("SecurityGroups",), f"no ingress rule of the proxy's groups lets clients "
                                          f"reach port {ENGINES[engine].port}; nothing says who may connect"))
    database_groups = [g for g in _unique(database_groups) if g.value not in own]
    world = [c for c in _unique(database_cidrs) if ipaddress.ip_network(c.value, strict=False).prefixlen == 0] \
        if all(_is_cidr(c.value) for c in database_cidrs) else []
    narrow = [c for c in _unique(database_cidrs) if c not in world]
    if len(database_groups) == 1:
        adopted.put(("network", "database_security_group_id"), database_groups[0].value, database_groups[0])
    elif len(narrow) == 1 and not database_groups:
        adopted.put(("network", "database_cidr"), narrow[0].value, narrow[0])
    else:
        adopted.comments[("network",)] = ("database_security_group_id: not known from the proxy's egress rules "
                                          "(none or several name the database); give the database's group to narrow "
                                          "the proxy's egress to it")
        # Without one the built egress is the database port to every address (the
        # world-egress rule): adopted as the running proxy has it, with the waiver saying so.
        adopted.put(("waivers", "world_egress"), ADOPTED_REASON,
                    comment="the database's group is not known: egress goes to every address on its port")


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _unique(fields: list[Field]) -> list[Field]:
    seen: dict[Any, Field] = {}
    for item in fields:
        seen.setdefault(item.value, item)
    return list(seen.values())


def _target(adopted: Adopted, d: Described) -> int | None:
    clusters = [t for t in d.targets if t["Type"] and t["Type"].value == "TRACKED_CLUSTER"]
    instances = [t for t in d.targets if t["Type"] and t["Type"].value == "RDS_INSTANCE" and not t.get("TrackedClusterId")]
    chosen = clusters or instances
    if len(chosen) != 1 or (clusters and instances):
        first = d.targets[0]["Type"] if d.targets and d.targets[0].get("Type") else d.target_group_arn
        adopted.fail(first, "expected one DB instance or one Aurora cluster behind the proxy (Type RDS_INSTANCE "
                            f"or TRACKED_CLUSTER), found {len(d.targets)} target(s) of other kinds")
        return None
    target = chosen[0]
    kind = "db_cluster_identifier" if clusters else "db_instance_identifier"
    adopted.put(("target", kind), target["RdsResourceId"].value, target["RdsResourceId"])
    port_source = next((t["Port"] for t in d.targets if t.get("Port") is not None), None)
    if port_source is not None:
        adopted.put(("target", "port"), port_source.value, port_source)
    read_only = [e for e in d.endpoints if e["TargetRole"] and e["TargetRole"].value == "READ_ONLY"]
    if clusters and read_only:
        adopted.put(("target", "read_only_endpoint"), True, read_only[0]["TargetRole"])
    adopted.comments[("target",)] = ("database_name: not in the describe output; give it (and each user's role) "
                                     "for db-users.sql to grant anything")
    return port_source.value if port_source is not None else None


def adopted_tree(env: str, d: Described) -> Adopted:
    adopted = Adopted({})
    proxy = d.proxy
    arn = proxy["DBProxyArn"]
    parts = arn.value.split(":")
    if len(parts) < 7 or parts[2] != "rds" or parts[5] != "db-proxy":
        adopted.fail(arn, "is not a DB proxy ARN (arn:<partition>:rds:<region>:<account>:db-proxy:prx-...)")
        return adopted
    scheme = proxy.get("DefaultAuthScheme")
    if scheme is not None and scheme.value != "NONE":
        adopted.fail(scheme, f"{scheme.value!r}: end-to-end IAM proxies are not imported (the database's resource id "
                             "is not in these files); write that environment's params by hand")
    try:
        engine = EngineFamily(proxy["EngineFamily"].value)
    except ValueError:
        adopted.fail(proxy["EngineFamily"], f"{proxy['EngineFamily'].value!r} is not allowed "
                                            f"(allowed: {', '.join(e.value for e in EngineFamily)})")
        return adopted
    adopted.put(("engine_family",), engine.value, proxy["EngineFamily"])
    adopted.put(("region",), parts[3], arn)
    adopted.put(("stack_name",), f"rds-proxy-{env}", comment="the stack the import creates (IMPORT.md)")
    adopted.put(("proxy", "name"), proxy["DBProxyName"].value, proxy["DBProxyName"])
    for name, key in (("RequireTLS", "require_tls"), ("IdleClientTimeout", "idle_client_timeout"),
                      ("DebugLogging", "debug_logging")):
        adopted.put(("proxy", key), proxy[name].value, proxy[name])
    if not proxy["RequireTLS"].value:
        adopted.put(("waivers", "require_tls"), ADOPTED_REASON, comment="the running proxy accepts clients without TLS")
    port = _target(adopted, d)
    _network(adopted, d, engine, port or ENGINES[engine].port)
    _pool(adopted, d)
    _users(adopted, d, engine)
    adopted.comments[("secrets",)] = ("kms_key_arn: the key the users' secrets are encrypted with, if not the default "
                                      "aws/secretsmanager key (aws secretsmanager describe-secret --secret-id ARN "
                                      "--query KmsKeyId): the proxy role may decrypt only that key")
    return adopted


def _pool(adopted: Adopted, d: Described) -> None:
    for name, key in (("MaxConnectionsPercent", "max_connections_percent"),
                      ("MaxIdleConnectionsPercent", "max_idle_connections_percent"),
                      ("ConnectionBorrowTimeout", "connection_borrow_timeout")):
        if d.pool.get(name) is not None:
            adopted.put(("pool", key), d.pool[name].value, d.pool[name])
    if d.pool.get("InitQuery") is not None and d.pool["InitQuery"].value:
        adopted.put(("pool", "init_query"), d.pool["InitQuery"].value, d.pool["InitQuery"])
    if d.pool.get("SessionPinningFilters") is not None and d.pool["SessionPinningFilters"].value:
        filters = d.pool["SessionPinningFilters"]
        adopted.put(("pool", "session_pinning_filters"), list(filters.value), filters)


def _users(adopted: Adopted, d: Described, engine: EngineFamily) -> None:
    levels = {a["IAMAuth"].value for a in d.auth if a.get("IAMAuth")}
    common = levels.pop() if len(levels) == 1 else IamAuth.REQUIRED.value
    adopted.put(("proxy", "iam_auth"), common, next((a["IAMAuth"] for a in d.auth if a.get("IAMAuth")), None))
    users = []
    for index, auth in enumerate(d.auth):
        path = ("users", index)
        if auth.get("AuthScheme") and auth["AuthScheme"].value != "SECRETS":
            adopted.fail(auth["AuthScheme"], f"{auth['AuthScheme'].value!r} is not allowed (allowed: SECRETS)")
        if auth.get("SecretArn") is None:
            where = auth["AuthScheme"] or d.proxy["DBProxyName"]
            adopted.fail(Field(None, where.file, (*where.path[:-1], "SecretArn")), "missing")
            continue
        username, comment = _username(auth, index, engine)
        user: dict[str, Any] = {"username": username, "secret_arn": auth["SecretArn"].value}
        if re.search(MANAGED_MASTER_SECRET_PATTERN, auth["SecretArn"].value):
            # The master's password is RDS's: db-users.sql must leave the user alone.
            user["master"] = True
            adopted.sources[(*path, "master")] = auth["SecretArn"]
        adopted.sources[(*path, "username")] = auth.get("UserName") or auth["SecretArn"]
        adopted.sources[(*path, "secret_arn")] = auth["SecretArn"]
        if comment:
            adopted.comments[(*path, "username")] = comment
        if auth.get("Description") is not None and auth["Description"].value:
            user["description"] = auth["Description"].value
            adopted.sources[(*path, "description")] = auth["Description"]
        if auth.get("IAMAuth") is not None and auth["IAMAuth"].value != common:
            user["iam_auth"] = auth["IAMAuth"].value
            adopted.sources[(*path, "iam_auth")] = auth["IAMAuth"]
        if auth.get("ClientPasswordAuthType") is not None:
            user["client_password_auth_type"] = auth["ClientPasswordAuthType"].value
            adopted.sources[(*path, "client_password_auth_type")] = auth["ClientPasswordAuthType"]
        users.append(user)
    adopted.tree["users"] = users
    if any(a.get("IAMAuth") and a["IAMAuth"].value != IamAuth.REQUIRED.value for a in d.auth):
        adopted.put(("waivers", "iam_auth"), ADOPTED_REASON, comment="the running proxy lets users log in without IAM")
