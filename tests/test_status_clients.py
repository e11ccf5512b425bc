"""status is read-only by construction: only the allow-listed operations are reachable, the
allow-list is checked against botocore's service models, and boto3 is an optional extra the
build never imports."""

from __future__ import annotations

import ast
import io
import subprocess
import sys

import boto3
import pytest
from botocore.stub import Stubber

from conftest import EXAMPLES, ROOT
from status_stubs import REGION, aws_env  # noqa: F401 - a fixture
from templates_src.status import command
from templates_src.status.clients import ReadOnlyClient, RefusedOperation, check_allow_list, connect
from templates_src.status.facts import ALLOWED_OPERATIONS

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("aws_env")]


def test_the_allow_list_is_sound():
    assert check_allow_list() == []
    assert all(op.startswith(("Describe", "Get", "List")) for ops in ALLOWED_OPERATIONS.values() for op in ops)


def test_a_typo_or_a_write_in_the_allow_list_is_caught():
    problems = check_allow_list({"rds": ("DescribeDBProxys", "DeleteDBProxy")})
    assert problems == ["rds:DescribeDBProxys is not an operation of rds",
                        "rds:DeleteDBProxy is not a read (Describe/Get/List) operation"]


@pytest.mark.parametrize(("service", "method"), [
    ("rds", "delete_db_proxy"), ("rds", "modify_db_proxy"), ("rds", "modify_db_proxy_target_group"),
    ("rds", "deregister_db_proxy_targets"), ("rds", "delete_db_proxy_endpoint"), ("rds", "modify_db_parameter_group"),
    ("cloudformation", "update_stack"), ("cloudformation", "delete_stack"), ("cloudformation", "detect_stack_drift"),
    ("ec2", "revoke_security_group_ingress"), ("rds", "get_paginator"), ("rds", "meta"),
])
def test_no_other_operation_is_reachable(service, method):
    client = boto3.client(service, region_name=REGION)
    stubber = Stubber(client)
    if method in client.meta.method_to_api_mapping:  # a response waits: were a request made, it would be used
        stubber.add_client_error(method, service_error_code="WouldHaveBeenSent")
    with stubber:
        wrapped = ReadOnlyClient(client, service)
        with pytest.raises(RefusedOperation, match="not on status's read-only allow-list"):
            getattr(wrapped, method)
        # The raw client is guarded as well: its handler refuses before the parameters are built.
        if method in client.meta.method_to_api_mapping:
            with pytest.raises(RefusedOperation):
                getattr(client, method)(DBProxyName="x", StackName="x", GroupId="sg-1")
            assert len(stubber._queue) == 1  # never reached the Stubber: no request was made


def test_allowed_operations_pass_through():
    client = boto3.client("rds", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_response("describe_db_proxies", {"DBProxies": []}, {"DBProxyName": "p"})
        assert ReadOnlyClient(client, "rds").describe_db_proxies(DBProxyName="p") == {"DBProxies": []}
        stubber.assert_no_pending_responses()


def test_connect_wraps_every_service():
    class Session:
        def client(self, service_name, region_name=None):
            return boto3.client(service_name, region_name=region_name)

    clients = connect(Session(), REGION)
    assert sorted(clients) == sorted(ALLOWED_OPERATIONS)
    assert all(isinstance(c, ReadOnlyClient) for c in clients.values())
    with pytest.raises(RefusedOperation):
        clients["cloudformation"].update_stack


def test_without_boto3_it_says_how_to_install_and_exits_2(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    out, err = io.StringIO(), io.StringIO()
    code = command.run(["dev", "--params", str(EXAMPLES), "--out", str(tmp_path)], out, err)
    assert (code, out.getvalue()) == (2, "")
    assert err.getvalue() == "status: error: status needs boto3: pip install 'rds-proxy-cfn[status]'\n"


def test_only_the_status_package_imports_boto3():
    for path in sorted((ROOT / "templates_src").rglob("*.py")):
        parts = path.relative_to(ROOT / "templates_src").parts
        # status, and the provisioner's Lambda code (it runs in AWS Lambda, never in the build)
        if parts[0] == "status" or parts[:2] == ("provisioner", "runtime"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("boto3", "botocore") for n in names), path


def test_a_build_never_loads_boto3(tmp_path):
    script = ("import sys\n"
              "from templates_src.app.cli import main\n"
              "import templates_src.status.command, templates_src.status.check\n"
              f"code = main(['--params', {str(EXAMPLES)!r}, '--out', {str(tmp_path)!r}, '--no-lint', '--no-cache', "
              "'dev'])\n"
              "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr
