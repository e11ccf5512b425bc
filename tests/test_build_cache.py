"""The no-op --check shortcut answers "up to date" only when nothing at all has changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from templates_src import speed
from templates_src.speed import background, build_cache, product as product_step
from templates_src.app import pipeline
from templates_src.config.product_settings import DEFAULT_SETTINGS

from conftest import PARAMS, run_main, snapshot

pytestmark = pytest.mark.cli


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

    monkeypatch.setattr(pipeline, "load_environments", refuse)


def test_unchanged_inputs_and_output_answer_without_rebuilding(project, monkeypatch):
    params, out = project
    _no_rebuild(monkeypatch)
    result = _check(params, out)
    count = len(list(params.glob("[!_]*.yaml")))
    assert (result.code, result.out.strip()) == (0, f"{out} is up to date ({count} environment(s))")


@pytest.mark.parametrize("change", ["params", "output", "output-extra-file", "options", "no-cache", "corrupt-cache"])
def test_any_change_takes_the_full_path(project, change, tmp_path, monkeypatch):
    params, out = project
    extra: tuple[str, ...] = ()
    if change == "params":
        text = (params / "dev.yaml").read_text()
        assert "log_retention_days: 14" in text
        (params / "dev.yaml").write_text(text.replace("log_retention_days: 14", "log_retention_days: 30"))
    elif change == "output":
        (out / "dev" / "parameters.json").write_text("[{}]\n")
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
    real = pipeline.load_environments

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_environments", counting)
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


def test_library_versions_are_read_as_importlib_metadata_reads_them():
    from importlib import metadata

    for name in build_cache.DISTRIBUTIONS:  # cfn-guard-rs is there only where it has wheels
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = None
        assert build_cache._version(name) == expected, name
    assert build_cache._version("no-such-distribution") is None


# --- the Service Catalog product, kept by code digest -------------------------------------------

def _build(params: Path, out: Path, *extra: str):
    return run_main("--no-lint", "--params", str(params), "--out", str(out), *extra)


def _product_entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "code-v1").glob(f"{product_step.PRODUCT_CACHE_ENTRY}-*.json"))


class _Builds:
    """Product builds, counted in a file: they happen in a forked child (product_step)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def __bool__(self) -> bool:
        return self.log.exists() and bool(self.log.read_text())

    def pids(self) -> list[int]:
        return [int(line) for line in self.log.read_text().split()] if self.log.exists() else []


def _count_product_builds(monkeypatch: pytest.MonkeyPatch, log: Path) -> _Builds:
    from templates_src import catalog

    real = catalog.build_product

    def counting(version, *settings):
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return real(version, *settings)

    monkeypatch.setattr(catalog, "build_product", counting)
    return _Builds(log)


def test_the_product_is_built_once_per_code_and_read_back_the_same(project, tmp_path, monkeypatch):
    from templates_src import catalog

    params, out = project  # the fixture's build stored the product
    assert len(_product_entries(tmp_path)) == 1
    before = snapshot(out)
    shutil.rmtree(out)

    def refuse(version, *settings):
        raise AssertionError("the product should have come from the cache")

    monkeypatch.setattr(catalog, "build_product", refuse)
    assert _build(params, out).code == 0
    assert snapshot(out) == before
    store = build_cache.CodeCache(tmp_path / "cache", DEFAULT_SETTINGS.cache_key())
    cached = catalog.Product.from_json(store.load(product_step.PRODUCT_CACHE_ENTRY))
    monkeypatch.undo()
    assert cached == catalog.build_product()


