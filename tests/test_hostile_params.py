"""Hostile params that cannot be committed as fixture files (FIFOs, devices, odd file names,
folders) and what the generated files make of accepted but awkward text."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_main
from templates_src.app import rendering
from templates_src.render.escaping import comment_text, markdown_text

pytestmark = pytest.mark.cli

BASE = (Path(__file__).parent / "fixtures" / "params" / "bad" / "_base" / "dev.yaml").read_text()
ARGS = ("--params", "params", "--out", "out", "--no-lint")


def _params(root: Path) -> Path:
    (root / "params").mkdir()
    (root / "params" / "dev.yaml").write_text(BASE)
    return root / "params"


def _refused(result, line: str) -> None:
    assert "Traceback" not in result.err, result.err
    assert result.code == 2
    assert result.err.splitlines()[0] == line, result.err


@pytest.mark.parametrize("name", ["dev.yaml", "_defaults.yaml"])
def test_a_fifo_is_refused_without_blocking(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params(tmp_path)
    (params / name).unlink(missing_ok=True)
    os.mkfifo(params / name)  # opening it for reading would wait for a writer forever
    monkeypatch.chdir(tmp_path)
    _refused(run_main(*ARGS), f"params/{name}: refused: the file is a FIFO (params are plain files)")


def test_a_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params(tmp_path)
    (params / "dev.yaml").unlink()
    (params / "dev.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    _refused(run_main(*ARGS), "params/dev.yaml: refused: the file is a folder (params are plain files)")


LINKED_OUT = "params/{name}: refused: a link to outside the params folder (a params file may link only to a file in it)"


@pytest.mark.parametrize("name", ["dev.yaml", "_defaults.yaml", "_product.yaml", "_defaults.mysql.yaml"])
@pytest.mark.parametrize("target", ["secret", "/dev/zero", "/proc/self/mem"])
def test_a_link_out_of_the_params_folder_is_refused_unread(name: str, target: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever it points to (a file of someone's, a device, a file no one can read from its
    start): nothing of it is read, so none of its text can reach a message."""
    params = _params(tmp_path)
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text("proxy:\n  name: TOP-SECRET-VALUE\nnot yaml: [\n")
    (params / name).unlink(missing_ok=True)
    (params / name).symlink_to(secret if target == "secret" else target)
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    _refused(result, LINKED_OUT.format(name=name))
    assert "TOP-SECRET" not in result.err + result.out


def test_a_link_inside_the_params_folder_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params(tmp_path)
    (params / "shared").mkdir()
    (params / "shared" / "defaults.yaml").write_text("secrets:\n  password_length: 41\n")
    (params / "_defaults.yaml").symlink_to(Path("shared") / "defaults.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 0, result.err
    assert "PasswordLength: 41" in (tmp_path / "out" / "dev" / "rds-proxy.yaml").read_text()


@pytest.mark.parametrize("name, shown", [
    ("dev\n.yaml", "'params/dev\\n.yaml'"),
    ("\x1b[31mdev.yaml", "'params/\\x1b[31mdev.yaml'"),
])
def test_odd_file_names_are_quoted_and_escaped(name: str, shown: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params(tmp_path)
    (params / name).write_text(BASE)
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 2
    first = result.err.splitlines()[0]
    assert first.startswith(shown + ": ") and "is not a valid environment name" in first
    assert "\x1b" not in result.err and len(result.err.splitlines()) == 2


def test_params_inside_the_out_folder_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x").mkdir()
    _params(tmp_path / "x")
    monkeypatch.chdir(tmp_path)
    result = run_main("--params", "x/params", "--out", "x", "--no-lint")
    _refused(result, "build.py: error: the params folder 'x/params' is inside the out folder 'x', which a build "
                     "replaces; keep params outside --out")
    assert (tmp_path / "x" / "params" / "dev.yaml").read_text() == BASE


def test_an_unexpected_exception_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _params(tmp_path)
    monkeypatch.chdir(tmp_path)

    def boom(*args, **kwargs):
        raise ValueError("something nobody expected\nsecond line")

    monkeypatch.setattr(rendering.render, "render_shared", boom)
    result = run_main(*ARGS)
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.splitlines() == ["build.py: error: ValueError: something nobody expected\\nsecond line; the "
                                       "build stopped (please report this if the input looks right)"]


@pytest.mark.parametrize("tag_key", ["self", "args", "kwargs"])
def test_any_word_is_a_tag_key(tag_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params(tmp_path)
    (params / "dev.yaml").write_text(BASE + f"tags:\n  {tag_key}: x\n")
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 0, result.err
    assert f"Key: {tag_key}" in (tmp_path / "out" / "dev" / "rds-proxy.yaml").read_text()


@pytest.mark.parametrize("option", ["--params", "--out"])
@pytest.mark.parametrize("folder", ["p\n$(touch PWNED)", "p`touch PWNED2`", "p\x1b[2J"])
def test_a_folder_a_code_span_cannot_hold_is_refused(option: str, folder: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # DEPLOY.md names both folders in code spans, which cannot hold a backtick or a line break.
    src = _params(tmp_path)
    if option == "--params":
        shutil.move(src, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    args = ("--params", folder, "--out", "out") if option == "--params" else ("--params", "params", "--out", folder)
    result = run_main(*args, "--no-lint", "--no-cache")
    assert result.code == 2
    assert result.err.count("\n") == 1 and f"{option} {folder!r} has a backtick or a control character" in result.err
    assert not (tmp_path / "out").exists() and not (tmp_path / folder / "dev").exists()
    assert not list(tmp_path.glob("PWNED*"))


def test_a_hostile_params_path_is_inert_in_every_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = "p $(touch PWNED) ; '\" -->\\"
    src = _params(tmp_path)
    shutil.move(src, tmp_path / folder)
    (tmp_path / folder / "dev.yaml").write_text(BASE.replace("  - username: app_user\n", "  - username: a\n"
                                                             "    description: 'x <b>bold</b> `code` [l](u) | *e*'\n"))
    monkeypatch.chdir(tmp_path)
    result = run_main("--params", folder, "--out", "out", "--no-lint", "--no-cache")
    assert result.code == 0, result.err
    out = tmp_path / "out" / "dev"
    for name in ("rds-proxy.yaml", "create-db-users.sh", "deploy.sh", "db-users.sql", "DEPLOY.md"):
        head = next(line for line in (out / name).read_text().splitlines() if "Generated by" in line)
        assert comment_text(folder) in head, (name, head)
        assert not any(c in head.partition(" from ")[2].split(".")[0] for c in "\n$`\\<>"), (name, head)
    guide = (out / "DEPLOY.md").read_text()
    assert markdown_text("x <b>bold</b> `code` [l](u) | *e*") in guide and "<b>" not in guide
    for script in ("create-db-users.sh", "deploy.sh"):  # the path left the scripts' syntax alone
        assert subprocess.run(["bash", "-n", str(out / script)]).returncode == 0
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()
