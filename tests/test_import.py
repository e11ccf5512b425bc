"""``import ENV --from DIR``: a proxy made by hand, as the AWS CLI describes it, becomes params
that build lint-clean and describe it exactly, plus the files of CloudFormation's resource import.

Fixtures (tests/fixtures/import/<case>/) are written from the documented response shapes of
DescribeDBProxies, DescribeDBProxyTargetGroups, DescribeDBProxyTargets, DescribeDBProxyEndpoints
(RDS API Reference) and EC2 DescribeSecurityGroups, as `aws ... --output json` prints them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cfn_flip import load_yaml

from conftest import run_main, snapshot
from templates_src.config import load_environments
from templates_src.impact.schemas import resource_schema
from templates_src.render.files import template_yaml
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.cli

FIXTURES = Path(__file__).parent / "fixtures" / "import"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def _import(tmp_path: Path, case: str, env: str = "adopted", edit=None) -> tuple:
    source = tmp_path / "describe"
    shutil.copytree(FIXTURES / case, source)
    if edit:
        edit(source)
    params = tmp_path / "params"
    params.mkdir(exist_ok=True)
    before = snapshot(tmp_path)
    os.chdir(tmp_path)
    result = run_main("import", env, "--from", "describe", "--params", "params")
    return result, before, source, params


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(autouse=True)
def _keep_cwd(monkeypatch):
    monkeypatch.chdir(Path.cwd())


@pytest.mark.parametrize("case", CASES)
def test_imported_params_build_lint_clean(tmp_path, case):
    from cfnlint.api import ManualArgs, lint

    result, _, source, params = _import(tmp_path, case)
    assert result.code == 0, result.err
    cfg = load_environments(params, "params")[0]
    text = template_yaml(cfg, build_template(cfg))
    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=[cfg.region]))
    assert [f"{m.linenumber}: {m.rule.id}: {m.message}" for m in matches] == []
    for name in ("import-template.yaml", "prepare-template.yaml"):
        matches = lint((source / name).read_text(), config=ManualArgs(include_checks=["I"], regions=[cfg.region]))
        assert [f"{name}:{m.linenumber}: {m.rule.id}: {m.message}" for m in matches] == []


def _expected_proxy(proxy: dict) -> dict:
    """The DBProxy properties the describe output states, as CloudFormation names them."""
    auth = [{k: entry[k] for k in ("AuthScheme", "SecretArn", "IAMAuth", "ClientPasswordAuthType", "Description")
             if entry.get(k)} for entry in proxy["Auth"]]
    return {"DBProxyName": proxy["DBProxyName"], "EngineFamily": proxy["EngineFamily"], "Auth": auth,
            "RequireTLS": proxy["RequireTLS"], "IdleClientTimeout": proxy["IdleClientTimeout"],
            "DebugLogging": proxy["DebugLogging"], "VpcSubnetIds": proxy["VpcSubnetIds"],
            "RoleArn": proxy["RoleArn"], "VpcSecurityGroupIds": proxy["VpcSecurityGroupIds"],
            # Create-only: stated unless AWS's default (IPV4), which the template leaves out.
            **{k: proxy[k] for k in ("EndpointNetworkType", "TargetConnectionNetworkType")
               if proxy.get(k, "IPV4") != "IPV4"}}


def _expected_target_group(group: dict, targets: list) -> dict:
    # ConnectionPoolConfig (RDS API) and ConnectionPoolConfigurationInfo (CloudFormation) share
    # their member names; empty ones are left out of the template.
    pool = {k: v for k, v in group["ConnectionPoolConfig"].items() if v not in ([], "", None)}
    cluster = [t["RdsResourceId"] for t in targets if t["Type"] == "TRACKED_CLUSTER"]
    database = {"DBClusterIdentifiers": cluster} if cluster else \
        {"DBInstanceIdentifiers": [t["RdsResourceId"] for t in targets if t["Type"] == "RDS_INSTANCE"]}
    return {"TargetGroupName": group["TargetGroupName"], "ConnectionPoolConfigurationInfo": pool, **database}


# What the update to the env's own template changes on the proxy, and only that: its role and
# security group are the template's own (created afresh), and it gets the template's tags.
MOVED_BY_THE_UPDATE = {"RoleArn", "VpcSecurityGroupIds"}


@pytest.mark.parametrize("case", CASES)
def test_imported_resources_are_what_the_describe_output_says(tmp_path, case):
    result, _, source, params = _import(tmp_path, case)
    assert result.code == 0, result.err
    proxy = _json(source / "describe-db-proxies.json")["DBProxies"][0]
    group = _json(source / "describe-db-proxy-target-groups.json")["TargetGroups"][0]
    targets = _json(source / "describe-db-proxy-targets.json")["Targets"]
    cfg = load_environments(params, "params")[0]
    built = json.loads(json.dumps(build_template(cfg).to_dict()))["Resources"]
    imported = json.loads(json.dumps(load_yaml((source / "import-template.yaml").read_text())))["Resources"]
    want_proxy, want_group = _expected_proxy(proxy), _expected_target_group(group, targets)
    # The import template: every stated property exactly as it runs, nothing else.
    assert imported["Proxy"]["Properties"] == want_proxy
    assert {k: v for k, v in imported["ProxyTargetGroup"]["Properties"].items() if k != "DBProxyName"} == want_group
    # The env's template: the same, but for the role and security group the update moves it to.
    properties = built["Proxy"]["Properties"]
    assert {k: properties[k] for k in want_proxy if k not in MOVED_BY_THE_UPDATE} == \
        {k: v for k, v in want_proxy.items() if k not in MOVED_BY_THE_UPDATE}
    assert set(properties) - set(want_proxy) == {"Tags"}
    assert {k: v for k, v in built["ProxyTargetGroup"]["Properties"].items() if k != "DBProxyName"} == want_group
    for entry in imported.values():
        assert entry["DeletionPolicy"] == "Retain"
    # Step 2 creates everything else while the proxy keeps its role and groups; step 3 (the env's
    # template) differs from it only there.
    prepare = json.loads(json.dumps(load_yaml((source / "prepare-template.yaml").read_text())))["Resources"]
    assert set(prepare) == set(built)
    assert {k: prepare["Proxy"]["Properties"][k] for k in MOVED_BY_THE_UPDATE} == \
        {k: want_proxy[k] for k in MOVED_BY_THE_UPDATE}
    for logical_id, entry in built.items():
        moved = {"Proxy", "ProxyReadOnlyEndpoint"}
        strip = (lambda e: {**e, "Properties": {k: v for k, v in e["Properties"].items() if k not in MOVED_BY_THE_UPDATE}}) \
            if logical_id in moved else (lambda e: e)
        assert strip(prepare[logical_id]) == strip(entry), logical_id
    endpoints = _json(source / "describe-db-proxy-endpoints.json")["DBProxyEndpoints"] \
        if (source / "describe-db-proxy-endpoints.json").exists() else []
    read_only = [e for e in endpoints if e["TargetRole"] == "READ_ONLY"]
    assert ("ProxyReadOnlyEndpoint" in imported) == bool(read_only)
    for endpoint in read_only:
        got = imported["ProxyReadOnlyEndpoint"]["Properties"]
        assert (got["DBProxyEndpointName"], got["VpcSubnetIds"], got["VpcSecurityGroupIds"]) == \
            (endpoint["DBProxyEndpointName"], endpoint["VpcSubnetIds"], endpoint["VpcSecurityGroupIds"])


@pytest.mark.parametrize("case", CASES)
def test_resources_to_import_name_each_resource_by_its_schema_identifier(tmp_path, case):
    result, _, source, params = _import(tmp_path, case)
    assert result.code == 0, result.err
    cfg = load_environments(params, "params")[0]
    imported = json.loads(json.dumps(load_yaml((source / "import-template.yaml").read_text())))["Resources"]
    listed = _json(source / "resources-to-import.json")
    assert sorted(r["LogicalResourceId"] for r in listed) == sorted(imported)
    group_arn = _json(source / "describe-db-proxy-target-groups.json")["TargetGroups"][0]["TargetGroupArn"]
    for entry in listed:
        schema = resource_schema(cfg.region, entry["ResourceType"])
        assert tuple(entry["ResourceIdentifier"]) == schema.primary_identifier
        assert entry["ResourceType"] == imported[entry["LogicalResourceId"]]["Type"]
    by_id = {r["LogicalResourceId"]: r["ResourceIdentifier"] for r in listed}
    assert by_id["ProxyTargetGroup"] == {"TargetGroupArn": group_arn}
    guide = (source / "IMPORT.md").read_text()
    assert "--change-set-type IMPORT" in guide and "ProxyRole" in guide and "ProxySecurityGroup" in guide


def _set(name: str, pointer: tuple, value):
    def edit(folder: Path) -> None:
        path = folder / name
        data = json.loads(path.read_text())
        node = data
        for part in pointer[:-1]:
            node = node[part]
        if value is KeyError:
            del node[pointer[-1]]
        else:
            node[pointer[-1]] = value
        path.write_text(json.dumps(data))
    return edit


def _raw(name: str, text: str | None):
    def edit(folder: Path) -> None:
        if text is None:
            (folder / name).unlink()
        else:
            (folder / name).write_text(text)
    return edit


P, SG = "describe-db-proxies.json", "describe-security-groups.json"
BAD = {
    "invalid-json": (_raw(P, '{"DBProxies": [\n  {"DBProxyName": "x",}\n]}'),
                     # Python's own words and column: 3.13 names the trailing comma, 3.11 what it expected next
                     ("describe/describe-db-proxies.json:2:23: not valid JSON: Expecting property name enclosed in double quotes",
                      "describe/describe-db-proxies.json:2:22: not valid JSON: Illegal trailing comma before end of object")),
    "missing-file": (_raw("describe-db-proxy-targets.json", None),
                     "describe/describe-db-proxy-targets.json: missing; save the output of "
                     "`aws rds describe-db-proxy-targets --db-proxy-name NAME` there"),
    "missing-field": (_set(P, ("DBProxies", 0, "VpcId"), KeyError), "describe/describe-db-proxies.json: DBProxies[0].VpcId: missing"),
    "wrong-type": (_set(P, ("DBProxies", 0, "IdleClientTimeout"), "1800"),
                   "describe/describe-db-proxies.json: DBProxies[0].IdleClientTimeout: expected a whole number, got text"),
    "nan": (_raw(P, '{"DBProxies": [{"IdleClientTimeout": NaN}]}'), "describe/describe-db-proxies.json: not valid JSON: NaN is not JSON"),
    "nested-too-deep": (_raw(SG, '{"SecurityGroups": ' + "[" * 200_000 + "]" * 200_000 + "}"),
                        "describe/describe-security-groups.json: nested too deeply to be a describe output"),
    "hostile-proxy-name": (_set(P, ("DBProxies", 0, "DBProxyName"), "orders\n$(reboot)"),
                           "describe/describe-db-proxies.json: DBProxies[0].DBProxyName: 'orders\\n$(reboot)' is not allowed"),
    "hostile-subnet": (_set(P, ("DBProxies", 0, "VpcSubnetIds", 1), "subnet-1; rm -rf /"),
                       "describe/describe-db-proxies.json: DBProxies[0].VpcSubnetIds[1]: 'subnet-1; rm -rf /' is not allowed"),
    "secret-in-another-region": (_set(P, ("DBProxies", 0, "Auth", 0, "SecretArn"),
                                      "arn:aws:secretsmanager:us-west-2:111122223333:secret:x-AbCdEf"),
                                 "describe/describe-db-proxies.json: DBProxies[0].Auth[0].SecretArn: the secret is in us-west-2"),
    "world-ingress": (_set(SG, ("SecurityGroups", 0, "IpPermissions", 1, "IpRanges", 0, "CidrIp"), "0.0.0.0/0"),
                      "describe/describe-security-groups.json: SecurityGroups[0].IpPermissions[1].IpRanges[0].CidrIp: "
                      "'0.0.0.0/0' opens the proxy to the whole internet"),
    "two-proxies": (lambda f: (f / P).write_text(json.dumps({"DBProxies": _json(f / P)["DBProxies"] * 2})),
                    "describe/describe-db-proxies.json: DBProxies: describes 2 proxies"),
    "no-users": (_set(P, ("DBProxies", 0, "Auth"), []),
                 "describe/describe-db-proxies.json: users: has 0 item(s); at least 1 required"),
    "end-to-end-iam": (_set(P, ("DBProxies", 0, "DefaultAuthScheme"), "IAM_AUTH"),
                       "describe/describe-db-proxies.json: DBProxies[0].DefaultAuthScheme: 'IAM_AUTH': end-to-end IAM"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_describe_output_is_one_line_exit_2_nothing_written(tmp_path, case):
    edit, expected = BAD[case]
    result, before, source, params = _import(tmp_path, "mysql-instance", edit=edit)
    lines = result.err.splitlines()
    assert result.code == 2, result.err
    assert lines[-1].endswith("problem(s) in the describe output; nothing was written")
    assert any(line.startswith(expected) for line in lines[:-1]), result.err  # str.startswith takes a tuple too
    assert "Traceback" not in result.err
    assert not list(params.iterdir())
    assert not (source / "IMPORT.md").exists() and not (source / "resources-to-import.json").exists()


def test_a_symlink_in_place_of_an_output_is_refused(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    result, _, source, params = _import(tmp_path, "mysql-instance",
                                        edit=lambda folder: (folder / "IMPORT.md").symlink_to(outside))
    assert result.code == 2 and "describe/IMPORT.md: is a symbolic link" in result.err
    assert outside.read_text() == "keep\n" and not list(params.iterdir())


def test_arguments_are_one_line_and_exit_2(tmp_path):
    from conftest import run_build

    result = run_build("import", "orders", cwd=tmp_path)
    assert result.code == 2 and len(result.err.splitlines()) == 1 and "--from" in result.err, result.err
    assert "Traceback" not in result.err


def test_an_existing_params_file_is_never_replaced(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "adopted.yaml").write_text("# mine\n")
    result, _, _, params = _import(tmp_path, "mysql-instance")
    assert result.code == 2 and "params/adopted.yaml: exists already" in result.err
    assert (params / "adopted.yaml").read_text() == "# mine\n"


def test_the_other_environments_take_part_in_the_cross_environment_rules(tmp_path):
    (tmp_path / "params").mkdir()
    result, _, _, _ = _import(tmp_path, "mysql-instance")
    assert result.code == 0
    result = run_main("import", "again", "--from", "describe", "--params", "params")
    assert result.code == 2
    assert "describe/describe-db-proxies.json: DBProxies[0].DBProxyName: proxy name 'orders-legacy' is also used by " \
           "params/adopted.yaml in eu-west-1" in result.err


def test_build_py_takes_the_same_import_command(tmp_path):
    from conftest import run_build

    shutil.copytree(FIXTURES / "mysql-instance", tmp_path / "describe")
    (tmp_path / "params").mkdir()
    result = run_build("import", "adopted", "--from", "describe", cwd=tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "params" / "adopted.yaml").is_file()


def test_rds_managed_master_secret_is_adopted_as_the_master_left_alone(tmp_path):
    """An rds!cluster- secret names no user: the import marks it master: true (db-users.sql must not
    reset the password RDS keeps) under RDS's default master name, with a CHECK comment."""
    result, _, _, params = _import(tmp_path, "postgres-cluster")
    assert result.code == 0, result.err
    cfg = load_environments(params, "params")[0]
    master = next(u for u in cfg.users if u.master)
    assert (master.username, master.secret_arn.split(":secret:")[1][:12]) == ("postgres", "rds!cluster-")
    text = (params / "adopted.yaml").read_text()
    assert "CHECK: RDS's managed master secret: the database's master username" in text
    assert [u.username for u in cfg.sql_users] == ["ledger_app"]
