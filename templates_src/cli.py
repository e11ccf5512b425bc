"""The command line: arguments, progress, exit codes and the printing of every error.

Exit status: 0 success; 1 lint findings or stale output (--check); 2 bad input (params,
arguments, an out folder that cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from . import __version__, checks, emit, render
from .config import EnvConfig, ParamsErrors, load_environments
from .stack import build_template

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of this tool (argparse prints the whole usage).
        self.exit(EXIT_BAD_INPUT, f"build.py: error: {message} (see python build.py --help)\n")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _ArgumentParser(
        prog="build.py",
        description="Generate RDS Proxy CloudFormation templates from per-environment params files.",
    )
    parser.add_argument("envs", nargs="*", metavar="ENV", help="environments to build (default: all)")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default: generated)")
    parser.add_argument("--check", action="store_true",
                        help="build in memory and compare with the output folder; write nothing")
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint")
    parser.add_argument("--version", action="version", version=f"rds-proxy-cfn {__version__}")
    return parser.parse_args(argv)


def build_files(configs: Sequence[EnvConfig]) -> dict[str, str]:
    """Every output file of the given environments, by path relative to the out folder."""
    files: dict[str, str] = {}
    for cfg in configs:
        files.update(render.render_env(cfg, build_template(cfg)))
    return files


def _lint_jobs(configs: Sequence[EnvConfig], files: dict[str, str], out: str) -> list[checks.LintJob]:
    return [
        checks.LintJob(f"{out}/{path}", files[path], cfg.region)
        for cfg in configs
        for path in [f"{cfg.env}/{render.TEMPLATE_FILE}"]
    ]


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args.out)
    out_shown = args.out.rstrip("/") or "/"

    try:
        configs = load_environments(Path(args.params), args.params.rstrip("/") or "/", args.envs)
    except ParamsErrors as exc:
        for error in exc.errors:
            print(error, file=stderr)
        print(f"{len(exc.errors)} problem(s) in params; nothing was written", file=stderr)
        return EXIT_BAD_INPUT
    if not configs:
        print(f"{args.params}: no environments (add <env>.yaml files)", file=stderr)
        return EXIT_BAD_INPUT

    files = build_files(configs)
    if not args.no_lint:
        findings = checks.lint(_lint_jobs(configs, files, out_shown))
        if findings:
            for finding in findings:
                print(finding, file=stderr)
            print(f"{len(findings)} cfn-lint finding(s); nothing was written", file=stderr)
            return EXIT_FINDINGS

    scope = tuple(cfg.env for cfg in configs) if args.envs else None
    if args.check:
        stale = emit.stale_files(files, out_dir, scope)
        for problem in stale:
            print(f"{out_shown}/{problem}", file=stderr)
        if stale:
            print(f"{len(stale)} file(s) out of date; run: python build.py", file=stderr)
            return EXIT_FINDINGS
        print(f"{out_shown} is up to date ({len(configs)} environment(s))", file=stdout)
        return EXIT_OK

    try:
        with emit.build_lock(out_dir, on_wait=lambda: print("waiting for another build to finish...", file=stderr)):
            emit.write_tree(files, out_dir, scope)
    except (emit.EmitError, OSError) as exc:
        detail = str(exc) if isinstance(exc, emit.EmitError) else f"{exc.filename or out_shown}: {exc.strerror}"
        print(f"cannot write {out_shown}: {detail}", file=stderr)
        return EXIT_BAD_INPUT
    for cfg in configs:
        print(f"{cfg.env}: {out_shown}/{cfg.env}/ ({cfg.stack_name}, {cfg.region})", file=stdout)
    return EXIT_OK
