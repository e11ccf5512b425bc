"""What AWS holds for one example environment, served by botocore's Stubber on real boto3 clients
(the Stubber checks every response against the service model, and each call's parameters where
given). The live side is built here from the committed template with its own small resolver, not
with the code under test."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from conftest import EXAMPLES, example_configs, example_template_text
from templates_src.impact.template import load

REGION, ACCOUNT = "eu-west-1", "111122223333"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no config files: nothing can reach a real account."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION),
                        ("AWS_CONFIG_FILE", "/dev/null"), ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                        ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class FakeSession:
    """The seam: status asks it for clients and gets the stubbed ones."""

    def __init__(self, clients: dict[str, Any]):
        self.clients = clients

    def client(self, service_name: str, region_name: str | None = None) -> Any:
        assert region_name == REGION
        return self.clients[service_name]


def committed_text(env: str) -> str:
    """The example env's template as the build writes it (generated/ holds the examples' output in
    this repository, another env's in a fork: scripts/test runs the suite there too)."""
    return example_template_text(env)


def out_folder(tmp_path: Path, env: str, text: str | None = None) -> Path:
    """A copy of the committed template (``text``: a changed one) in an out folder of its own."""
    folder = tmp_path / "out"
    (folder / env).mkdir(parents=True)
    (folder / env / "rds-proxy.yaml").write_text(committed_text(env) if text is None else text, encoding="utf-8")
    return folder


def physical_id(logical: str, resource: dict[str, Any]) -> str:
    kind, props = resource["Type"], resource.get("Properties") or {}
    if kind == "AWS::RDS::DBProxy":
        return props["DBProxyName"]
    if kind == "AWS::RDS::DBProxyEndpoint":
        return props["DBProxyEndpointName"]
    if kind == "AWS::SecretsManager::Secret":
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{logical}-AbCdEf"
    if kind == "AWS::EC2::SecurityGroup":
        return "sg-0" + format(abs(hash(logical)) % 16 ** 16, "016x")
    return f"{logical}-1A2B3C4D5E6F"


# The engines' default max_connections in their default parameter groups (RDS User Guide,
# "Maximum number of database connections"; Aurora User Guide for Aurora MySQL).
MYSQL_FORMULA = "{DBInstanceClassMemory/12582880}"
POSTGRESQL_FORMULA = "LEAST({DBInstanceClassMemory/9531392},5000)"
AURORA_MYSQL_FORMULA = "GREATEST({log(DBInstanceClassMemory/805306368)*45},{log(DBInstanceClassMemory/8187281408)*1000})"


def default_formula(cfg: Any) -> str:
    if cfg.engine_family.value == "POSTGRESQL":
        return POSTGRESQL_FORMULA
    return AURORA_MYSQL_FORMULA if cfg.target.db_cluster_identifier else MYSQL_FORMULA


