"""Put a build on disk all at once, or compare it with what is there.

The new tree is written to a temporary folder beside the out folder and swapped in with one
atomic rename (``swap``), so a crash, a kill or a failed build leaves the out folder holding either the
old build or the new one, never a mix. A lock on the parent folder makes concurrent builds
take turns. The out folder is only ever replaced when it carries this tool's marker file (or is
empty), so ``--out`` pointed at the wrong folder cannot wipe it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from . import swap
from ..config.reading.safe_files import read_regular, unfollowed, walk
from ..facts.paths import MARKER_FILE

MARKER_TEXT = "This folder is written by rds-proxy-cfn; every build replaces it whole.\n"


class EmitError(Exception):
    """The out folder cannot be written (exit 2)."""


def read_tree(out_dir: Path) -> dict[str, bytes]:
    """Every regular file under the out folder, by relative path with forward slashes; links and
    special files are not read (``config.reading.safe_files``)."""
    return {path: read_regular(out_dir / path) for path in walk(out_dir)[0]}


def compared(expected: Mapping[str, str], out_dir: Path, scope: tuple[str, ...] | None
             ) -> tuple[dict[str, bytes], dict[str, bytes], dict[str, str]]:
    """The files a build would write and those of the out folder it answers for, as bytes, and
    what in the out folder is a link or a special file (by kind: never read).

    ``scope`` limits the out folder's side to these top-level folders (a build of some
    environments) and the shared files the build produces; None takes the whole folder.
    """
    if scope is None:
        expected = {**expected, MARKER_FILE: MARKER_TEXT}
    wanted = {path: text.encode() for path, text in expected.items()}
    # Read under a shared lock: a build swapping the folder mid-read would show a mix of two builds.
    with _shared_lock(out_dir):
        tree, others = read_tree(out_dir), unfollowed(out_dir)

    def answered(path: str) -> bool:  # a build of some environments still produces the shared files
        return scope is None or path.split("/", 1)[0] in scope or path in wanted

    return (wanted, {p: data for p, data in tree.items() if answered(p)},
            {p: what for p, what in others.items() if answered(p)})


def stale_files(expected: Mapping[str, str], out_dir: Path, scope: tuple[str, ...] | None) -> list[str]:
    """Files that differ from the build, are missing, or should not be there.

    ``scope`` limits the comparison to these top-level folders (a build of some environments);
    None compares the whole out folder.
    """
    wanted, present, others = compared(expected, out_dir, scope)
    problems = [f"{p} (stale)" for p in sorted(wanted) if p in present and present[p] != wanted[p]]
    problems += [f"{p} (missing)" for p in sorted(wanted) if p not in present and p not in others]
    problems += [f"{p} (not produced by this build)" for p in sorted(present) if p not in wanted]
    problems += [f"{p} ({what}: not followed; a build removes it)" for p, what in others.items()]
    return sorted(problems)


@contextlib.contextmanager
def _flock(fd: int, operation: int, on_wait: Callable[[], None]) -> Iterator[None]:
    try:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, operation)
        yield
    finally:
        os.close(fd)  # closing releases the lock, as does the process dying


@contextlib.contextmanager
def build_lock(out_dir: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold an exclusive lock for builds writing next to ``out_dir``; waits for the holder."""
    parent = out_dir.resolve().parent
    try:
        # `--out build/generated` in a fresh clone should work like any generator's output option.
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except FileExistsError:
        raise EmitError(f"{parent} is a file, not a folder") from None
    except OSError as exc:
        raise EmitError(f"cannot open {parent}: {exc.strerror}") from None
    with _flock(fd, fcntl.LOCK_EX, on_wait):
        yield


