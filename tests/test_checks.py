"""checks: cfn-lint finds real errors, in one process or in workers, and its cache never hides one.

The cache tests swap the linter for a counting fake (``checks._lint_text``) so they run in
milliseconds; a handful of tests run the real cfn-lint.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from templates_src.checks import lint as checks, lint_template
from templates_src.app import cli, pipeline
from templates_src.speed import lint_cache, workers
from templates_src.output import report

from conftest import PARAMS, example_configs, example_template_text, run_main, write_synthetic_envs

pytestmark = pytest.mark.cli

DEV = example_template_text("dev")
# An engine family RDS Proxy does not have: the resource schema's enum rejects it.
BROKEN = DEV.replace("EngineFamily: MYSQL", "EngineFamily: ORACLE", 1)
BROKEN_LINE = DEV[: DEV.index("EngineFamily: MYSQL")].count("\n") + 1


def job(text: str = DEV, region: str = "eu-west-1", file: str = "out/dev/rds-proxy.yaml") -> checks.LintJob:
    return checks.LintJob(file, text, region)


# --- the real cfn-lint --------------------------------------------------------------------------


def test_lint_passes_a_generated_template_and_finds_a_planted_error() -> None:
    assert BROKEN != DEV
    assert checks.lint([job()]) == []
    findings = checks.lint([job(BROKEN, file="x/broken.yaml"), job()])
    assert findings, "the planted error was not found"
    assert {f.file for f in findings} == {"x/broken.yaml"}
    assert all(f.severity in checks.FAILING_SEVERITIES and f.rule.startswith(("E", "W")) for f in findings)
    assert BROKEN_LINE in {f.line for f in findings}
    assert any("ORACLE" in f.message for f in findings)


def test_a_template_that_does_not_parse_is_a_finding() -> None:
    findings = checks.lint([job("Resources: [unclosed\n", file="x/bad.yaml")])
    assert findings and findings[0].file == "x/bad.yaml" and findings[0].rule.startswith("E0")


def test_workers_find_exactly_what_one_process_finds(tmp_path: Path) -> None:
    jobs = [job(example_template_text(env), file=f"out/{env}/rds-proxy.yaml") for env in sorted(example_configs())]
    jobs.append(job(BROKEN, file="x/broken.yaml"))
    alone = checks.lint(jobs)
    session = checks.LintSession(workers=2)
    for item in jobs:
        session.submit(item)
    results = session.finish()
    assert [r.job for r in results] == jobs  # in submission order
    assert sorted({f for r in results for f in r.findings}) == alone
    assert alone and {f.file for f in alone} == {"x/broken.yaml"}


def test_a_broken_pool_falls_back_to_linting_here(monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def __enter__(self):
            raise BrokenProcessPool("a worker died")

        def __exit__(self, *exc) -> None:
            pass

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Broken)
    monkeypatch.setattr(checks.LintSession, "_start_server", lambda self: setattr(self, "_server_started", True))
    findings = checks.lint(checks.LintBatch([job(BROKEN, file="x/broken.yaml"), job()], workers=2))
    assert findings and {f.file for f in findings} == {"x/broken.yaml"}


# --- the cache, with a fake linter ---------------------------------------------------------------


class FakeLinter:
    """Stands in for cfn-lint: one error on line 7 for any template containing 'BAD'."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, text: str, region: str, options: checks.LintOptions, parameters=()):
        self.calls.append((text, region))
        raws = ((7, "E3030", "error", "planted"),) if "BAD" in text else ()
        return tuple(r for r in raws if r[2] in options.failing_severities), 0.01


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLinter:
    linter = FakeLinter()
    monkeypatch.setattr(checks, "_lint_text", linter)
    return linter


@pytest.fixture
def cache(tmp_path: Path) -> lint_cache.LintCache:
    return lint_cache.LintCache(tmp_path / "cache")


def run(jobs, cache, options=checks.LintOptions()) -> list[checks.LintResult]:
    session = checks.LintSession(options, cache)
    for item in jobs:
        session.submit(item)
    return session.finish()


def test_the_cache_returns_the_cached_results(fake: FakeLinter, cache: lint_cache.LintCache) -> None:
    jobs = [job("a: 1\n"), job("b: BAD\n", file="out/prod/rds-proxy.yaml")]
    first = run(jobs, cache)
    assert len(fake.calls) == 2 and not any(r.cached for r in first)

    second = run(jobs, cache)
    assert len(fake.calls) == 2, "a cached template was linted again"
    assert all(r.cached for r in second)
    assert [r.findings for r in second] == [r.findings for r in first]
    # A cached finding is reported like a fresh one, under the name the job gives now.
    renamed = run([job("b: BAD\n", file="elsewhere/prod/rds-proxy.yaml")], cache)
    assert renamed[0].cached and renamed[0].findings == (
        checks.Finding("elsewhere/prod/rds-proxy.yaml", 7, "E3030", "error", "planted"),)


