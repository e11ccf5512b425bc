"""A local stand-in for the AWS APIs the generated scripts call, for the real AWS CLI to talk to.

The scripts run with ``AWS_ENDPOINT_URL`` pointing here, so the real ``aws`` command parses each
command line and botocore builds, validates (required parameters, types, lengths) and signs each
request exactly as it would for AWS: a parameter a command does not take, or a value of the
wrong shape, fails the call before it is sent. This server only records what arrives and answers
the operations the scripts use (S3 HeadObject and PutObject, CloudFormation's stack, change set
and stack set operations, DeleteStack among them, CloudWatch Logs DescribeLogGroups, Service
Catalog ProvisionProduct) with the smallest documented response, and the CloudWatch Logs calls of
the provisioner's adopted log group (CreateLogGroup, AssociateKmsKey, PutRetentionPolicy,
TagResource, UntagResource, DeleteLogGroup) for a boto3 client pointed here.

Three facts are modelled. CloudWatch Logs' CreateLogGroup fails with
ResourceAlreadyExistsException for a name that exists and DeleteLogGroup with
ResourceNotFoundException for one that does not (CloudWatch Logs API Reference, the operations'
Errors), each group keeping the key, retention and tags the calls set. A stack's create fails
while a log group it makes as an AWS::Logs::LogGroup exists (one a deleted stack kept: the name is
the group's physical id), while the provisioner's adopted group takes the one there; a deleted
stack keeps the log groups whose DeletionPolicy keeps them. And CloudFormation's create of the
provisioner's function fails while the code object its template names is missing from S3 (Lambda
reads the code when the function is created), so a create leaves the stack in ROLLBACK_COMPLETE
then, as AWS would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cfn_flip import load_yaml

CFN_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
ACCOUNT = "111122223333"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


# How to get the AWS CLI that the aws_cli tests run: their skip reason where it is missing.
AWS_CLI_HOW = "the AWS CLI v1, awscli: pip install -e '.[test]' puts it beside python"


def real_aws_cli() -> str | None:
    """The AWS CLI's own entry point (not a pyenv shim, which needs pyenv on PATH), or None: first
    the one the test extra installs beside this python, so the tests need none of the machine's."""
    candidates = [str(Path(sys.executable).parent / "aws"), shutil.which("aws"),
                  *sorted(str(p) for p in Path.home().glob(".pyenv/versions/*/bin/aws"))]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            head = Path(candidate).read_bytes()[:200]
            if head.startswith(b"#!") and b"python" in head.split(b"\n")[0]:
                return candidate
    return None


@dataclass
class Call:
    service: str  # s3, cloudformation, logs
    operation: str  # HeadObject, PutObject, CreateStack...
    params: dict[str, str]  # the query's flat keys (Tags.member.1.Key) or, for S3, Bucket and Key


@dataclass
class Stack:
    name: str
    status: str
    template: str = ""
    policy: str | None = None
    termination_protection: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    pending: tuple[str, dict[str, str], str] | None = None  # a change set's template, tags and type


