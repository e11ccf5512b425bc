"""Put a build on disk all at once, or compare it with what is there.

The new tree is written to a temporary folder beside the out folder and swapped in with one
atomic rename, so a crash, a kill or a failed build leaves the out folder holding either the
old build or the new one, never a mix. A lock on the parent folder makes concurrent builds
take turns. The out folder is only ever replaced when it carries this tool's marker file (or is
empty), so ``--out`` pointed at the wrong folder cannot wipe it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

MARKER_FILE = ".rds-proxy-cfn"
MARKER_TEXT = "This folder is written by rds-proxy-cfn (python build.py); every build replaces it whole.\n"

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


class EmitError(Exception):
    """The out folder cannot be written (exit 2)."""


def read_tree(out_dir: Path) -> dict[str, bytes]:
    """Every file under the out folder, by relative path with forward slashes."""
    if not out_dir.is_dir():
        return {}
    return {
        path.relative_to(out_dir).as_posix(): path.read_bytes()
        for path in sorted(out_dir.rglob("*"))
        if path.is_file()
    }


def stale_files(expected: Mapping[str, str], out_dir: Path, scope: tuple[str, ...] | None) -> list[str]:
    """Files that differ from the build, are missing, or should not be there.

    ``scope`` limits the comparison to these top-level folders (a build of some environments);
    None compares the whole out folder.
    """
    if scope is None:
        expected = {**expected, MARKER_FILE: MARKER_TEXT}
    wanted = {path: text.encode() for path, text in expected.items()}
    present = {
        path: data for path, data in read_tree(out_dir).items()
        if scope is None or path.split("/", 1)[0] in scope
    }
    problems = [f"{p} (stale)" for p in sorted(wanted) if p in present and present[p] != wanted[p]]
    problems += [f"{p} (missing)" for p in sorted(wanted) if p not in present]
    problems += [f"{p} (not produced by this build)" for p in sorted(present) if p not in wanted]
    return problems


@contextlib.contextmanager
def build_lock(out_dir: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold an exclusive lock for builds writing next to ``out_dir``; waits for the holder."""
    parent = out_dir.resolve().parent
    try:
        fd = os.open(parent, os.O_RDONLY)
    except OSError as exc:
        raise EmitError(f"cannot open {parent}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock, as does the process dying


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


def _scratch(out_dir: Path, kind: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{kind}-{os.getpid()}"


def _recover(out_dir: Path) -> None:
    """Undo what a build killed mid-swap left behind (callers hold the lock)."""
    leftovers = sorted(out_dir.parent.glob(f".{out_dir.name}.*-*"))
    old = [p for p in leftovers if p.name.startswith(f".{out_dir.name}.old-")]
    if not out_dir.exists() and old:
        old[-1].rename(out_dir)  # killed between the two renames of the fallback swap
    for path in out_dir.parent.glob(f".{out_dir.name}.*-*"):
        shutil.rmtree(path, ignore_errors=True)


def _check_owned(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise EmitError(f"{out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).is_file():
        raise EmitError(f"refusing to replace {out_dir}: it is not empty and has no {MARKER_FILE} "
                        "marker (it was not written by build.py); choose another --out")


def write_tree(files: Mapping[str, str], out_dir: Path, scope: tuple[str, ...] | None) -> None:
    """Replace the out folder with ``files`` in one step.

    ``scope`` names the top-level folders this build replaces (the environments rebuilt); the
    rest of the current out folder is carried over unchanged. None replaces everything.
    """
    _recover(out_dir)
    _check_owned(out_dir)
    staging = _scratch(out_dir, "tmp")
    if scope is not None and out_dir.is_dir():
        shutil.copytree(out_dir, staging, ignore=lambda folder, entries: [
            e for e in entries if Path(folder) == out_dir and (e in scope or e == MARKER_FILE)])
    staging.mkdir(exist_ok=True)
    for relative, text in {**files, MARKER_FILE: MARKER_TEXT}.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging)  # now holds the previous build
        return
    old = _scratch(out_dir, "old")
    out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old)
