"""The no-op --check shortcut answers "up to date" only when nothing at all has changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from templates_src import build_cache, cli

from conftest import PARAMS, run_main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RDS_PROXY_CFN_CACHE_DIR", str(tmp_path / "cache"))
    params, out = tmp_path / "params", tmp_path / "out"
    shutil.copytree(PARAMS, params)
    assert run_main("--no-lint", "--params", str(params), "--out", str(out)).code == 0
    return params, out


def _check(params: Path, out: Path, *extra: str):
    return run_main("--check", "--no-lint", "--params", str(params), "--out", str(out), *extra)


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the shortcut should have answered without loading params")

    monkeypatch.setattr(cli, "load_environments", refuse)


def test_unchanged_inputs_and_output_answer_without_rebuilding(project, monkeypatch):
    params, out = project
    _no_rebuild(monkeypatch)
    result = _check(params, out)
    assert (result.code, result.out.strip()) == (0, f"{out} is up to date (4 environment(s))")


@pytest.mark.parametrize("change", ["params", "output", "output-extra-file", "options", "no-cache", "corrupt-cache"])
def test_any_change_takes_the_full_path(project, change, tmp_path, monkeypatch):
    params, out = project
    extra: tuple[str, ...] = ()
    if change == "params":
        text = (params / "dev.yaml").read_text()
        assert "log_retention_days: 14" in text
        (params / "dev.yaml").write_text(text.replace("log_retention_days: 14", "log_retention_days: 30"))
    elif change == "output":
        (out / "dev" / "parameters.json").write_text("[]\n")
    elif change == "output-extra-file":
        (out / "dev" / "stray.txt").write_text("x")
    elif change == "options":
        extra = ("dev",)  # another set of environments is another fingerprint
    elif change == "no-cache":
        extra = ("--no-cache",)
    else:
        for record in (tmp_path / "cache").rglob("*.json"):
            record.write_text("{not json")
    calls = []
    real = cli.load_environments

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "load_environments", counting)
    result = _check(params, out, *extra)
    assert calls, "the shortcut answered although something changed"
    # A changed input or output is stale; the same inputs asked another way are up to date.
    assert result.code == (0 if change in ("options", "no-cache", "corrupt-cache") else 1)


def test_the_fingerprint_covers_code_policies_and_versions(tmp_path, monkeypatch):
    params = tmp_path / "params"
    params.mkdir()
    (params / "dev.yaml").write_text("a: 1\n")
    policy = tmp_path / "org.guard"
    policy.write_text("rule a { }\n")
    package = tmp_path / "package"
    package.mkdir()
    (package / "builder.py").write_text("X = 1\n")
    monkeypatch.setattr(build_cache, "PACKAGE_DIR", package)

    def key() -> str:
        return build_cache.fingerprint(params, {"no_lint": False}, [policy])

    first = key()
    assert key() == first
    (package / "builder.py").write_text("X = 2\n")
    second = key()
    assert second != first
    policy.write_text("rule b { }\n")
    third = key()
    assert third != second
    monkeypatch.setattr(build_cache, "_version", lambda name: "9.9.9" if name == "cfn-lint" else None)
    assert key() != third
    assert build_cache.fingerprint(params, {"no_lint": True}, [policy]) != key()
