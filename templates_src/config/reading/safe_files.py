"""Reading params files and the out folder without ever following a link in them.

The out folder is committed, and pipelines build pull requests that can put anything in it: a
symbolic link ``generated/dev/rds-proxy.yaml -> ~/.aws/credentials`` must not make ``--diff``
print the credentials, ``--check`` call a linked folder up to date, or a partial build copy the
target into the new tree. So every reader here lists entries with ``lstat``, descends into real
folders only, opens files with ``O_NOFOLLOW`` (no window between the check and the open) and
reports what is not a regular file or folder (a link, a FIFO that would block a reader forever,
a device) by kind instead of reading it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


class NotRegular(OSError):
    """The path is a link, folder, FIFO, socket or device: it is not read. ``kind`` says which."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: Path, root: Path | None = None, *, follow: bool = False, limit: int = -1) -> bytes:
    """The bytes of a regular file (at most ``limit``), never through a link unless ``follow``
    (``NotRegular`` otherwise). With ``root``, every folder between it and the file must be a real
    folder too. Opened without blocking and checked before any read: opening a FIFO for reading
    waits for a writer forever, a device never ends (the params loader reads with this too)."""
    if root is not None:
        folder = root
        for part in path.relative_to(root).parts[:-1]:
            folder = folder / part
            mode = os.lstat(folder).st_mode
            if stat.S_ISREG(mode):  # as opening through it would say
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
            if not stat.S_ISDIR(mode):
                raise NotRegular(f"{folder} is {kind(mode)}", kind(mode))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:  # what O_NOFOLLOW answers for a link
            raise NotRegular(f"{path} is a symbolic link", "a symbolic link") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"{path} is {kind(mode)}", kind(mode))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


def walk(root: Path) -> tuple[list[str], dict[str, str]]:
    """The regular files under ``root`` (relative paths with forward slashes, sorted) and every
    other entry by kind (a link to a folder is listed, not entered). No root: nothing."""
    files: list[str] = []
    others: dict[str, str] = {}
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            return files, others
    except FileNotFoundError:
        return files, others
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(root / relative if relative else root) as entries:
            for entry in entries:
                name = f"{relative}/{entry.name}" if relative else entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    pending.append(name)
                elif stat.S_ISREG(mode):
                    files.append(name)
                else:
                    others[name] = kind(mode)
    return sorted(files), dict(sorted(others.items()))


def unfollowed(root: Path) -> dict[str, str]:
    """What under ``root`` a build neither reads nor carries over: links and special files."""
    return walk(root)[1]
