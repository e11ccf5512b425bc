"""``rds-proxy-cfn status ENV`` (and ``build.py status ENV``): arguments, output and exit codes;
``check`` does the work. ``cli`` hands it every command line that starts with ``status``.

Exit codes (the worst wins): 0 healthy and as reviewed; 1 drift (committed template != deployed,
deployed != live, or the database's max_connections != the budget's); 3 unhealthy (stack, proxy
or a target); 4 cannot read (no such stack, a permission error, no credentials); 2 bad input (an
unknown env, bad params or arguments, boto3 not installed, no committed template).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..config import ParamsErrors, discover, load_environments
from ..facts.exit_codes import EXIT_BAD_INPUT, EXIT_CANNOT_READ, EXIT_FINDINGS, EXIT_OK, EXIT_UNHEALTHY
from ..render.files import TEMPLATE_FILE
from .check import CannotRead, Report, run_check
from .facts import ALLOWED_OPERATIONS

INSTALL_HINT = "status needs boto3: pip install 'rds-proxy-cfn[status]'"
RESULTS = {EXIT_OK: "healthy", EXIT_FINDINGS: "drift", EXIT_UNHEALTHY: "unhealthy", EXIT_CANNOT_READ: "cannot read"}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from ..app.cli import CONSOLE_COMMAND, _ArgumentParser  # one argument parser style (cli imports this lazily)

    prog = CONSOLE_COMMAND if Path(sys.argv[0]).name == CONSOLE_COMMAND else "build.py"
    parser = _ArgumentParser(prog=f"{prog} status", description=(
        "Is the environment's proxy healthy, and is it what we reviewed? Compares the committed template with "
        "the deployed one and the deployed one with the live proxy; reports each target's health with the fix, "
        "and the database's max_connections against the budget. Read-only (docs/status.md)."))
    parser.add_argument("env", metavar="ENV", help="the environment to check")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    parser.add_argument("--out", default="generated", metavar="DIR",
                        help="the folder of the committed templates (default: generated)")
    parser.add_argument("--region", help="the stack's region (default: the env's region:)")
    parser.add_argument("--profile", help="the AWS profile to read with (default: boto3's usual chain)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    return parser.parse_args(argv)


def exit_code(report: Report) -> int:
    return EXIT_UNHEALTHY if report.unhealthy else EXIT_FINDINGS if report.drifted else EXIT_OK


def default_session(profile: str | None) -> Any:
    """The boto3 session status reads with (the seam the CLI tests replace with stubbed clients)."""
    import boto3

    return boto3.Session(profile_name=profile)


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO, session: Any = None) -> int:
    """``status ENV``: the report on stdout and the exit code. ``session``: a boto3 Session-like
    object (tests pass one handing out stubbed clients); default ``default_session(--profile)``."""
    args = parse_args(argv)
    try:
        import botocore.exceptions as errors  # lazily: the build never imports boto3 or botocore
        if session is None:
            import boto3  # noqa: F401 - here, to say how to install it before reading anything
    except ImportError:
        print(f"status: error: {INSTALL_HINT}", file=stderr)
        return EXIT_BAD_INPUT
    shown = args.params.rstrip("/") or "/"
    names = discover(Path(args.params), shown)[0]
    if args.env not in names:  # one line (the build's loader would add the unreadable file)
        print(f"status: error: no such environment {args.env!r} in {shown} (have: {', '.join(names) or 'none'})",
              file=stderr)
        return EXIT_BAD_INPUT
    try:
        cfg = load_environments(Path(args.params), shown, [args.env])[0]
    except ParamsErrors as exc:
        for error in exc.errors:
            print(error, file=stderr)
        return EXIT_BAD_INPUT
    out_shown = args.out.rstrip("/") or "/"
    template = Path(args.out) / cfg.env / TEMPLATE_FILE
    try:
        committed = template.read_text(encoding="utf-8")
    except OSError:
        print(f"status: error: no committed template {out_shown}/{cfg.env}/{TEMPLATE_FILE}: build it first "
              f"(rds-proxy-cfn {cfg.env})", file=stderr)
        return EXIT_BAD_INPUT
    region = args.region or cfg.region
    try:
        session = session or default_session(args.profile)
        from .clients import connect

        report = run_check(cfg, connect(session, region), committed, region, out_shown,
                           f"{shown}/{cfg.env}.yaml")
    except errors.ProfileNotFound as exc:
        print(f"status: error: {exc}", file=stderr)
        return EXIT_BAD_INPUT
    except (CannotRead, errors.ClientError, errors.BotoCoreError) as exc:
        return _cannot_read(cfg.env, str(cfg.stack_name), region, _reason(exc), args.format, stdout, stderr)
    code = exit_code(report)
    if args.format == "json":
        print(json.dumps(as_json(report, code), indent=2, sort_keys=True, default=str), file=stdout)
    else:
        for line in text_lines(report, code, out_shown):
            print(line, file=stdout)
    return code


def _reason(exc: Exception) -> str:
    """One line: which call failed and why (ClientError names the operation; find its service)."""
    operation = getattr(exc, "operation_name", None)
    if operation is None:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    service = next((s for s, ops in ALLOWED_OPERATIONS.items() if operation in ops), "aws")
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{service}:{operation}: {error.get('Code', '')}: {error.get('Message', '')}".rstrip(": ")


def _cannot_read(env: str, stack: str, region: str, reason: str, fmt: str, stdout: TextIO, stderr: TextIO) -> int:
    print(f"status: cannot read: {reason}", file=stderr)
    if fmt == "json":  # a CI job parsing stdout still gets a document
        document = {"env": env, "stack": stack, "region": region, "exit_code": EXIT_CANNOT_READ,
                    "result": RESULTS[EXIT_CANNOT_READ], "error": reason}
        print(json.dumps(document, indent=2, sort_keys=True), file=stdout)
    return EXIT_CANNOT_READ


def as_json(report: Report, code: int) -> dict[str, Any]:
    """The report as one JSON document (keys sorted when dumped; see docs/status.md)."""
    return {
        "env": report.env, "stack": report.stack, "region": report.region, "exit_code": code,
        "result": RESULTS[code], "stack_status": report.stack_status, "proxy": report.proxy, "proxy_status": report.proxy_status,
        "drift": {
            "committed_vs_deployed": [{"path": d.prop, "committed": d.expected, "deployed": d.actual}
                                      for d in report.template_differences],
            "deployed_vs_live": [{"resource": d.resource, "property": d.prop, "deployed": d.expected,
                                  "live": d.actual} for d in report.live_differences],
            "not_compared": [{"resource": n.resource, "property": n.prop, "reason": n.reason}
                             for n in report.not_compared],
        },
        "targets": [t.as_json() for t in report.targets],
        "problems": list(report.problems),
        "notes": list(report.notes),
        "max_connections": dict(report.max_connections),
    }


def text_lines(report: Report, code: int, out_shown: str) -> list[str]:
    lines = [f"status {report.env}: stack {report.stack} ({report.region}) {report.stack_status}, "
             f"proxy {report.proxy or '?'} {report.proxy_status or 'not found'}"]
    committed = f"{out_shown}/{report.env}/{TEMPLATE_FILE}"
    if report.template_differences:
        lines += [f"drift committed/deployed: {d.line()}" for d in report.template_differences]
        lines.append(f"  fix: deploy {committed} (deploy.sh), or rebuild it if the deployed one is what you mean")
    else:
        lines.append(f"template: committed {committed} = deployed")
    if report.live_differences:
        lines += [f"drift deployed/live: {d.line()}" for d in report.live_differences]
        lines.append("  fix: someone changed the proxy outside CloudFormation: update the stack to put the template "
                     "back (or change the params and rebuild, if the live value is right)")
    else:
        lines.append("live: deployed = live on every compared property")
    if report.not_compared:
        lines.append("not compared: " + ", ".join(f"{n.resource}.{n.prop}" for n in report.not_compared)
                     + " (why: --format json)")
    lines += [f"unhealthy: {problem}" for problem in report.problems]
    for target in report.targets:
        lines += target.lines()
    lines += [f"note: {note}" for note in report.notes]
    if report.max_connections:
        lines.append(("drift budget: " if report.budget_drift else "") + report.max_connections["line"])
    lines.append(f"result: {RESULTS[code]} (exit {code})")
    return lines
