"""Links and special files in the out folder are named, never followed.

A pull request can replace a committed file by a symbolic link to anything on the machine that
runs the pipeline (``~/.aws/credentials``). ``--check`` must report it, ``--diff`` must not print
the target, and no build may read, copy or write through it (``templates_src/config/reading/safe_files.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from templates_src.config.reading import safe_files as out_tree

from conftest import PARAMS, run_main

pytestmark = pytest.mark.cli

SECRET = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"


def _build(out: Path, *args: str):
    return run_main("--no-lint", *args, "--params", str(PARAMS), "--out", str(out))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    """A built out folder, and a secret file outside it."""
    out = tmp_path / "out"
    assert _build(out).code == 0
    secret = tmp_path / "credentials"
    secret.write_text(SECRET)
    return out, secret


def _tree(folder: Path) -> dict[str, object]:
    """Every entry under a folder without following links: bytes, or ('link', target)."""
    listed: dict[str, object] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(root, name)
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                listed[relative] = ("link", os.readlink(path))
            elif path.is_file():
                listed[relative] = path.read_bytes()
    return listed


def _plant(out: Path, secret: Path) -> list[str]:
    """A linked file in place of a committed one, a linked folder, a link at the top."""
    (out / "dev" / "DEPLOY.md").unlink()
    (out / "dev" / "DEPLOY.md").symlink_to(secret)
    (out / "staging" / "notes").symlink_to(secret.parent, target_is_directory=True)
    (out / "credentials").symlink_to(secret)
    return ["credentials", "dev/DEPLOY.md", "staging/notes"]


def test_check_reports_every_link_and_never_calls_the_folder_up_to_date(built) -> None:
    out, secret = built
    assert run_main("--check", "--no-lint", "--params", str(PARAMS), "--out", str(out)).code == 0
    links = _plant(out, secret)
    result = run_main("--check", "--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 1
    for link in links:
        assert f"{link} (a symbolic link: not followed; a build removes it)" in result.err + result.out
    assert "dev/DEPLOY.md (missing)" not in result.err + result.out  # it is there, as a link
    assert "wJalrXUtnFEMI" not in result.err + result.out


def test_diff_names_a_link_and_never_prints_its_target(built) -> None:
    out, secret = built
    _plant(out, secret)
    result = run_main("--diff", "--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 0, result.err
    assert "wJalrXUtnFEMI" not in result.out + result.err
    assert f"{out}/dev/DEPLOY.md: a symbolic link in the out folder, not followed; a build removes it" in result.out
    assert f"{out}/staging/notes: a symbolic link in the out folder, not followed; a build removes it" in result.out


@pytest.mark.parametrize("envs", [(), ("dev",), ("prod",)], ids=["full", "partial-of-the-linked-env", "partial-other"])
def test_a_build_removes_links_without_reading_or_copying_their_targets(built, envs) -> None:
    out, secret = built
    before_secret = (secret.read_bytes(), secret.stat().st_mtime_ns)
    links = _plant(out, secret)
    before = _tree(out)
    result = _build(out, *envs)
    assert result.code == 0, result.err
    after = _tree(out)
    rebuilt = {"dev", "prod", "staging"} if not envs else set(envs)
    for link in links:
        if link.split("/", 1)[0] in rebuilt and "/" in link and link != "staging/notes":
            assert isinstance(after[link], bytes)  # the built file, written in the link's place
        else:
            assert link not in after  # gone: neither a link nor a copy of what it pointed at
    assert all(SECRET.encode() != data for data in after.values())
    assert not any(isinstance(data, tuple) for data in after.values())  # no link left anywhere
    assert (secret.read_bytes(), secret.stat().st_mtime_ns) == before_secret
    # The real files of the environments this build did not rebuild are carried over unchanged.
    kept = {path: data for path, data in before.items()
            if isinstance(data, bytes) and "/" in path and path.split("/", 1)[0] not in rebuilt
            and path.split("/", 1)[0] in {"dev", "prod", "staging"}}
    assert all(after[path] == data for path, data in kept.items())
    assert bool(kept) == bool(envs)


def test_a_linked_committed_template_is_not_read_for_the_change_impact(built) -> None:
    out, secret = built
    template = out / "dev" / "rds-proxy.yaml"
    template.unlink()
    template.symlink_to(secret)
    result = _build(out, "dev")
    assert result.code == 0, result.err
    assert "dev: cannot read the committed template:" in result.err and "is a symbolic link" in result.err
    assert "wJalrXUtnFEMI" not in result.out + result.err
    assert not template.is_symlink() and template.read_text().startswith("#")


def test_a_fifo_in_a_carried_over_folder_neither_blocks_nor_is_carried(built) -> None:
    out, _ = built
    os.mkfifo(out / "staging" / "pipe")  # opening it for reading would wait for a writer forever
    result = _build(out, "dev")
    assert result.code == 0, result.err
    assert not (out / "staging" / "pipe").exists() and (out / "staging" / "rds-proxy.yaml").is_file()


def test_the_no_op_check_shortcut_sees_a_new_link(built) -> None:
    out, secret = built
    check = ("--check", "--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert run_main(*check).out.strip().endswith("is up to date (5 environment(s))") or run_main(*check).code == 0
    (out / "extra").symlink_to(secret)
    result = run_main(*check)
    assert result.code == 1 and "extra (a symbolic link: not followed; a build removes it)" in result.err + result.out


def test_the_reader_refuses_links_specials_and_linked_folders(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real" / "file")
    (tmp_path / "folder").symlink_to(tmp_path / "real", target_is_directory=True)
    os.mkfifo(tmp_path / "pipe")
    assert out_tree.read_regular(tmp_path / "real" / "file", tmp_path) == b"x"
    for path, kind in [(tmp_path / "link", "a symbolic link"), (tmp_path / "pipe", "a FIFO"),
                       (tmp_path / "folder" / "file", "a symbolic link")]:
        with pytest.raises(out_tree.NotRegular, match=kind):
            out_tree.read_regular(path, tmp_path)
    files, others = out_tree.walk(tmp_path)
    assert files == ["real/file"]
    assert others == {"folder": "a symbolic link", "link": "a symbolic link", "pipe": "a FIFO"}


def test_a_linked_marker_does_not_make_a_folder_the_builds(tmp_path: Path) -> None:
    """The marker says build.py wrote the folder and may replace it; a link to another build's
    marker must not make someone's folder replaceable."""
    real = tmp_path / "real"
    assert _build(real).code == 0
    theirs = tmp_path / "docs"
    theirs.mkdir()
    (theirs / "notes.md").write_text("mine\n")
    (theirs / ".rds-proxy-cfn").symlink_to(real / ".rds-proxy-cfn")
    result = _build(theirs)
    assert result.code == 2 and "refusing to replace" in result.err
    assert (theirs / "notes.md").read_text() == "mine\n"
