"""The one error type for bad params, and the one place it is formatted."""

from __future__ import annotations

from dataclasses import dataclass

from .rules.text import printable

def shown_file(name: str) -> str:
    """A file name for an error line: as is, or quoted with its unprintable characters escaped
    (a name holding a newline or an escape sequence would forge lines of the output)."""
    return name if name.isprintable() else repr(name)


# A key path inside a params file: ("pool", "max_connections_percent") or ("users", 1, "username").
KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = part if part.isprintable() and part else repr(part)  # one line per error, whatever the key
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, order=True)
class ParamsError:
    """One problem in one params file, at a line and column (both 1-based; 0 when unknown)."""

    file: str
    line: int
    col: int
    path: KeyPath
    message: str

    def __str__(self) -> str:
        file = shown_file(self.file)
        where = f"{file}:{self.line}:{self.col}" if self.line else file
        key = format_path(self.path)
        # Values in messages are repr()s already; escaping the whole line again costs nothing and
        # keeps any text that slipped through from forging a line or sending a terminal escape.
        return printable(f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}")

    def sort_key(self) -> tuple[str, int, int, str, str]:
        # The key last: several keys missing from one mapping share its position and message, and
        # the set the errors pass through would otherwise order them differently each run.
        return (self.file, self.line, self.col, self.message, format_path(self.path))


class ParamsErrors(Exception):
    """Every problem found in one run, reported together like a compiler does."""

    def __init__(self, errors: list[ParamsError]) -> None:
        self.errors = sorted(set(errors), key=ParamsError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))
