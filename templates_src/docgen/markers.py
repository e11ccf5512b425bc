"""Tables the docs hold but nobody writes by hand (the params reference, the key table): each
lives between two HTML comment markers in its page, and its generator replaces that span."""

from __future__ import annotations

import sys
from pathlib import Path


def between(page: str, begin: str, end: str, generated: str) -> str:
    """``page`` with the text between the markers replaced (ValueError without markers)."""
    start, stop = page.index(begin) + len(begin), page.index(end)
    return page[:start] + "\n" + generated + page[stop:]


def show_or_write(generated: str, page: str | None, begin: str, end: str) -> int:
    """The generator's output on stdout, or written into ``page`` between its markers."""
    if not page:
        sys.stdout.write(generated)
        return 0
    path = Path(page)
    path.write_text(between(path.read_text(encoding="utf-8"), begin, end, generated), encoding="utf-8")
    return 0
