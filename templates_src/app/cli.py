"""The command line: arguments, the other commands (import, artifact, status), the build's
errors in words, exit codes (``exit_codes``). The build itself is ``pipeline``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from .. import __version__
from ..output import compare, report
from ..speed.lint_cache import CACHE_ENV_VAR
from . import failsafe as guards, pipeline
from ..facts.exit_codes import EXIT_BAD_INPUT, EXIT_FINDINGS
from .stopped import (BadArguments, BadParams, BadPolicy, CannotRead, CannotWrite, LintFailed, NoEnvironments,
                      Refused, Stopped)

CONSOLE_COMMAND = "rds-proxy-cfn"  # pyproject.toml [project.scripts]
# How each reason a build stopped for is said (those with more to say: ``report_stop``).
_SAID = {
    BadArguments: "build.py: error: {}",
    BadPolicy: "bad policy: {}; nothing was written",
    NoEnvironments: "{}: no environments (add <env>.yaml files)",
    CannotRead: "cannot read {}",
    CannotWrite: "cannot write {}",
}


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of this tool (argparse prints the whole usage).
        how = "python build.py" if self.prog == "build.py" else self.prog
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {how} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _ArgumentParser(
        # The console command (pip's [project.scripts] entry) or the build.py entry point.
        prog=CONSOLE_COMMAND if Path(sys.argv[0]).name == CONSOLE_COMMAND else "build.py",
        description="Generate RDS Proxy CloudFormation templates from per-environment params files.",
        epilog="other commands (each with its own --help): import ENV --from DIR (adopt a proxy made by hand); "
               "status ENV (how a deployed proxy is doing); artifact (build the users provisioner's code)",
    )
    parser.add_argument("envs", nargs="*", metavar="ENV", help="environments to build (default: all)")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default: generated)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="build in memory and compare with the output folder; write nothing")
    mode.add_argument("--diff", action="store_true",
                      help="build in memory and print what would change in the output folder; write nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="with --diff: text (the impact in words, then unified diffs) or json (the impact "
                             "as one JSON document)")
    parser.add_argument("--exit-code", action="store_true",
                        help="with --diff: exit 1 when anything would change")
    parser.add_argument("--against", metavar="REV",
                        help="read the deployed templates from git revision REV's out folder (e.g. origin/main) "
                             "instead of the working tree's: the change impact, its refusals and "
                             "stack-policy-during-update.json are those of the change from REV")
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint and the Guard policies")
    parser.add_argument("--no-cache", action="store_true",
                        help="a cold build: lint every template afresh and build the Service Catalog product "
                             "anew; neither read nor write the caches "
                             f"(default location: .cache/rds-proxy-cfn/ beside the params folder, "
                             f"or ${CACHE_ENV_VAR})")
    parser.add_argument("--policies", action="append", default=[], metavar="DIR",
                        help="also enforce the .guard files in DIR (repeatable; policies/ and policies/org/ "
                             "always apply)")
    parser.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                        help="worker processes for rendering and linting (default: the CPUs available)")
    parser.add_argument("--version", action="version", version=f"rds-proxy-cfn {__version__}")
    args = parser.parse_args(argv)
    if not args.diff and (args.exit_code or args.format != "text"):
        parser.error("--format and --exit-code go with --diff")
    return args


@guards.one_line_errors
def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
         templates: Callable[[], Mapping[str, bytes]] | None = None) -> int:
    """The build; ``argv`` None: the command line's. ``templates``: the jinja templates compiled
    elsewhere (``program.run`` has a child compile them while this module is imported), waited
    for when the renders need them."""
    try:
        return _main(argv, stdout, stderr, templates)
    except BrokenPipeError:
        # The reader went away (build.py --diff | head): end quietly. Python's documented recipe
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe): point stdout at devnull
        # so the interpreter's last flush does not fail again.
        if stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS




def _main(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO,
          templates: Callable[[], Mapping[str, bytes]] | None) -> int:
    start = time.perf_counter()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "import":  # an env named "import" builds with: build.py --params params import
        from ..adopt import command as import_command  # its modules (adopt) only for it

        return import_command.run(argv[1:], stdout, stderr)
    if argv and argv[0] == "artifact":  # the provisioner's code, for provisioner.artifact_bucket
        from ..provisioner import artifact

        return artifact.main(list(argv[1:]))
    if argv and argv[0] == "status":  # is the deployed proxy healthy and as reviewed (boto3: the [status] extra)
        from ..status import command

        return command.run(argv[1:], stdout, stderr)
    request = pipeline.Request(parse_args(argv), stdout, stderr, start)
    try:
        return pipeline.build(request, templates)
    except Stopped as stop:
        return report_stop(stop, stderr)


def report_stop(stop: Stopped, stderr: TextIO) -> int:
    """Why the build stopped, in words on stderr; the exit status."""
    if isinstance(stop, BadParams):
        report.problems(stop.errors, "params", stderr)
        return EXIT_BAD_INPUT
    if isinstance(stop, Refused):
        return compare.refuse(stop.lines, stop.consequence, stderr)
    if isinstance(stop, LintFailed):
        for finding in stop.findings:
            print(finding, file=stderr)
        print(f"{len(stop.findings)} cfn-lint or policy finding(s); nothing was written", file=stderr)
        return EXIT_FINDINGS
    print(_SAID[type(stop)].format(stop), file=stderr)
    return EXIT_BAD_INPUT
