"""Crash and concurrency safety of the out folder: kills mid-write and mid-swap, two builds at once,
and every way the out folder or the params folder can be unusable (exit 2, one line, untouched)."""

from __future__ import annotations

import errno
import shutil
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from templates_src.output import emit, swap

from conftest import PARAMS, ROOT, run_main, snapshot

pytestmark = pytest.mark.cli

# Runs build.py's main in a subprocess after HOOK (Python source) has patched something, so a
# test can SIGKILL the build at an exact point. The hook sees `emit`, `swap`, `Path`, `os`, `signal`, `die`.
KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from templates_src.app import cli
from templates_src.output import emit, swap

def die():
    os.kill(os.getpid(), signal.SIGKILL)

{hook}
sys.exit(cli.main(sys.argv[1:]))
"""


def run_hooked(hook: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = KILLED_BUILD.format(hook=textwrap.dedent(hook))
    return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def build(params: Path, out: Path, *envs: str) -> None:
    result = run_main("--no-lint", *envs, "--params", str(params), "--out", str(out))
    assert result.code == 0, result.err


def beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


@pytest.fixture
def old_and_new(tmp_path: Path, params_copy: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """An out folder holding a build of the real params, and the (different) build of params_copy."""
    path = params_copy / "dev.yaml"
    path.write_text(path.read_text().replace("max_connections_percent: 50", "max_connections_percent: 60"))
    # Built where the test's out folder will be, since the guides name the out folder.
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    build(params_copy, out)
    new = snapshot(out)
    shutil.rmtree(out)
    build(PARAMS, out)
    old = snapshot(out)
    assert {p for p in old if old[p] != new.get(p)} >= {"dev/rds-proxy.yaml", "staging/rds-proxy.yaml"}
    return out, old, new


def test_killed_mid_write_leaves_the_out_folder_whole(old_and_new, params_copy: Path) -> None:
    out, old, new = old_and_new
    proc = run_hooked("""
        real = Path.write_bytes
        def write_bytes(self, data):
            real(self, data)
            die()  # after the first file of the new build
        Path.write_bytes = write_bytes
    """, "--no-lint", "--params", str(params_copy), "--out", str(out))
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    assert snapshot(out) == old
    leftovers = [name for name in beside(out) if name != "out"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".out.tmp-")
    staged = snapshot(out.parent / leftovers[0])
    assert 0 < len(staged) < len(new)  # it really died mid-write (unchanged files before it are links)

    build(params_copy, out)
    assert snapshot(out) == new
    assert beside(out) == ["out"]


def test_killed_right_after_the_swap_leaves_the_new_build(old_and_new, params_copy: Path) -> None:
    out, old, new = old_and_new
    proc = run_hooked("""
        real = swap._exchange
        def exchange(a, b):
            assert real(a, b)  # this system has renameat2; else the fallback test covers the swap
            die()
        swap._exchange = exchange
    """, "--no-lint", "--params", str(params_copy), "--out", str(out))
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    assert snapshot(out) == new
    [leftover] = [name for name in beside(out) if name != "out"]
    assert snapshot(out.parent / leftover) == old  # the previous build, not yet removed

    build(params_copy, out)
    assert snapshot(out) == new and beside(out) == ["out"]


def test_killed_between_the_renames_of_the_fallback_swap_is_recovered(old_and_new, params_copy: Path) -> None:
    out, old, new = old_and_new
    proc = run_hooked("""
        swap._exchange = lambda a, b: False  # as on a system without renameat2
        real = Path.rename
        def rename(self, target):
            if self.name.startswith(".out.tmp-"):
                die()  # the out folder is already moved aside; the new one not yet in
            return real(self, target)
        Path.rename = rename
    """, "--no-lint", "--params", str(params_copy), "--out", str(out))
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    assert not out.exists()
    [aside] = [name for name in beside(out) if name.startswith(".out.old-")]
    assert snapshot(out.parent / aside) == old

    # The next build, even of one environment, first puts the previous build back: the
    # environments it does not rebuild are carried over from it.
    build(params_copy, out, "dev")
    after = snapshot(out)
    assert beside(out) == ["out"]
    for path, data in after.items():
        assert data == (new if path.startswith("dev/") else old)[path], path
    assert set(after) == set(old) == set(new)


def test_fallback_swap_without_renameat2(old_and_new, params_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, _, new = old_and_new
    monkeypatch.setattr(swap, "_exchange", lambda a, b: False)
    build(params_copy, out)
    assert snapshot(out) == new and beside(out) == ["out"]


def test_failed_write_leaves_out_folder_and_no_scratch(old_and_new, params_copy: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out, old, _ = old_and_new
    real, written = Path.write_bytes, []

    def write_bytes(self: Path, data: bytes) -> int:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        written.append(self)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    result = run_main("--no-lint", "--params", str(params_copy), "--out", str(out))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "No space left on device" in result.err
    assert snapshot(out) == old and beside(out) == ["out"]


def test_every_file_is_on_disk_before_the_swap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each folder of the new tree is synced by the build that swaps it in; each file's data is
    synced by this build or, for a file linked from the current build, by the build that wrote
    it (the same inode)."""
    synced: list[str] = []  # paths, this build
    synced_inodes: set[int] = set()  # every build
    real_fsync, real_exchange = os.fsync, swap._exchange

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        synced_inodes.add(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(emit.os, "fsync", fsync)
    swaps: list[tuple[int, int]] = []  # (files in the new tree, of them synced by this build)

    def exchange(a: Path, b: Path) -> bool:
        entries = [*Path(a).rglob("*")]
        folders = [str(p) for p in entries if p.is_dir()] + [str(a)]
        assert set(folders) <= set(synced), sorted(set(folders) - set(synced))
        files = [p for p in entries if p.is_file()]
        assert all(p.stat().st_ino in synced_inodes for p in files), \
            sorted(str(p) for p in files if p.stat().st_ino not in synced_inodes)
        swaps.append((len(files), len({str(p) for p in files} & set(synced))))
        return real_exchange(a, b)

    monkeypatch.setattr(swap, "_exchange", exchange)
    out = tmp_path / "out"
    build(PARAMS, out)
    synced.clear()
    build(PARAMS, out)  # the second build swaps with the first, its files linked to the first's
    assert synced[-1] == str(tmp_path)  # and the rename is made durable too
    (files, synced_again), = swaps
    assert files > 0 and synced_again == 0  # unchanged files: their data was synced by the first build
    (out / "dev" / "DEPLOY.md").write_text("changed by hand\n")
    synced.clear()
    build(PARAMS, out)  # that file is written anew: synced by this build
    assert swaps[-1][1] == 1


def test_unchanged_files_are_linked_not_written_again_and_changed_ones_are_new(old_and_new,
                                                                              params_copy: Path) -> None:
    out, old, new = old_and_new
    inodes = {p: (out / p).stat().st_ino for p in old}
    shared = out.parent / "elsewhere.json"
    os.link(out / "prod" / "parameters.json", shared)  # a file some other folder also has
    build(params_copy, out)
    assert snapshot(out) == new
    after = {p: (out / p).stat() for p in new}
    unchanged = {p for p in old if old[p] == new.get(p)} - {"prod/parameters.json"}
    assert unchanged and all(after[p].st_ino == inodes[p] and after[p].st_nlink == 1 for p in unchanged)
    assert all(after[p].st_ino != inodes[p] for p in old if p in new and old[p] != new[p])
    # A shared file is written anew, so the out folder never shares an inode with another folder.
    assert after["prod/parameters.json"].st_ino != shared.stat().st_ino and shared.stat().st_nlink == 1


def test_envs_a_partial_build_carries_over_are_linked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(PARAMS, out)
    before = snapshot(out)
    inodes = {p: (out / p).stat().st_ino for p in before if p.startswith("prod/")}
    build(PARAMS, out, "dev")
    assert snapshot(out) == before
    assert {p: (out / p).stat().st_ino for p in inodes} == inodes


def test_a_partial_build_that_fails_before_the_swap_changes_nothing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A partial build carries the other envs and the shared files over as links, then writes
    the shared files again: that must replace the links, never write through them."""
    out = tmp_path / "out"
    emit.write_tree({"dev/x": "1\n", "prod/x": "p\n", "shared.json": "old\n"}, out, None)
    before = snapshot(out)

    def interrupted(root: Path) -> None:
        raise KeyboardInterrupt("Ctrl-C before the swap")

    monkeypatch.setattr(swap, "_sync_tree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        emit.write_tree({"dev/x": "2\n", "shared.json": "new\n"}, out, ("dev",))
    assert snapshot(out) == before
    monkeypatch.undo()
    prod = (out / "prod" / "x").stat().st_ino
    emit.write_tree({"dev/x": "2\n", "shared.json": "new\n"}, out, ("dev",))
    assert {k: v for k, v in snapshot(out).items() if k != emit.MARKER_FILE} == \
        {"dev/x": b"2\n", "prod/x": b"p\n", "shared.json": b"new\n"}
    assert (out / "prod" / "x").stat().st_ino == prod


@pytest.mark.parametrize("scope", [None, ("dev",)])
def test_a_symlinked_folder_is_never_linked_through(tmp_path: Path, scope) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    files = {"dev/x": "1\n", "catalog/p.yaml": "old\n", "catalog/notes.txt": "n\n"}
    emit.write_tree(files, out, None)
    shutil.move(out / "catalog", elsewhere)
    (out / "catalog").symlink_to(elsewhere)
    emit.write_tree({**files, "dev/x": "2\n", "catalog/p.yaml": "new\n"}, out, scope)
    assert not (out / "catalog").is_symlink() and (out / "catalog" / "p.yaml").read_text() == "new\n"
    assert (elsewhere / "p.yaml").read_text() == "old\n"
    assert all(p.stat().st_nlink == 1 for p in elsewhere.iterdir())


def test_a_symlinked_env_folder_is_not_linked_through(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    build(PARAMS, out)
    shutil.move(out / "dev", elsewhere)
    (out / "dev").symlink_to(elsewhere)
    build(PARAMS, out)
    assert not (out / "dev").is_symlink()
    assert all(p.stat().st_nlink == 1 for p in elsewhere.iterdir())


def test_second_build_waits_and_one_build_lands_whole(old_and_new, params_copy: Path) -> None:
    out, old, new = old_and_new
    procs = []
    with emit.build_lock(out):
        for params in (PARAMS, params_copy):
            procs.append(subprocess.Popen(
                [sys.executable, str(ROOT / "build.py"), "--no-lint", "--params", str(params), "--out", str(out)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for proc in procs:
            assert proc.stderr is not None
            assert "waiting for another build" in proc.stderr.readline()
        # Both are queued behind the lock: the out folder is untouched so far.
        assert snapshot(out) == old
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    assert snapshot(out) in (old, new)
    assert beside(out) == ["out"]


def _blocked_on_lock(pid: int) -> bool:
    return any(line.split()[1] == "->" and line.split()[5] == str(pid)
               for line in Path("/proc/locks").read_text().splitlines() if len(line.split()) > 5)


def test_check_waits_for_a_build_in_progress(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(PARAMS, out)
    victim = out / "dev" / "rds-proxy.yaml"
    with emit.build_lock(out):
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--check", "--no-lint", "--params", str(PARAMS), "--out", str(out)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        text = victim.read_bytes()
        victim.write_bytes(b"half-swapped\n")  # what a reader could see while a build runs
        while proc.poll() is None and not _blocked_on_lock(proc.pid):
            time.sleep(0.02)
        blocked = _blocked_on_lock(proc.pid)
        victim.write_bytes(text)
    stdout, stderr = proc.communicate(timeout=120)
    assert blocked, (stdout, stderr)
    assert proc.returncode == 0, stderr


def test_refuses_a_non_empty_folder_without_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.md").write_text("mine\n")
    (out / "dev").mkdir()
    (out / "dev" / "rds-proxy.yaml").write_text("also mine\n")
    before = snapshot(out)
    for envs in ((), ("dev",)):
        result = run_main("--no-lint", *envs, "--params", str(PARAMS), "--out", str(out))
        assert result.code == 2
        assert result.err.count("\n") == 1 and "refusing to replace" in result.err and emit.MARKER_FILE in result.err
        assert snapshot(out) == before and beside(out) == ["docs"]


def test_an_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    build(PARAMS, out, "dev")
    tree = snapshot(out)
    assert {emit.MARKER_FILE, "dev/parameters.json", "dev/rds-proxy.yaml", "dev/template-configuration.json"} <= set(tree)
    assert {path.split("/")[0] for path in tree if "/" in path} == {"dev", "service-catalog"}


def test_out_path_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("a file\n")
    result = run_main("--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 2
    assert result.err == f"cannot write {out}: {out} is a file, not a folder\n"
    assert out.read_text() == "a file\n" and beside(out) == ["out"]


def test_out_folder_through_a_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link"
    build(PARAMS, link)  # what a build given the link's name writes (the guides name it)
    expected = snapshot(link)
    shutil.rmtree(link)
    (tmp_path / "expected").mkdir()
    real = tmp_path / "real" / "generated"
    real.parent.mkdir()
    build(PARAMS, real)
    link.symlink_to(real, target_is_directory=True)
    (real / "dev" / "parameters.json").write_text("stale\n")
    build(PARAMS, link)
    assert link.is_symlink() and link.resolve() == real
    assert snapshot(real) == expected
    assert beside(real) == ["generated"] and beside(link) == ["expected", "link", "real"]


def test_leftovers_of_a_sibling_out_folder_are_not_taken(tmp_path: Path) -> None:
    # `out.v2` crashed between the renames of the fallback swap; building `out` must neither take
    # its previous build for its own nor delete it (only a build of `out.v2` may recover it).
    theirs = tmp_path / ".out.v2.old-4242"
    theirs.mkdir()
    (theirs / emit.MARKER_FILE).write_text(emit.MARKER_TEXT)
    (theirs / "keep.txt").write_text("out.v2's previous build\n")
    out = tmp_path / "out"
    build(PARAMS, out)
    assert "keep.txt" not in snapshot(out)
    assert snapshot(theirs)["keep.txt"] == b"out.v2's previous build\n"
    # ...and a build of out.v2 gets it back.
    build(PARAMS, tmp_path / "out.v2", "dev")
    assert snapshot(tmp_path / "out.v2")["keep.txt"] == b"out.v2's previous build\n"


def test_out_folder_in_missing_folders_is_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "generated"
    build(PARAMS, out)
    assert (out / emit.MARKER_FILE).is_file()


def _read_only_out(tmp_path: Path) -> Path:
    """An out path whose folder cannot be written: chmod where that binds, else a place no one can write."""
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        (parent / "probe").mkdir()
    except PermissionError:
        return parent / "out"
    (parent / "probe").rmdir()  # root ignores the mode bits: use a folder of /proc instead
    parent.chmod(0o755)
    return Path("/proc/rds-proxy-cfn-test-out")


@pytest.mark.parametrize("where", ["read-only parent", "parent is a file", "under a file's path"])
def test_unwritable_out_location_is_one_line(tmp_path: Path, where: str) -> None:
    if where == "read-only parent":
        out = _read_only_out(tmp_path)
    else:
        (tmp_path / "file").write_text("x\n")
        out = tmp_path / "file" / "out" if where == "parent is a file" else tmp_path / "file" / "deeper" / "out"
    try:
        result = run_main("--no-lint", "--params", str(PARAMS), "--out", str(out))
    finally:
        if (tmp_path / "locked").exists():
            (tmp_path / "locked").chmod(0o755)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith(f"cannot write {out}: ")
    assert "Traceback" not in result.err and "None" not in result.err
    assert result.out == ""
    assert not out.exists()
    if where != "read-only parent":
        assert (tmp_path / "file").read_text() == "x\n"


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_unreadable_params_folder(tmp_path: Path, kind: str) -> None:
    params = tmp_path / "params"
    if kind == "a file":
        params.write_text("engine_family: MYSQL\n")
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(params), "--out", str(out))
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith(f"{params}: cannot read the params folder: ")
    assert lines[1:] == ["1 problem(s) in params; nothing was written"]
    assert not out.exists()
