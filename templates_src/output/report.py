"""What a build tells a person: progress on long builds, and the summary table at the end."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

# On a terminal, progress lines appear once a build has run this long.
PROGRESS_AFTER_SECONDS = 1.0


def problems(errors: Sequence[object], what: str, stream: TextIO) -> None:
    """Bad input: every problem on its own line, then how many, and that nothing was written."""
    for error in errors:
        print(error, file=stream)
    print(f"{len(errors)} problem(s) in {what}; nothing was written", file=stream)


@dataclass
class Row:
    """One environment's line of the summary."""

    prefix: str
    resources: int = 0
    template_bytes: int = 0
    seconds: float = 0.0
    lint: str = "skipped"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """On a terminal, one line per environment as it is finished, rewritten in place.

    Shown only on long builds: nothing appears during the first PROGRESS_AFTER_SECONDS.
    """

    def __init__(self, stream: TextIO, total: int, start: float) -> None:
        self.stream, self.total, self.start = stream, total, start
        self.enabled = is_terminal(stream)
        self.count, self.shown = 0, False

    def done(self, env: str, what: str) -> None:
        self.count += 1
        if self.enabled and time.perf_counter() - self.start >= PROGRESS_AFTER_SECONDS:
            width = len(str(self.total))
            self.stream.write(f"\r\033[K[{self.count:>{width}}/{self.total}] {env}: {what}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def summary(rows: Sequence[Row], seconds: float, terminal: bool) -> list[str]:
    """The summary table: a line per environment starting ``<env>: ``, then a total on a terminal."""
    width = max(len(row.prefix) for row in rows)
    lines = [
        f"{row.prefix:<{width}}  {row.resources:>3} resources  {row.template_bytes:>7,} bytes  "
        f"lint {row.lint:<7}  {row.seconds:5.2f} s"
        for row in rows
    ]
    if terminal:
        outcomes = {}
        for row in rows:
            outcomes[row.lint] = outcomes.get(row.lint, 0) + 1
        lint = ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items()))
        lines.append(f"{len(rows)} environment(s): {sum(r.resources for r in rows)} resources, "
                     f"{sum(r.template_bytes for r in rows):,} template bytes, lint {lint}, {seconds:.2f} s")
    return lines