class StandIn:
    """The state behind the endpoint: S3 objects, stacks, kept log groups, and every call."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.objects: dict[tuple[str, str], bytes] = {}
        self.object_regions: dict[tuple[str, str], str] = {}  # the region each PutObject was signed for
        self.stacks: dict[str, Stack] = {}
        self.log_groups: list[str] = []
        self.log_group_settings: dict[str, dict[str, Any]] = {}  # name -> kmsKeyId, retentionInDays, tags
        self.calls: list[Call] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def operations(self, service: str | None = None) -> list[str]:
        return [c.operation for c in self.calls if service is None or c.service == service]

    def environment(self, home: Path) -> dict[str, str]:
        """What a process needs to send the real CLI here: fake credentials, no profile of this
        machine, path-style S3 addresses (the bucket in the path, as on any custom endpoint)."""
        config = home / "aws-config"
        config.write_text(f"[default]\nregion = {self.region}\ns3 =\n    addressing_style = path\n")
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_CONFIG_FILE": str(config),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1", "HOME": str(home)}

    # --- the model ---------------------------------------------------------------------------

    def code_is_staged(self, template: str) -> bool:
        """Every Lambda function of the template finds its code object (CreateFunction reads it)."""
        resources = load_yaml(template).get("Resources", {})
        for resource in resources.values():
            code = resource.get("Properties", {}).get("Code", {}) if resource["Type"] == "AWS::Lambda::Function" else {}
            if "S3Key" in code and (code["S3Bucket"], code["S3Key"]) not in self.objects:
                return False
        return True

    def logs(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """CloudWatch Logs (JSON 1.1): the answer's status and body, an error as ``__type``."""
        name = params.get("logGroupName") or params.get("resourceArn", "").partition(":log-group:")[2]

        def error(kind: str) -> tuple[int, dict[str, Any]]:
            return 400, {"__type": kind, "message": f"{kind} for {name}"}

        if operation == "DescribeLogGroups":
            prefix = params.get("logGroupNamePrefix", "")
            return 200, {"logGroups": [{"logGroupName": g} for g in self.log_groups if g.startswith(prefix)]}
        if operation == "CreateLogGroup":
            if name in self.log_groups:
                return error("ResourceAlreadyExistsException")
            self.log_groups.append(name)
            self.log_group_settings[name] = {"kmsKeyId": params.get("kmsKeyId"), "tags": dict(params.get("tags", {}))}
            return 200, {}
        if name not in self.log_groups:
            return error("ResourceNotFoundException")
        settings = self.log_group_settings.setdefault(name, {"tags": {}})
        if operation == "DeleteLogGroup":
            self.log_groups.remove(name)
            del self.log_group_settings[name]
        elif operation == "AssociateKmsKey":
            settings["kmsKeyId"] = params["kmsKeyId"]
        elif operation == "PutRetentionPolicy":
            settings["retentionInDays"] = params["retentionInDays"]
        elif operation == "TagResource":
            settings["tags"].update(params["tags"])
        elif operation == "UntagResource":
            for key in params["tagKeys"]:
                settings["tags"].pop(key, None)
        else:
            return error("InvalidOperationException")
        return 200, {}

    @staticmethod
    def log_groups_of(template: str) -> list[tuple[str, str, str]]:
        """(type, name, DeletionPolicy) of each log group the template makes: an AWS::Logs::LogGroup,
        or the provisioner's Custom::AdoptedLogGroup, with a literal name."""
        resources = load_yaml(template).get("Resources", {}) if template else {}
        return [(r["Type"], r["Properties"]["LogGroupName"], r.get("DeletionPolicy", "Delete"))
                for r in resources.values()
                if r["Type"] in ("AWS::Logs::LogGroup", "Custom::AdoptedLogGroup")
                and isinstance(r.get("Properties", {}).get("LogGroupName"), str)]

    def finish(self, stack: Stack, operation: str) -> None:
        """The operation's end state, at once: no waiter ever needs to poll twice. A create fails
        when an AWS::Logs::LogGroup's name is taken ("already exists"; the name is the group's
        physical id), while the adopted one takes the group that is there."""
        groups = self.log_groups_of(stack.template)
        ok = self.code_is_staged(stack.template)
        if operation == "CREATE" and any(t == "AWS::Logs::LogGroup" and n in self.log_groups for t, n, _ in groups):
            ok = False
        if ok:
            self.log_groups += [n for _, n, _ in groups if n not in self.log_groups]
        stack.status = f"{operation}_COMPLETE" if ok else ("ROLLBACK_COMPLETE" if operation == "CREATE"
                                                            else "UPDATE_ROLLBACK_COMPLETE")

    # --- CloudFormation (query protocol) -----------------------------------------------------

    def refused(self, p: dict[str, str]) -> tuple[int, str] | None:
        """What CloudFormation refuses before it starts: a template with IAM resources without
        CAPABILITY_IAM, a transform without CAPABILITY_AUTO_EXPAND (CreateStack, Capabilities), a
        stack policy that is not JSON."""
        body = load_yaml(p["TemplateBody"])
        given = {value for name, value in p.items() if name.startswith("Capabilities.member.")}
        needed = set()
        if any(r["Type"].startswith("AWS::IAM::") for r in body.get("Resources", {}).values()):
            needed.add("CAPABILITY_IAM")
        if "Transform" in body:
            needed.add("CAPABILITY_AUTO_EXPAND")
        if needed - given - ({"CAPABILITY_IAM"} if "CAPABILITY_NAMED_IAM" in given else set()):
            return 400, _cfn_error("InsufficientCapabilitiesException", f"Requires capabilities : {sorted(needed - given)}")
        for name in ("StackPolicyBody", "StackPolicyDuringUpdateBody"):
            if name in p:
                json.loads(p[name])
        return None

    def cloudformation(self, action: str, p: dict[str, str]) -> tuple[int, str]:
        name = p.get("StackName", "")
        stack = self.stacks.get(name)
        missing = (400, _cfn_error("ValidationError", f"Stack with id {name} does not exist"))
        if action == "DescribeStacks":
            if stack is None:
                return missing
            return 200, _cfn(action, f"<Stacks><member><StackName>{escape(name)}</StackName><StackId>{_stack_id(self, name)}"
                                     f"</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>"
                                     f"{stack.status}</StackStatus></member></Stacks>")
        if action in ("CreateStack", "UpdateStack", "CreateChangeSet") and (refusal := self.refused(p)):
            return refusal
        if action == "CreateStack":
            if stack is not None:
                return 400, _cfn_error("AlreadyExistsException", f"Stack [{name}] already exists")
            stack = self.stacks[name] = Stack(name, "CREATE_IN_PROGRESS", p["TemplateBody"], p.get("StackPolicyBody"),
                                              p.get("EnableTerminationProtection") == "true", _tags(p))
            self.finish(stack, "CREATE")
            return 200, _cfn(action, f"<StackId>{_stack_id(self, name)}</StackId>")
        if action == "UpdateStack":
            if stack is None:
                return missing
            stack.template, stack.tags = p["TemplateBody"], _tags(p)
            self.finish(stack, "UPDATE")
            return 200, _cfn(action, f"<StackId>{_stack_id(self, name)}</StackId>")
        if action == "DeleteStack":
            if stack is not None:
                if stack.termination_protection:
                    return 400, _cfn_error("ValidationError", f"Stack [{name}] cannot be deleted while "
                                                              "TerminationProtection is enabled")
                # What DeletionPolicy keeps stays (Retain, RetainExceptOnCreate after a create that
                # completed); what it does not, goes with the stack.
                for _, group, policy in self.log_groups_of(stack.template):
                    if policy == "Delete" and group in self.log_groups:
                        self.log_groups.remove(group)
                del self.stacks[name]
            return 200, _cfn(action, "")
        if action == "SetStackPolicy":
            if stack is None:
                return missing
            stack.policy = p["StackPolicyBody"]
            return 200, _cfn(action, "")
        if action == "UpdateTerminationProtection":
            if stack is None:
                return missing
            stack.termination_protection = p["EnableTerminationProtection"] == "true"
            return 200, _cfn(action, f"<StackId>{_stack_id(self, name)}</StackId>")
        if action == "CreateChangeSet":
            if p.get("ChangeSetType") == "CREATE":
                if stack is not None:
                    return 400, _cfn_error("AlreadyExistsException", f"Stack [{name}] already exists")
                stack = self.stacks[name] = Stack(name, "REVIEW_IN_PROGRESS")
            elif stack is None:
                return missing
            stack.pending = (p["TemplateBody"], _tags(p), p.get("ChangeSetType", "UPDATE"))
            return 200, _cfn(action, f"<Id>{_stack_id(self, name)}:changeSet/{escape(p['ChangeSetName'])}</Id>"
                                     f"<StackId>{_stack_id(self, name)}</StackId>")
        if action == "DescribeChangeSet":
            return 200, _cfn(action, f"<ChangeSetName>{escape(p['ChangeSetName'])}</ChangeSetName><StackName>{escape(name)}"
                                     "</StackName><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE"
                                     "</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange>"
                                     "<Action>Add</Action><LogicalResourceId>Proxy</LogicalResourceId>"
                                     "<ResourceType>AWS::RDS::DBProxy</ResourceType></ResourceChange></member></Changes>")
        if action in ("CreateStackSet", "CreateStackInstances"):  # recorded (self.calls) for the test to read
            answer = "<StackSetId>0</StackSetId>" if action == "CreateStackSet" else "<OperationId>0</OperationId>"
            return 200, _cfn(action, answer)
        if action == "ExecuteChangeSet":
            if stack is None or stack.pending is None:
                return 400, _cfn_error("ChangeSetNotFound", "no such change set")
            (stack.template, stack.tags, kind), stack.pending = stack.pending, None
            self.finish(stack, kind)
            return 200, _cfn(action, "")
        return 400, _cfn_error("InvalidAction", f"the stand-in does not answer {action}")


