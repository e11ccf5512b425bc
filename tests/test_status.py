"""status ENV on the example environments, AWS served by botocore's Stubber: healthy, each
unhealthy reason with its advice line, each kind of drift, cannot-read errors, JSON."""

from __future__ import annotations

import json

import pytest

from status_stubs import World, aws_env, committed_text, run_status  # noqa: F401 - aws_env is a fixture
from templates_src.status.facts import AUTH_FAILURE_ADVICE, REASON_ADVICE, STATE_ADVICE, AuthMode

pytestmark = [pytest.mark.cli, pytest.mark.usefixtures("aws_env")]


def _all_called(stubbers) -> None:
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("env", ["dev", "prod", "billing"])
def test_healthy_and_identical_exits_0(env, tmp_path):
    world = World(env, max_connections="400" if env == "billing" else "")
    code, out, err, stubbers = run_status(world, tmp_path)
    assert (code, err) == (0, "")
    assert "live: deployed = live on every compared property" in out
    assert out.splitlines()[-1] == "result: healthy (exit 0)"
    _all_called(stubbers)


def test_healthy_json_is_stable_and_sorted(tmp_path):
    code, out, _, _ = run_status(World("prod"), tmp_path, "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["exit_code"] == 0 and document["result"] == "healthy"
    assert sorted(document) == ["drift", "env", "exit_code", "max_connections", "notes", "problems", "proxy",
                                "proxy_status", "region", "result", "stack", "stack_status", "targets"]
    assert document["drift"]["committed_vs_deployed"] == document["drift"]["deployed_vs_live"] == []
    assert {"resource": "Proxy", "property": "Tags", "reason":
            "the describe calls do not return tags (ListTagsForResource is not on the allow-list)"} \
        in document["drift"]["not_compared"]
    assert [t["target"] for t in document["targets"]] == ["orders-prod-aurora-1", "orders-prod-aurora-2"]
    assert all(t["healthy"] and t["advice"] is None for t in document["targets"])
    assert out == json.dumps(document, indent=2, sort_keys=True) + "\n"


DEV_SCRIPT = "/create-db-users.sh (DEPLOY.md)"
UNHEALTHY = [
    ("dev", {"State": "UNAVAILABLE", "Reason": "AUTH_FAILURE", "Description": "Proxy does not have any registered credentials"},
     "the users in the secrets do not exist on the database or their passwords differ: run "),
    ("prod", {"State": "UNAVAILABLE", "Reason": "AUTH_FAILURE", "Description": "Access denied for user"},
     AUTH_FAILURE_ADVICE[AuthMode.PROVISIONER]),
    ("billing", {"State": "UNAVAILABLE", "Reason": "AUTH_FAILURE", "Description": "PAM authentication failed"},
     AUTH_FAILURE_ADVICE[AuthMode.IAM]),
    ("dev", {"State": "UNAVAILABLE", "Reason": "CONNECTION_FAILED", "Description": "Connection refused"},
     REASON_ADVICE["CONNECTION_FAILED"].format(port=3306)),
    ("billing", {"State": "UNAVAILABLE", "Reason": "UNREACHABLE", "Description": "Timed out"},
     REASON_ADVICE["UNREACHABLE"].format(port=5432)),
    ("dev", {"State": "UNAVAILABLE", "Reason": "PENDING_PROXY_CAPACITY", "Description": "Scaling"},
     REASON_ADVICE["PENDING_PROXY_CAPACITY"]),
    ("dev", {"State": "REGISTERING"}, STATE_ADVICE["REGISTERING"]),
]


@pytest.mark.parametrize(("env", "health", "advice"), UNHEALTHY, ids=[f"{e}-{h.get('Reason', h['State'])}"
                                                                     for e, h, _ in UNHEALTHY])
def test_each_unhealthy_reason_names_the_fix_and_exits_3(env, health, advice, tmp_path):
    world = World(env, health=[health], max_connections="400" if env == "billing" else "")
    code, out, _, stubbers = run_status(world, tmp_path)
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"target {world.instances()[0]} "))
    assert lines[at].split(": ", 1)[1].startswith(" ".join(filter(None, (health["State"], health.get("Reason")))))
    if health.get("Description"):
        assert lines[at].endswith(f": {health['Description']}")
    if env == "dev" and health.get("Reason") == "AUTH_FAILURE":
        advice += f"{tmp_path}/out/dev{DEV_SCRIPT}"
    assert lines[at + 1] == f"  fix: {advice}"
    assert code == 3 and lines[-1] == "result: unhealthy (exit 3)"
    _all_called(stubbers)


def test_pending_capacity_shows_the_subnets_free_addresses(tmp_path):
    world = World("dev", health=[{"State": "UNAVAILABLE", "Reason": "PENDING_PROXY_CAPACITY"}], subnets_free=2)
    code, out, _, stubbers = run_status(world, tmp_path)
    assert ("note: free IP addresses in the proxy's subnets: subnet-0a1b2c3d4e5f60711 2, "
            "subnet-0a1b2c3d4e5f60722 2") in out.splitlines()
    _all_called(stubbers)


def test_a_reader_unhealthy_in_the_cluster_is_unhealthy(tmp_path):
    world = World("prod", health=[{"State": "AVAILABLE"},
                                  {"State": "UNAVAILABLE", "Reason": "INVALID_REPLICATION_STATE"}])
    code, out, _, _ = run_status(world, tmp_path)
    assert code == 3
    assert "target orders-prod-aurora-2 (RDS_INSTANCE, READ_ONLY): UNAVAILABLE INVALID_REPLICATION_STATE" in out


def test_stack_in_a_failed_state_is_unhealthy(tmp_path):
    code, out, _, _ = run_status(World("dev", stack_status="UPDATE_ROLLBACK_FAILED"), tmp_path)
    assert code == 3
    assert ("unhealthy: stack UPDATE_ROLLBACK_FAILED: read the stack's events (aws cloudformation "
            "describe-stack-events)") in out.splitlines()


# --- drift ---------------------------------------------------------------------------------------
def test_committed_template_changed_is_drift(tmp_path):
    changed = committed_text("dev").replace("IdleClientTimeout: 1800", "IdleClientTimeout: 900")
    assert changed != committed_text("dev")
    code, out, _, stubbers = run_status(World("dev"), tmp_path, committed=changed)
    assert code == 1
    assert ("drift committed/deployed: Resources.Proxy.Properties.IdleClientTimeout: committed 900, deployed 1800"
            in out.splitlines())
    _all_called(stubbers)


@pytest.mark.parametrize(("world", "line"), [
    (World("dev", proxy_changes={"RequireTLS": False}),
     "drift deployed/live: Proxy.RequireTLS: deployed true, live false"),
    (World("dev", pool_changes={"MaxConnectionsPercent": 90}),
     "drift deployed/live: ProxyTargetGroup.ConnectionPoolConfigurationInfo.MaxConnectionsPercent: deployed 50, "
     "live 90"),
    (World("prod", pool_changes={"InitQuery": "SET time_zone = 'UTC'"}),
     "drift deployed/live: ProxyTargetGroup.ConnectionPoolConfigurationInfo.InitQuery: deployed "
     "\"SET time_zone = '+00:00'\", live \"SET time_zone = 'UTC'\""),
    (World("prod", deleted_endpoints=("orders-prod-reporting",)),
     "drift deployed/live: EndpointOrdersProdReporting.(resource): deployed 'endpoint orders-prod-reporting', "
     "live (absent)"),
    (World("dev", proxy_changes={"VpcSubnetIds": ["subnet-0a1b2c3d4e5f60711"]}),
     "drift deployed/live: Proxy.VpcSubnetIds: deployed ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60722'], "
     "live ['subnet-0a1b2c3d4e5f60711']"),
], ids=["require-tls", "pool-percent", "init-query", "endpoint-deleted", "subnets"])
def test_live_drift_names_the_property_and_exits_1(world, line, tmp_path):
    code, out, _, stubbers = run_status(world, tmp_path)
    assert line in out.splitlines()
    assert code == 1 and out.splitlines()[-1] == "result: drift (exit 1)"
    _all_called(stubbers)


def test_auth_changed_live_is_drift_and_json_names_it(tmp_path):
    world = World("dev")
    auth = world.proxy()["Auth"]
    auth[0] = {**auth[0], "IAMAuth": "DISABLED"}
    world.proxy_changes = {"Auth": auth}
    code, out, _, _ = run_status(world, tmp_path, "--format", "json")
    live = json.loads(out)["drift"]["deployed_vs_live"]
    assert code == 1 and [(d["resource"], d["property"]) for d in live] == [("Proxy", "Auth")]
    assert sorted(item["IAMAuth"] for item in live[0]["live"]) == ["DISABLED", "REQUIRED"]


def test_unresolvable_values_are_not_compared_never_drift(tmp_path):
    # A deployed template whose RoleArn is a function status does not evaluate: not compared.
    deployed = committed_text("dev").replace("RoleArn: !GetAtt 'ProxyRole.Arn'",
                                             "RoleArn: !Select [0, [!GetAtt 'ProxyRole.Arn']]")
    assert deployed != committed_text("dev")
    code, out, _, _ = run_status(World("dev", deployed=deployed, proxy_changes={"RoleArn": "arn:aws:iam::1:role/x"}),
                                 tmp_path, "--format", "json", committed=deployed)
    document = json.loads(out)
    assert code == 0 and document["drift"]["deployed_vs_live"] == []
    assert {"resource": "Proxy", "property": "RoleArn", "reason": "Fn::Select is not evaluated"} \
        in document["drift"]["not_compared"]


def test_unhealthy_wins_over_drift(tmp_path):
    world = World("dev", proxy_changes={"RequireTLS": False}, health=[{"State": "REGISTERING"}])
    code, out, _, _ = run_status(world, tmp_path)
    assert code == 3 and "drift deployed/live: Proxy.RequireTLS: deployed true, live false" in out


# --- cannot read ---------------------------------------------------------------------------------
def test_permission_error_exits_4_with_one_line(tmp_path):
    world = World("dev", errors={"rds:describe_db_proxies": (
        "AccessDenied", "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: rds:DescribeDBProxies")})
    code, out, err, _ = run_status(world, tmp_path)
    assert (code, out) == (4, "")
    assert err == ("status: cannot read: rds:DescribeDBProxies: AccessDenied: User: arn:aws:iam::111122223333:user/ci "
                   "is not authorized to perform: rds:DescribeDBProxies\n")


def test_missing_stack_exits_4_with_one_line_and_json(tmp_path):
    world = World("dev", errors={"cloudformation:describe_stacks": (
        "ValidationError", "Stack with id rds-proxy-dev does not exist")})
    code, out, err, _ = run_status(world, tmp_path, "--format", "json")
    assert code == 4
    assert err == ("status: cannot read: no stack rds-proxy-dev in eu-west-1 (deployed yet? another region or "
                   "account?)\n")
    assert json.loads(out) == {"env": "dev", "error": err.split("cannot read: ", 1)[1].strip(), "exit_code": 4,
                               "region": "eu-west-1", "result": "cannot read", "stack": "rds-proxy-dev"}