def _relints(fake: FakeLinter, cache: lint_cache.LintCache, *, text: str = "a: BAD\n", region: str = "eu-west-1",
             options: checks.LintOptions = checks.LintOptions()) -> bool:
    before = len(fake.calls)
    run([job(text, region)], cache, options)
    return len(fake.calls) > before


def test_every_key_input_invalidates_the_cache(fake: FakeLinter, cache: lint_cache.LintCache, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policies" / "proxy.guard"
    policy.parent.mkdir()
    policy.write_text("rule a {}\n")
    base = checks.LintOptions(extra_inputs=(policy,))
    assert _relints(fake, cache, options=base)
    assert not _relints(fake, cache, options=base), "the same inputs must hit"

    # The template's bytes, even one character.
    assert _relints(fake, cache, text="a: BAD \n", options=base)
    # The region.
    assert _relints(fake, cache, region="us-east-1", options=base)
    # Each rule option.
    for change in ({"failing_severities": ("error",)}, {"include_checks": ("I",)}, {"ignore_checks": ("W3005",)},
                   {"mandatory_checks": ("E3030",)}):
        assert _relints(fake, cache, options=checks.LintOptions(**{"extra_inputs": (policy,), **change})), change
    # A policy file's content, a policy file added, a policy file removed.
    policy.write_text("rule a { true }\n")
    assert _relints(fake, cache, options=base)
    other = tmp_path / "policies" / "other.guard"
    other.write_text("rule b {}\n")
    assert _relints(fake, cache, options=checks.LintOptions(extra_inputs=(policy, other)))
    other.unlink()
    assert _relints(fake, cache, options=checks.LintOptions(extra_inputs=(policy, other)))
    # The cfn-lint version (or that of a library it requires).
    versions = lint_cache.cfn_lint_versions()
    monkeypatch.setattr(lint_cache, "cfn_lint_versions", lambda: {**versions, "cfn-lint": "0.0.1"})
    assert _relints(fake, cache, options=base)
    monkeypatch.setattr(lint_cache, "cfn_lint_versions", lambda: {**versions, "regex": "1.0"})
    assert _relints(fake, cache, options=base)
    monkeypatch.setattr(lint_cache, "cfn_lint_versions", lambda: versions)
    # A .cfnlintrc that cfn-lint itself would read (here: in the working folder).
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("ignore_checks: [W3005]\n")
    assert _relints(fake, cache, options=base)
    (tmp_path / ".cfnlintrc").write_text("ignore_checks: [W3011]\n")
    assert _relints(fake, cache, options=base)
    # The cache format.
    monkeypatch.setattr(lint_cache, "CACHE_FORMAT", lint_cache.CACHE_FORMAT + 1)
    assert _relints(fake, cache, options=base)
    # And with all of that undone, the very first entry is still there.
    (tmp_path / ".cfnlintrc").unlink()
    monkeypatch.undo()
    policy.write_text("rule a {}\n")
    monkeypatch.setattr(checks, "_lint_text", fake)
    assert not _relints(fake, cache, options=base)


def test_the_key_covers_this_modules_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options = checks.LintOptions()
    before = lint_cache.context_digest(options)
    for name in lint_cache._PRODUCERS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((lint_cache._PACKAGE / name).read_bytes())
    monkeypatch.setattr(lint_cache, "_PACKAGE", tmp_path)
    assert lint_cache.context_digest(options) == before
    # Any module that produces findings, the project's policies included.
    assert {"checks/lint.py", "checks/lint_template.py", "checks/guard.py", "checks/policies/rules.py",
            "checks/lint_rules.py", "checks/policies/walk.py", "checks/policies/registry.py",
            "checks/policies/product.py", "checks/policies/proxy.py", "checks/policies/iam.py",
            "checks/policies/network.py", "checks/policies/retention.py", "checks/policies/secrets.py"} \
        <= set(lint_cache._PRODUCERS)
    for name in ("checks/lint.py", "checks/lint_template.py", "checks/policies/rules.py", "checks/policies/proxy.py",
                 "checks/lint_rules.py"):
        source = (tmp_path / name).read_text()
        (tmp_path / name).write_text(source + "\n# an edit\n")
        assert lint_cache.context_digest(options) != before, name
        (tmp_path / name).write_text(source)
    assert lint_cache.context_digest(options) == before


@pytest.mark.parametrize("content", [
    "",                                              # empty (a crash mid-write)
    "{not json",                                     # truncated
    "[]",                                            # not an object
    '{"key": "another key", "findings": []}',        # someone else's entry
    '{"key": "KEY", "findings": [[7, "E1"]]}',       # malformed finding
    '{"key": "KEY", "findings": [["7", "E1", "error", "m"]]}',
    '{"key": "KEY", "findings": [[7, "I1", "informational", "m"]]}',  # a severity that does not fail
    '{"key": "KEY"}',
])
def test_a_corrupt_cache_entry_is_ignored_and_replaced(fake: FakeLinter, cache: lint_cache.LintCache, content: str) -> None:
    item = job("a: BAD\n")
    run([item], cache)
    [entry] = cache.folder.glob("*.json")
    entry.write_text(content.replace("KEY", entry.stem))
    results = run([item], cache)
    assert len(fake.calls) == 2 and not results[0].cached
    assert results[0].findings == (checks.Finding(item.file, 7, "E3030", "error", "planted"),)
    assert json.loads(entry.read_text())["key"] == entry.stem  # rewritten whole
    assert run([item], cache)[0].cached


def test_an_unwritable_or_unreadable_cache_only_costs_time(fake: FakeLinter, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n")
    cache = lint_cache.LintCache(blocked / "cache")
    for _ in range(2):
        results = run([job("a: BAD\n"), job("b: 1\n")], cache)
        assert [len(r.findings) for r in results] == [1, 0] and not any(r.cached for r in results)
    assert len(fake.calls) == 4 and not cache.writable
    assert blocked.read_text() == "not a folder\n"


def test_the_cache_keeps_itself_out_of_git(fake: FakeLinter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lint_cache.CACHE_ENV_VAR, raising=False)
    root = lint_cache.default_cache_dir(tmp_path)
    assert root == tmp_path / ".cache" / "rds-proxy-cfn"
    run([job()], lint_cache.LintCache(root))
    assert (root / ".gitignore").read_text().strip().endswith("*")


def test_the_cache_folder_can_be_chosen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(lint_cache.CACHE_ENV_VAR, str(tmp_path / "mine"))
    assert lint_cache.default_cache_dir(Path("/somewhere")) == tmp_path / "mine"


# --- the command line: --no-cache, the summary, progress --------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a copy of the example params (its cache goes to .cache/ in it)."""
    import shutil

    shutil.copytree(PARAMS, tmp_path / "params")
    return tmp_path


def test_cli_uses_the_cache_and_no_cache_forces_a_cold_build(project: Path, fake: FakeLinter,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lint_cache.CACHE_ENV_VAR, raising=False)
    args = ("--params", str(project / "params"), "--out", str(project / "out"), "--jobs", "1")
    first = run_main(*args)
    assert first.code == 0, first.err
    envs = len(fake.calls)
    assert envs >= 2 and all(" lint passed " in line for line in first.out.splitlines()
                             if not line.startswith(("note: ", "budget ")))
    entries = sorted((project / ".cache" / "rds-proxy-cfn" / "lint-v1").rglob("*.json"))
    assert len(entries) == envs

    again = run_main(*args, "--check")
    assert again.code == 0 and len(fake.calls) == envs  # nothing linted: a no-op check

    stamps = [p.stat().st_mtime_ns for p in entries]
    cold = run_main(*args, "--no-cache")
    assert cold.code == 0 and len(fake.calls) == 2 * envs
    assert [p.stat().st_mtime_ns for p in entries] == stamps  # --no-cache writes nothing either

    warm = run_main(*args)
    assert warm.code == 0 and len(fake.calls) == 2 * envs
    assert all(" lint cached " in line for line in warm.out.splitlines()
               if not line.startswith(("note: ", "budget ")))


def test_cli_summary_has_a_line_per_env(project: Path) -> None:
    result = run_main("--no-lint", "--params", str(project / "params"), "--out", str(project / "out"))
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if not line.startswith(("note: ", "budget "))]
    envs = sorted(p.stem for p in PARAMS.glob("[!_]*.yaml"))
    assert [line.split(": ", 1)[0] for line in lines] == envs
    for env, line in zip(envs, lines):
        template = (project / "out" / env / "rds-proxy.yaml").read_bytes()
        assert line.startswith(f"{env}: {project}/out/{env}/ (")
        assert f" {len(template):,} bytes " in line and " resources " in line and " lint skipped " in line
        assert line.endswith(" s")


def test_cli_progress_and_total_only_on_a_terminal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(report, "PROGRESS_AFTER_SECONDS", 0.0)
    out, err = Terminal(), io.StringIO()
    code = cli.main(["--no-lint", "--params", str(project / "params"), "--out", str(project / "out")], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    count = len(list(PARAMS.glob("[!_]*.yaml")))
    first = f"{1:>{len(str(count))}}"  # the counter is padded to the total's width
    assert f"\r\033[K[{first}/{count}] " in text and f"\r\033[K[{count}/{count}] " in text
    assert [line for line in text.splitlines() if not line.startswith(("note: ", "budget "))][-1].startswith(
        f"{count} environment(s): ")


def test_the_cache_prunes_its_oldest_entries_but_not_those_in_use(fake: FakeLinter, tmp_path: Path) -> None:
    import os

    cache = lint_cache.LintCache(tmp_path / "cache", max_entries=3)
    for n in range(3):
        run([job(f"old: {n}\n")], cache)
    for age, path in enumerate(sorted(cache.folder.glob("*.json"))):
        os.utime(path, ns=(10**9 * (age + 1), 10**9 * (age + 1)))  # long ago
    current = [job("a: 1\n"), job("b: 2\n")]
    run(current, cache)
    assert len(list(cache.folder.glob("*.json"))) == 3
    calls = len(fake.calls)
    assert all(r.cached for r in run(current, cache)) and len(fake.calls) == calls


# --- parallel rendering -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_configs(tmp_path_factory: pytest.TempPathFactory):
    """Enough synthetic environments (the benchmark's) for the build to render in forked children."""
    from templates_src.config import load_environments

    params = tmp_path_factory.mktemp("many") / "params"
    write_synthetic_envs(params, workers.PARALLEL_RENDER_MIN_ENVS + 3)
    return load_environments(params, "params")


def test_forked_rendering_gives_the_same_files(many_configs) -> None:
    assert pipeline.build_files(many_configs, workers=3) == pipeline.build_files(many_configs, workers=1)


def _children_die_on_every_third(monkeypatch: pytest.MonkeyPatch):
    """Render children fail on every third env (so deliver nothing); the real _render_one."""
    import os

    parent, real = os.getpid(), workers._render_one

    def render_one(index, cfg, check=None):
        if os.getpid() != parent and index % 3 == 2:
            raise RuntimeError("a child dies")
        return real(index, cfg, check)

    monkeypatch.setattr(workers, "_render_one", render_one)
    return real


def test_what_a_render_child_fails_to_deliver_is_rendered_here(many_configs, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _children_die_on_every_third(monkeypatch)
    rendered = list(workers.render_all(many_configs, workers=2))
    assert sorted(r.index for r in rendered) == list(range(len(many_configs)))
    monkeypatch.setattr(workers, "_render_one", real)
    assert {k: v for r in rendered for k, v in r.files.items()} == \
        {k: v for k, v in pipeline.build_files(many_configs).items() if "/" in k and not k.startswith("service-catalog/")
         and not k.endswith(("/provisioning-parameters.json", "/stack-policy-during-update.json"))}


def test_an_error_in_rendering_surfaces_in_this_process(many_configs, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(index, cfg, check=None):
        raise RuntimeError(f"bug rendering {cfg.env}")

    monkeypatch.setattr(workers, "_render_one", broken)
    with pytest.raises(RuntimeError, match="bug rendering env-000"):
        list(workers.render_all(many_configs, workers=2))


def _deferred(fetched: list[int], pad: str) -> workers.DeferredCheck:
    """A DeferredCheck whose input is larger than a pipe holds; ``fetched``: who fetched it."""
    import os

    def fetch() -> dict[str, str]:
        fetched.append(os.getpid())
        return {"pad": pad, "suffix": "!"}

    def run(given: dict[str, str], cfg, body) -> list[str]:
        assert given["pad"] == pad
        return [cfg.env, str(len(body["Resources"])), given["suffix"]]

    return workers.DeferredCheck(fetch, run)


@pytest.mark.parametrize("count", [1, 3])
def test_a_deferred_check_renders_first_and_checks_like_an_immediate_one(many_configs, count,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process renders its share before the input exists; this one fetches it once and
    hands it to the children over a pipe (it is larger than a pipe holds)."""
    import os

    want = {r.index: r.checked for r in workers.render_all(
        many_configs, 1, lambda cfg, body: [cfg.env, str(len(body["Resources"])), "!"])}
    parent, events, real = os.getpid(), [], workers._render_one

    def render_one(index, cfg, check=None):
        if os.getpid() == parent:
            events.append(index)
        return real(index, cfg, check)

    monkeypatch.setattr(workers, "_render_one", render_one)
    fetched: list[int] = []
    check = _deferred(fetched, "x" * 300_000)
    fetch = check.fetch
    check = workers.DeferredCheck(lambda: (events.append("fetch"), fetch())[1], check.run)
    rendered = list(workers.render_all(many_configs, count, check))
    assert {r.index: r.checked for r in rendered} == want
    assert fetched == [parent]
    own = list(range(0, len(many_configs), count))  # this process's share
    assert events == [*own, "fetch"]
    assert all(r.body is None for r in rendered)  # the templates are not kept once checked


def test_a_child_that_dies_before_taking_the_input_is_rendered_here(many_configs,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    _children_die_on_every_third(monkeypatch)
    fetched: list[int] = []
    rendered = list(workers.render_all(many_configs, 3, _deferred(fetched, "y" * 300_000)))
    assert sorted(r.index for r in rendered) == list(range(len(many_configs)))
    assert all(r.checked == [r.cfg.env, str(r.resources), "!"] for r in rendered)
    assert fetched == [os.getpid()]


def test_without_lint_the_envs_are_rendered_before_the_product_is_awaited(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """--no-lint (--no-cache: the product is built in the background): the renders do not wait
    for the product; only their launch checks do."""
    import os

    from templates_src.speed import product as product_step

    parent, events = os.getpid(), []
    real_render, real_product = workers._render_one, product_step.ProductStep.product

    def render_one(index, cfg, check=None):
        if os.getpid() == parent:
            events.append("render")
        return real_render(index, cfg, check)

    def product(self):
        events.append("product")
        return real_product(self)

    monkeypatch.setattr(workers, "_render_one", render_one)
    monkeypatch.setattr(product_step.ProductStep, "product", product)
    params = tmp_path / "params"
    write_synthetic_envs(params, workers.PARALLEL_RENDER_MIN_ENVS + 3)
    result = run_main("--no-lint", "--no-cache", "--params", str(params), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert events[:2] == ["render", "render"] and "product" in events
    assert list((tmp_path / "out").glob("env-*/provisioning-parameters.json"))  # the launch check ran


def test_lint_workers_run_this_copy_of_the_code(tmp_path: Path) -> None:
    """The fork server imports the same templates_src as the build (not another installed copy):
    otherwise the cache key, which hashes this checks/lint_template.py, would describe other code."""
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    copy = tmp_path / "copy"
    shutil.copytree(root / "templates_src", copy / "templates_src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "build.py", copy / "build.py")
    shutil.copytree(PARAMS, copy / "params")
    source = (copy / "templates_src" / "checks" / "lint_template.py").read_text(encoding="utf-8")
    shutil.copytree(root / "policies", copy / "policies")
    marker = '    return tuple(sorted(raws)), time.perf_counter() - start\n'
    assert marker in source
    (copy / "templates_src" / "checks" / "lint_template.py").write_text(source.replace(marker, (
        '    raws = {*raws, (1, "E0001", "error", "linted by the copy")}\n' + marker)), encoding="utf-8")

    proc = subprocess.run([sys.executable, str(copy / "build.py"), "--params", str(copy / "params"),
                           "--out", str(copy / "out"), "--no-cache", "--jobs", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    envs = sorted(p.stem for p in PARAMS.glob("[!_]*.yaml"))
    assert proc.returncode == 1
    assert proc.stderr.count("/rds-proxy.yaml:1: E0001: linted by the copy") == len(envs), proc.stderr


def test_parameter_file_values_are_part_of_the_key_and_lists_are_split() -> None:
    base = checks.LintJob("t.yaml", "Resources: {}\n", "eu-west-1", parameters=(("A", "1"),))
    other = checks.LintJob("t.yaml", "Resources: {}\n", "eu-west-1", parameters=(("A", "2"),))
    assert lint_cache.cache_key(base, "ctx") != lint_cache.cache_key(other, "ctx")
    template = {"Parameters": {"Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"}, "Port": {"Type": "Number"}}}
    assert lint_template._deployment_values(template, (("Subnets", "subnet-1,subnet-2"), ("Port", "3306"))) == {
        "Subnets": ["subnet-1", "subnet-2"], "Port": "3306"}


def test_a_cfnlintrc_cannot_switch_the_projects_policies_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cfn-lint reads .cfnlintrc by itself; the project's policies are mandatory checks."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("ignore_checks:\n  - E9101\n  - E3\n")
    text = DEV.replace("RequireTLS: true", "RequireTLS: false")
    raws, _ = checks._lint_text(text, "eu-west-1", checks.LintOptions())
    assert [raw[1] for raw in raws] == ["proxy/rds_proxy_requires_tls"]