def _stack_id(standin: StandIn, name: str) -> str:
    return f"arn:aws:cloudformation:{standin.region}:{ACCOUNT}:stack/{escape(name)}/0f0e0d0c-0b0a-4909-8807-060504030201"


def _tags(p: dict[str, str]) -> dict[str, str]:
    tags, index = {}, 1
    while f"Tags.member.{index}.Key" in p:
        tags[p[f"Tags.member.{index}.Key"]] = p[f"Tags.member.{index}.Value"]
        index += 1
    return tags


def _cfn(action: str, result: str) -> str:
    return (f'<{action}Response xmlns="{CFN_NAMESPACE}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata>"
            f"</{action}Response>")


def _cfn_error(code: str, message: str) -> str:
    return (f'<ErrorResponse xmlns="{CFN_NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>")


def _unchunk(body: bytes) -> bytes:
    """An aws-chunked body (what botocore may send with a trailing checksum) as its bytes."""
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # answers Expect: 100-continue at once

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            return _unchunk(body) if "aws-chunked" in (self.headers.get("Content-Encoding") or "") else body

        def _send(self, status: int, body: bytes = b"", content_type: str = "text/xml", **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _service(self) -> str:
            match = _SCOPE.search(self.headers.get("Authorization") or "")
            assert match, "an unsigned request"
            return match.group(2)

        def _region(self) -> str:
            match = _SCOPE.search(self.headers.get("Authorization") or "")
            assert match, "an unsigned request"
            return match.group(1)

        def _s3(self, operation: str) -> None:
            bucket, _, key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/").partition("/")
            standin.calls.append(Call("s3", operation, {"Bucket": bucket, "Key": key}))
            if operation == "PutObject":
                standin.objects[(bucket, key)] = self._body()
                standin.object_regions[(bucket, key)] = self._region()
                self._send(200, ETag='"0"')
            elif (bucket, key) in standin.objects:
                data = standin.objects[(bucket, key)]
                self._send(200, data, "application/zip", ETag='"0"', **{"Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"})
            else:
                self._send(404)

        def do_HEAD(self) -> None:
            self._s3("HeadObject")

        def do_GET(self) -> None:
            self._s3("GetObject")

        def do_PUT(self) -> None:
            self._s3("PutObject")

        def do_POST(self) -> None:
            service, body = self._service(), self._body()
            if service == "servicecatalog":  # JSON protocol; ProvisionProduct recorded as sent
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                standin.calls.append(Call(service, operation, json.loads(body or b"{}")))
                record = {"RecordDetail": {"RecordId": "rec-0", "Status": "CREATED", "RecordType": "PROVISION_PRODUCT"}}
                self._send(200, json.dumps(record).encode(), "application/x-amz-json-1.1")
                return
            if service == "logs":  # JSON protocol: the operation in X-Amz-Target
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                params = json.loads(body or b"{}")
                standin.calls.append(Call(service, operation, params))
                status, answer = standin.logs(operation, params)
                self._send(status, json.dumps(answer).encode(), "application/x-amz-json-1.1")
                return
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            action = params.pop("Action")
            params.pop("Version", None)
            standin.calls.append(Call(service, action, params))
            status, text = standin.cloudformation(action, params)
            self._send(status, text.encode())

    return Handler


def script_environment(standin: StandIn, home: Path, bin_dir: Path, aws: str) -> dict[str, str]:
    """The environment a generated script runs in: only bin_dir (the real ``aws`` linked into it,
    beside whatever stand-ins a test puts there) and the system's tools on PATH."""
    link = bin_dir / "aws"
    if not link.exists():
        link.symlink_to(aws)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", **standin.environment(home)}