def live_value(value: Any, resources: dict[str, Any], ids: dict[str, str]) -> Any:
    """A template value as AWS shows it live (the few functions the example templates use)."""
    if isinstance(value, list):
        return [live_value(v, resources, ids) for v in value]
    if isinstance(value, dict) and "Ref" in value:
        return ids[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        if attribute == "Arn" and resources[logical]["Type"] == "AWS::IAM::Role":
            path = resources[logical]["Properties"].get("Path", "/")
            return f"arn:aws:iam::{ACCOUNT}:role{path}{ids[logical]}"
        return ids[logical]
    if isinstance(value, dict):
        return {k: live_value(v, resources, ids) for k, v in value.items()}
    return value


@dataclass
class World:
    """One env's stack and proxy; change a field to make a case."""

    env: str
    deployed: str = ""  # the deployed template's text (default: the committed one)
    stack_status: str = "UPDATE_COMPLETE"
    proxy_changes: dict[str, Any] = field(default_factory=dict)
    pool_changes: dict[str, Any] = field(default_factory=dict)
    deleted_endpoints: tuple[str, ...] = ()
    health: list[dict[str, Any]] = field(default_factory=list)  # TargetHealth per database instance
    max_connections: str | None = ""  # the parameter's value ("": the engine's default formula)
    instance_class: str | None = None  # default: the params' target.instance_class
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # "service:method" -> (code, message)
    subnets_free: int = 3

    def __post_init__(self) -> None:
        self.deployed = self.deployed or committed_text(self.env)
        self.cfg = example_configs()[self.env]
        self.tree = load(committed_text(self.env))  # the live proxy is what the committed template made
        self.resources = self.tree["Resources"]
        self.ids = {logical: physical_id(logical, r) for logical, r in self.resources.items()}
        if self.max_connections == "":
            self.max_connections = default_formula(self.cfg)
        self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.cfg.stack_name}/1f2e3d4c-0000-4b5a-9c8d-7e6f5a4b3c2d"

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def props(self, logical: str) -> dict[str, Any]:
        return live_value(self.resources[logical].get("Properties") or {}, self.resources, self.ids)

    # --- responses (shapes from the CloudFormation, RDS and EC2 API references) -----------------
    def proxy(self) -> dict[str, Any]:
        props = self.props("Proxy")
        auth = [{**item, "UserName": f"user{index}"} for index, item in enumerate(props.get("Auth", []))]
        proxy = {"DBProxyName": props["DBProxyName"], "DBProxyArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db-proxy:prx-0123456789abcdef0",
                 "Status": "available", "EngineFamily": props["EngineFamily"], "VpcId": self.cfg.network.vpc_id,
                 # AWS keeps no order: give the lists reversed
                 "VpcSecurityGroupIds": list(reversed(props["VpcSecurityGroupIds"])),
                 "VpcSubnetIds": list(reversed(props["VpcSubnetIds"])), "Auth": list(reversed(auth)),
                 "RoleArn": props["RoleArn"], "Endpoint": f"{props['DBProxyName']}.proxy-abc.{REGION}.rds.amazonaws.com",
                 "RequireTLS": props["RequireTLS"], "IdleClientTimeout": props["IdleClientTimeout"],
                 "DebugLogging": props["DebugLogging"]}
        proxy.update(self.proxy_changes)
        return proxy

    def target_group(self) -> dict[str, Any]:
        props = self.props("ProxyTargetGroup")
        pool = {**props["ConnectionPoolConfigurationInfo"], **self.pool_changes}
        pool.setdefault("SessionPinningFilters", [])
        return {"DBProxyName": self.cfg.proxy.name, "TargetGroupName": "default", "IsDefault": True,
                "Status": "available", "ConnectionPoolConfig": pool,
                "TargetGroupArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:target-group:prx-tg-0123456789abcdef0"}

    def instances(self) -> list[str]:
        target = self.cfg.target
        if target.db_cluster_identifier:
            return [f"{target.db_cluster_identifier}-1", f"{target.db_cluster_identifier}-2"]
        return [target.db_instance_identifier]

    def targets(self) -> list[dict[str, Any]]:
        target, port = self.cfg.target, self.cfg.target.port
        rows = []
        if target.db_cluster_identifier:
            rows.append({"RdsResourceId": target.db_cluster_identifier, "Type": "TRACKED_CLUSTER", "Port": port,
                         "Endpoint": f"{target.db_cluster_identifier}.cluster-abc.{REGION}.rds.amazonaws.com"})
        for index, name in enumerate(self.instances()):
            health = self.health[index] if index < len(self.health) else {"State": "AVAILABLE"}
            row = {"RdsResourceId": name, "Type": "RDS_INSTANCE", "Port": port,
                   "Role": "READ_WRITE" if index == 0 else "READ_ONLY", "TargetHealth": health,
                   "Endpoint": f"{name}.abc.{REGION}.rds.amazonaws.com",
                   "TargetArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:target:prx-tg-0123456789abcdef{index}"}
            if target.db_cluster_identifier:
                row["TrackedClusterId"] = target.db_cluster_identifier
            rows.append(row)
        return rows

    def endpoints(self) -> list[dict[str, Any]]:
        rows = [{"DBProxyEndpointName": "default", "DBProxyName": self.cfg.proxy.name, "Status": "available",
                 "IsDefault": True, "TargetRole": "READ_WRITE", "VpcId": self.cfg.network.vpc_id}]
        for logical in self.of_type("AWS::RDS::DBProxyEndpoint"):
            props = self.props(logical)
            if props["DBProxyEndpointName"] in self.deleted_endpoints:
                continue
            rows.append({"DBProxyEndpointName": props["DBProxyEndpointName"], "DBProxyName": self.cfg.proxy.name,
                         "Status": "available", "IsDefault": False, "TargetRole": props["TargetRole"],
                         "VpcSubnetIds": props["VpcSubnetIds"], "VpcSecurityGroupIds": props["VpcSecurityGroupIds"]})
        return rows

    # --- the stubs ---------------------------------------------------------------------------------
    def session(self) -> tuple[FakeSession, dict[str, Stubber]]:
        clients = {s: boto3.client(s, region_name=REGION) for s in ("cloudformation", "rds", "ec2")}
        stubbers = {s: Stubber(c) for s, c in clients.items()}
        self._queue(stubbers)
        for stubber in stubbers.values():
            stubber.activate()
        return FakeSession(clients), stubbers

    def _queue(self, stubbers: dict[str, Stubber]) -> None:
        stack = self.cfg.stack_name
        cfn, rds, ec2 = stubbers["cloudformation"], stubbers["rds"], stubbers["ec2"]
        calls = [
            (cfn, "describe_stacks", {"Stacks": [{"StackName": stack, "StackId": self.stack_id,
                                                  "CreationTime": "2025-01-01T00:00:00Z",
                                                  "StackStatus": self.stack_status}]}, {"StackName": stack}),
            (cfn, "get_template", {"TemplateBody": self.deployed, "StagesAvailable": ["Original", "Processed"]},
             {"StackName": stack, "TemplateStage": "Original"}),
            (cfn, "describe_stack_resources", {"StackResources": [
                {"StackName": stack, "StackId": self.stack_id, "LogicalResourceId": logical,
                 "PhysicalResourceId": self.ids[logical], "ResourceType": r["Type"],
                 "Timestamp": "2025-01-01T00:00:00Z", "ResourceStatus": "UPDATE_COMPLETE"}
                for logical, r in sorted(self.resources.items())]}, {"StackName": stack}),
            (rds, "describe_db_proxies", {"DBProxies": [self.proxy()]}, {"DBProxyName": self.cfg.proxy.name}),
            (rds, "describe_db_proxy_target_groups", {"TargetGroups": [self.target_group()]},
             {"DBProxyName": self.cfg.proxy.name, "TargetGroupName": "default"}),
            (rds, "describe_db_proxy_targets", {"Targets": self.targets()},
             {"DBProxyName": self.cfg.proxy.name, "TargetGroupName": "default"}),
        ]
        if any(h.get("Reason") == "PENDING_PROXY_CAPACITY" for h in self.health):
            subnets = sorted(self.proxy()["VpcSubnetIds"])
            calls.append((ec2, "describe_subnets", {"Subnets": [
                {"SubnetId": s, "AvailableIpAddressCount": self.subnets_free, "VpcId": self.cfg.network.vpc_id}
                for s in subnets]}, None))
        if self.of_type("AWS::RDS::DBProxyEndpoint"):
            calls.append((rds, "describe_db_proxy_endpoints", {"DBProxyEndpoints": self.endpoints()},
                          {"DBProxyName": self.cfg.proxy.name}))
        calls += self._database_calls(rds)
        failed: set[int] = set()
        for stubber, method, response, params in calls:
            if id(stubber) in failed:
                continue
            service = stubber.client.meta.service_model.service_name
            if (error := self.errors.get(f"{service}:{method}")) is not None:
                code, message = error
                stubber.add_client_error(method, service_error_code=code, service_message=message,
                                         http_status_code=403 if code.startswith("Access") else 400)
                failed.add(id(stubber))
            else:
                stubber.add_response(method, copy.deepcopy(response), params)

    def _database_calls(self, rds: Stubber) -> list[tuple[Stubber, str, dict[str, Any], dict[str, Any] | None]]:
        target, calls = self.cfg.target, []
        writer = self.instances()[0]
        if target.db_cluster_identifier:
            calls.append((rds, "describe_db_clusters", {"DBClusters": [{
                "DBClusterIdentifier": target.db_cluster_identifier, "Engine": "aurora-mysql",
                "DBClusterMembers": [{"DBInstanceIdentifier": name, "IsClusterWriter": name == writer}
                                     for name in reversed(self.instances())]}]},
                {"DBClusterIdentifier": target.db_cluster_identifier}))
        klass = self.instance_class or target.instance_class or "db.r6g.large"
        group = f"{self.env}-params"
        calls.append((rds, "describe_db_instances", {"DBInstances": [{
            "DBInstanceIdentifier": writer, "DBInstanceClass": klass, "Engine": "mysql",
            "DBParameterGroups": [{"DBParameterGroupName": group, "ParameterApplyStatus": "in-sync"}]}]},
            {"DBInstanceIdentifier": writer}))
        parameter = {"ParameterName": "max_connections", "Source": "system", "DataType": "integer"}
        if self.max_connections is not None:
            parameter["ParameterValue"] = self.max_connections
        # Two pages: DescribeDBParameters has no working filter, status pages with Marker.
        calls.append((rds, "describe_db_parameters", {"Parameters": [
            {"ParameterName": "autocommit", "ParameterValue": "1"}], "Marker": "page2"},
            {"DBParameterGroupName": group}))
        calls.append((rds, "describe_db_parameters", {"Parameters": [parameter]},
                      {"DBParameterGroupName": group, "Marker": "page2"}))
        return calls


def run_status(world: World, tmp_path: Path, *extra: str, committed: str | None = None
               ) -> tuple[int, str, str, dict[str, Stubber]]:
    """``status ENV`` on the world: exit code, stdout, stderr, the stubbers (to check every
    queued call was made)."""
    from templates_src.status import command

    session, stubbers = world.session()
    out = out_folder(tmp_path, world.env, committed)
    stdout, stderr = io.StringIO(), io.StringIO()
    code = command.run([world.env, "--params", str(EXAMPLES), "--out", str(out), *extra], stdout, stderr,
                       session=session)
    return code, stdout.getvalue(), stderr.getvalue(), stubbers
