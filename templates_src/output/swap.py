"""Swapping a new tree in for the out folder: in one atomic step, durable, and recovered when a
build is killed half-way.

The new tree is synced to disk first, then exchanged with the out folder (Linux renameat2), or
where the system cannot, the out folder is renamed aside and the new tree renamed in; a build
killed between those two renames leaves the previous build aside, which the next build puts
back (``recover``) before anything else.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SYNC_THREADS = 8
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def swap_in(staging: Path, out_dir: Path) -> None:
    """``staging`` becomes the out folder in one step, and stays so through a power loss; after
    an exchange, ``staging`` holds the previous build."""
    _sync_tree(staging)
    if not out_dir.exists():
        staging.rename(out_dir)
    elif not _exchange(staging, out_dir):
        old = scratch(out_dir, "old")
        out_dir.rename(old)
        try:
            staging.rename(out_dir)
        except BaseException:  # a failure or Ctrl-C: the previous build, rather than no out folder
            old.rename(out_dir)
            raise
        shutil.rmtree(old, ignore_errors=True)  # the build is in; the next one retries
    _fsync(out_dir.parent)  # the rename itself survives a power loss


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    # The running process's own symbols: find_library needs ldconfig or a compiler, which slim
    # containers lack, and would silently drop us to the non-atomic fallback.
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


def scratch(out_dir: Path, kind: str) -> Path:
    """A folder beside the out folder for this process: ``tmp`` the new tree, ``old`` the
    previous one during the fallback swap (``recover`` knows both)."""
    return out_dir.parent / f".{out_dir.name}.{kind}-{os.getpid()}"


def _leftovers(out_dir: Path) -> list[Path]:
    # An exact pattern, not a glob: `.out.*-*` would also match the scratch folders of a sibling
    # out folder named `out.x` (and glob would read brackets in the name as a pattern).
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(tmp|old)-[0-9]+")
    return sorted(out_dir.parent / name for name in os.listdir(out_dir.parent) if pattern.fullmatch(name))


def recover(out_dir: Path) -> None:
    """Undo what a build killed mid-swap left behind (callers hold the lock)."""
    leftovers = _leftovers(out_dir)
    old = [p for p in leftovers if p.name.startswith(f".{out_dir.name}.old-")]
    if not out_dir.exists() and old:
        old[-1].rename(out_dir)  # killed between the two renames of the fallback swap
        leftovers.remove(old[-1])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(root: Path) -> None:
    # Without this a power loss soon after the swap can leave renamed folders of empty files
    # (ext4 and others flush data lazily and only order it with renames of files, not folders).
    # Several at once: fsync waits on the disk, not the CPU, and the filesystem can commit
    # concurrent ones together (2 to 3 times faster than one after another for ~200 files).
    # A file with a second link is one of the current build's (``emit._write`` and
    # ``emit._carry_over`` link only files the out folder alone has): its data was synced before
    # that build was swapped in, and the new name is made durable by syncing its folder. Only new
    # files and the folders are synced (an unchanged rebuild of 30 envs: ~30 fsyncs instead of
    # ~300).
    paths = [path for folder, _, names in os.walk(root)
             for path in (*(os.path.join(folder, name) for name in names if _unshared(os.path.join(folder, name))),
                          folder)]
    with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
        for _ in pool.map(_fsync, paths):  # re-raises the first error
            pass


def _unshared(path: str) -> bool:
    try:
        return os.lstat(path).st_nlink == 1
    except OSError:
        return True  # fsync reports it
