"""--check and --diff: a build compared with the out folder, and refused update hazards.

Exit codes as in ``exit_codes``: 0 up to date (or no difference asked about), 1 stale files or a
difference with --exit-code, 2 a refused hazard.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..facts.exit_codes import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from . import emit
from .diff import report as diff_report
from ..impact import assess as impact



def diff(as_json: bool, exit_code: bool, impacts: Sequence[impact.EnvImpact], files: dict[str, str], out_dir: Path,
         out_shown: str, scope: tuple[str, ...] | None, stdout: TextIO) -> int:
    """--diff: the impact on each deployed stack first (or as JSON), then the unified diffs."""
    if as_json:
        print(impact.as_json(impacts), file=stdout)
    else:
        for line in [*impact.describe(impacts), *diff_report(files, out_dir, out_shown, scope)]:
            print(line, file=stdout)
    changed = exit_code and emit.stale_files(files, out_dir, scope)
    return EXIT_FINDINGS if changed else EXIT_OK


def refuse(lines: Sequence[str], consequence: str, stderr: TextIO) -> int:
    for line in lines:
        print(f"refused: {line}", file=stderr)
    print(f"{len(lines)} refused hazard(s) in the update of a deployed stack{consequence}", file=stderr)
    return EXIT_BAD_INPUT


def check(files: dict[str, str], out_dir: Path, out_shown: str, scope: tuple[str, ...] | None, count: int,
          stdout: TextIO, stderr: TextIO) -> int:
    stale = emit.stale_files(files, out_dir, scope)
    for problem in stale:
        print(f"{out_shown}/{problem}", file=stderr)
    if stale:
        print(f"{len(stale)} file(s) out of date; run: rds-proxy-cfn", file=stderr)
        return EXIT_FINDINGS
    print(f"{out_shown} is up to date ({count} environment(s))", file=stdout)
    return EXIT_OK