@contextlib.contextmanager
def _shared_lock(out_dir: Path) -> Iterator[None]:
    try:
        fd = os.open(out_dir.resolve().parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        fd = None  # no parent folder: nothing to read, and no build to wait for
    if fd is None:
        yield
        return
    with _flock(fd, fcntl.LOCK_SH, lambda: None):
        yield


def _linkable(path: Path | str, real: dict[str, bool] | None = None) -> bool:
    """A regular file of the (resolved) out folder itself, not reached through a symlink, that no
    other folder shares: a hard link to it stays private to the out folder. ``real``: whether
    each folder asked about is its own real path, kept by the caller for one write (realpath
    looks at every component of the path)."""
    path = os.fspath(path)
    try:
        info = os.lstat(path)
        folder = os.path.dirname(path)
        if real is None or folder not in real:
            is_real = os.path.realpath(folder) == folder
            if real is not None:
                real[folder] = is_real
        else:
            is_real = real[folder]
        if not is_real:
            return False
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def _real_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _real(path: Path) -> bool:
    """A real folder or a regular file (not a link to one, not a FIFO or device)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) or stat.S_ISREG(mode)


def _carry_over(source: str, destination: str) -> str:
    """copytree's copy function: a hard link where it can (no data written again), else a copy."""
    if _linkable(source):
        try:
            os.link(source, destination, follow_symlinks=False)
            return destination
        except OSError:
            pass
    return shutil.copy2(source, destination)


def _write(path: Path, data: bytes, previous: Path, real: dict[str, bool] | None = None) -> None:
    """Write one file of the new tree. Where the current build has the same bytes (``previous``;
    most files of most builds), link to its file instead: creating files means allocating disk
    blocks, which was the slowest part of writing a build (0.1 to 0.2 s for 30 envs on the
    benchmark's disk). ``real``: as for ``_linkable``."""
    try:
        if _linkable(previous, real) and previous.stat().st_size == len(data) and previous.read_bytes() == data:
            os.link(previous, path, follow_symlinks=False)
            return
    except OSError:
        pass  # written below
    path.write_bytes(data)


def _check_owned(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise EmitError(f"{out_dir} is a file, not a folder")
    # The marker itself, not a link to some other folder's (safe_files): a link proves nothing.
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _real_file(out_dir / MARKER_FILE):
        raise EmitError(f"refusing to replace {out_dir}: it is not empty and has no {MARKER_FILE} "
                        "marker (it was not written by build.py); choose another --out")


def _carry_over_tree(out_dir: Path, staging: Path, files: Mapping[str, str], scope: tuple[str, ...]) -> None:
    """The current out folder into ``staging``, but for what this build writes: the folders of
    ``scope``, the marker and every file of ``files``."""
    try:
        # Only what this build does not write: carried-over files are links to the current
        # build's, and writing through one would change the current build before the swap.
        written = {out_dir / relative for relative in files}
        # Links and special files are not carried over: copytree would copy a link's target
        # into the new tree (or block on a FIFO); a full build drops them the same way.
        shutil.copytree(out_dir, staging, copy_function=_carry_over, ignore=lambda folder, entries: [
            e for e in entries if (Path(folder) == out_dir and (e in scope or e == MARKER_FILE))
            or Path(folder, e) in written or not _real(Path(folder, e))])
    except shutil.Error as exc:  # a list of failures, with no strerror for the caller to print
        source, _, why = exc.args[0][0] if isinstance(exc.args[0], list) else ("", "", exc)
        raise EmitError(f"cannot carry over {source}: {why}") from None


def write_tree(files: Mapping[str, str], out_dir: Path, scope: tuple[str, ...] | None) -> None:
    """Replace the out folder with ``files`` in one step (``swap``).

    ``scope`` names the top-level folders this build replaces (the environments rebuilt); the
    rest of the current out folder is carried over unchanged. None replaces everything.
    """
    # The real folder, not a symlink to it: the swap would replace the link by a folder and then
    # fail to remove the link; resolving also puts the scratch folders beside the locked parent.
    given, out_dir = out_dir, out_dir.resolve()
    swap.recover(out_dir)
    _check_owned(given)
    staging = swap.scratch(out_dir, "tmp")
    try:
        if scope is not None and out_dir.is_dir():
            _carry_over_tree(out_dir, staging, files, scope)
        staging.mkdir(exist_ok=True)
        real: dict[str, bool] = {}  # out folders already resolved (this write only: links may change)
        for relative, text in {**files, MARKER_FILE: MARKER_TEXT}.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, text.encode(), out_dir / relative, real)
        swap.swap_in(staging, out_dir)
    finally:
        # A failed build leaves nothing beside the out folder; after an exchange this is the
        # previous build.
        shutil.rmtree(staging, ignore_errors=True)
