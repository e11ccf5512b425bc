"""``rds-proxy-cfn import ENV --from DIR`` (and ``build.py import``): its arguments, exit codes and
printing; the work is ``adopt``'s. ``cli`` hands it every command line that starts with ``import``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..facts.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from .. import adopt
from ..output import report
from ..config import ParamsErrors



def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from ..app.cli import CONSOLE_COMMAND, _ArgumentParser  # one argument parser style (cli imports this module)

    prog = CONSOLE_COMMAND if Path(sys.argv[0]).name == CONSOLE_COMMAND else "build.py"
    parser = _ArgumentParser(prog=f"{prog} import", description=(
        "Adopt a proxy made by hand: read the AWS CLI's describe output saved in DIR, write params/ENV.yaml "
        "and, into DIR, what CloudFormation's resource import needs (IMPORT.md says the steps)."))
    parser.add_argument("env", metavar="ENV", help="the environment to write (params/ENV.yaml must not exist)")
    parser.add_argument("--from", dest="source", required=True, metavar="DIR",
                        help="folder holding describe-db-proxies.json, describe-db-proxy-target-groups.json, "
                             "describe-db-proxy-targets.json, describe-security-groups.json and optionally "
                             "describe-db-proxy-endpoints.json")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    return parser.parse_args(argv)


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``import ENV --from DIR``: one line per problem and exit 2, nothing written; or the files."""
    args = parse_args(argv)
    params_dir, source = Path(args.params), Path(args.source)
    params_shown, source_shown = args.params.rstrip("/") or "/", args.source.rstrip("/") or "/"
    try:
        files = adopt.adopt(args.env, source, source_shown, params_dir, params_shown)
        adopt.write(files, params_dir / f"{args.env}.yaml")
    except ParamsErrors as exc:
        report.problems(exc.errors, "the describe output", stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"cannot write: {exc.filename}: {exc.strerror or exc}", file=stderr)
        return EXIT_BAD_INPUT
    for path in files:
        print(f"wrote {path}", file=stdout)
    print(f"next: read {source_shown}/{adopt.GUIDE_FILE}, then build the environment: {args.env}", file=stdout)
    return EXIT_OK