@pytest.mark.parametrize("change", ["code", "corrupt", "not-a-product", "no-cache"])
def test_the_product_is_built_again_when_the_code_changed_or_the_entry_is_bad(project, tmp_path, monkeypatch,
                                                                               change):
    params, out = project
    before, extra = snapshot(out), ()
    [entry] = _product_entries(tmp_path)
    stored = entry.stat().st_mtime_ns
    if change == "code":
        monkeypatch.setattr(build_cache, "code_digest", lambda: "0" * 64)
    elif change == "corrupt":
        entry.write_text("{not json")
    elif change == "not-a-product":
        entry.write_text('{"body": {}, "files": {"service-catalog/portfolio.yaml": "x"}}')
    else:
        extra = ("--no-cache",)
    built = _count_product_builds(monkeypatch, tmp_path / "builds.log")
    assert _build(params, out, *extra).code == 0
    assert built and snapshot(out) == before
    entries = _product_entries(tmp_path)
    if change == "no-cache":  # neither read nor written
        assert entries == [entry] and entry.stat().st_mtime_ns == stored
    elif change == "code":  # the new code's entry replaces the old one
        digest = build_cache.settings_digest(DEFAULT_SETTINGS.cache_key())  # of the code "000..."
        assert [p.name for p in entries] == [f"{product_step.PRODUCT_CACHE_ENTRY}-{digest}.json"]
    else:  # rewritten whole
        assert entries == [entry] and catalog_product(entry) is not None


def catalog_product(entry: Path):
    import json

    from templates_src import catalog

    return catalog.Product.from_json(json.loads(entry.read_text()))


# --- each env's files and launch check, kept by config and code (workers.render_all) --------------

def _rendered_entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / f"{speed.RENDER_CACHE_ENTRY}-v1").glob("*.json"))


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The envs rendered from now on; all in this process (no forked render workers, whose
    renders a list here would not see), however many envs the params folder holds."""
    from templates_src.speed import workers

    monkeypatch.setattr(workers, "PARALLEL_RENDER_MIN_ENVS", 10**6)
    rendered, real = [], workers._render_one

    def counting(index, cfg, check=None):
        rendered.append(cfg.env)
        return real(index, cfg, check)

    monkeypatch.setattr(workers, "_render_one", counting)
    return rendered


def test_an_unchanged_env_is_not_rendered_again(project, tmp_path, monkeypatch):
    params, out = project  # the fixture's build kept every env's render
    envs = sorted(p.stem for p in params.glob("[!_]*.yaml"))
    assert len(_rendered_entries(tmp_path)) == len(envs)
    before = snapshot(out)
    shutil.rmtree(out)
    rendered = _count_renders(monkeypatch)
    assert _build(params, out).code == 0
    assert rendered == [] and snapshot(out) == before
    # One env's params change: that env alone is rendered, and its files are its new ones.
    text = (params / "dev.yaml").read_text()
    (params / "dev.yaml").write_text(text.replace("log_retention_days: 14", "log_retention_days: 30"))
    result = _build(params, out)
    assert result.code == 0, result.err
    assert rendered == ["dev"]
    assert "RetentionInDays: 30" in (out / "dev" / "rds-proxy.yaml").read_text()
    assert {k: v for k, v in snapshot(out).items() if not k.startswith("dev/")} == \
        {k: v for k, v in before.items() if not k.startswith("dev/")}


@pytest.mark.parametrize("change", ["code", "corrupt", "wrong-shape", "no-check-result", "no-cache"])
def test_a_kept_render_is_used_only_for_the_same_code_and_when_whole(project, tmp_path, monkeypatch, change):
    params, out = project
    before, extra = snapshot(out), ()
    entries = _rendered_entries(tmp_path)
    stored = {entry: entry.read_bytes() for entry in entries}
    if change == "code":
        monkeypatch.setattr(build_cache, "code_digest", lambda: "0" * 64)
    elif change == "corrupt":
        for entry in entries:
            entry.write_text("{not json")
    elif change == "wrong-shape":  # files that are not text, a count that is not a number
        for number, entry in enumerate(entries):
            entry.write_text(['{"files": {"dev/template.yaml": 1}, "resources": 3, "checked": []}',
                              '{"files": {}, "resources": "3", "checked": []}',
                              '{"files": {}, "resources": 3, "checked": [1]}',
                              '[]'][number % 4])
    elif change == "no-check-result":  # kept by a render that ran no launch check
        for entry in entries:
            entry.write_text('{"files": {}, "resources": 3, "checked": null}')
    else:
        extra = ("--no-cache",)
    rendered = _count_renders(monkeypatch)
    assert _build(params, out, *extra).code == 0
    assert sorted(rendered) == sorted(p.stem for p in params.glob("[!_]*.yaml"))
    assert snapshot(out) == before
    if change == "no-cache":  # neither read nor written
        assert {entry: entry.read_bytes() for entry in _rendered_entries(tmp_path)} == stored
    elif change == "code":  # kept beside the old code's entries
        assert len(_rendered_entries(tmp_path)) == 2 * len(entries)
    else:  # written again whole
        assert all(entry.read_bytes() == stored[entry] for entry in _rendered_entries(tmp_path))


def test_kept_renders_beyond_the_limit_are_dropped_oldest_first_but_never_this_builds(tmp_path):
    results = build_cache.ConfigResults(tmp_path, "thing", max_entries=3)
    for number in range(5):
        results.put(f"old{number}", {"n": number})
    results.put("mine", {"n": "mine"})
    results.prune(["old0", "mine"])
    assert sorted(p.stem for p in results.folder.glob("*.json")) == ["mine", "old0", "old4"]
    assert results.get("mine") == {"n": "mine"} and results.get("old1") is None


def test_the_key_tells_configs_apart_and_names_apart(project):
    from templates_src.config import load_environments

    params, _ = project
    configs = load_environments(params, "params")
    results = build_cache.ConfigResults(Path("unused"), "rendered")
    keys = {results.key(cfg) for cfg in configs}
    assert len(keys) == len(configs)
    assert results.key(configs[0]) == build_cache.ConfigResults(Path("x"), "rendered").key(configs[0])
    assert results.key(configs[0]) != build_cache.ConfigResults(Path("x"), "other").key(configs[0])


def test_the_product_is_built_in_a_child_while_the_params_are_read(project, tmp_path, monkeypatch):
    params, out = project
    before = snapshot(out)
    built = _count_product_builds(monkeypatch, tmp_path / "builds.log")
    assert _build(params, out, "--no-cache").code == 0
    assert snapshot(out) == before
    assert len(built.pids()) == 1 and built.pids()[0] != os.getpid()  # once, and not in this process


def test_a_product_child_that_fails_is_built_here_instead(project, tmp_path, monkeypatch):
    from templates_src import catalog

    params, out = project
    before = snapshot(out)
    real, parent, log = catalog.build_product, os.getpid(), tmp_path / "builds.log"

    def fails_in_a_child(version, *settings):
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(version, *settings)

    monkeypatch.setattr(catalog, "build_product", fails_in_a_child)
    assert _build(params, out, "--no-cache").code == 0
    assert snapshot(out) == before
    pids = [int(p) for p in log.read_text().split()]
    assert len(pids) == 2 and pids[0] != parent and pids[1] == parent


def test_bad_params_stop_the_product_child(tmp_path, monkeypatch):
    params = tmp_path / "params"
    params.mkdir()
    (params / "dev.yaml").write_text("engine_family: MYSQL\n")
    started = []
    real = background.Background

    class Recorded(real):
        def __init__(self, fn):
            super().__init__(fn)
            started.append(self)

    monkeypatch.setattr(product_step, "Background", Recorded)
    assert _build(params, tmp_path / "out", "--no-cache").code == 2
    [job] = started
    assert job._child is None  # cancelled: killed and reaped (waitpid would raise on a reaped pid)


def test_background_gives_the_childs_result_and_cancel_reaps_it():
    job = background.Background(lambda: ("from", os.getpid()))
    word, pid = job.result()
    assert word == "from" and pid != os.getpid()
    slow = background.Background(lambda: __import__("time").sleep(60))
    pid = slow._child[0]
    slow.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)
