"""Shared test helpers: the repository's paths and ways to run build.py as a user would."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The environments the tests exercise the generator on: a copy of the shipped examples, so the
# suite passes whatever params/ holds (a fork keeps its own environments there). Only the golden
# check compares generated/ with params/ itself (USER_PARAMS, tests/test_golden.py).
EXAMPLES = ROOT / "tests" / "fixtures" / "params" / "examples"
PARAMS = EXAMPLES
USER_PARAMS = ROOT / "params"
GENERATED = ROOT / "generated"


@functools.cache
def example_configs() -> dict:
    """The example environments (EXAMPLES), validated, by name."""
    from templates_src.config import load_environments

    return {cfg.env: cfg for cfg in load_environments(EXAMPLES, "params")}


@functools.cache
def example_files() -> dict[str, str]:
    """Every output file of the examples (as ``build.py --params EXAMPLES`` writes), in memory."""
    from templates_src.app.pipeline import build_files

    return build_files(list(example_configs().values()))


# The line each example declares itself with; deleting it makes the env one's own (README).
EXAMPLE_LINE = re.compile(r"^example: true\b.*\n", re.MULTILINE)


@functools.cache
def owned_configs() -> dict:
    """The examples made one's own as a user does: each file's ``example: true`` line deleted,
    so their deploy.sh deploys (an example's refuses)."""
    from templates_src.config import load_environments

    with tempfile.TemporaryDirectory() as folder:
        for file in EXAMPLES.iterdir():
            text = file.read_text(encoding="utf-8")
            if not file.name.startswith("_"):
                text, count = EXAMPLE_LINE.subn("", text)
                assert count == 1, f"{file.name}: no example: true line to delete"
            (Path(folder) / file.name).write_text(text, encoding="utf-8")
        configs = {cfg.env: cfg for cfg in load_environments(Path(folder), "params")}
    assert configs.keys() == example_configs().keys() and not any(cfg.example for cfg in configs.values())
    return configs


@functools.cache
def owned_files() -> dict[str, str]:
    """Every output file of ``owned_configs`` (the examples without their example line), in memory."""
    from templates_src.app.pipeline import build_files

    return build_files(list(owned_configs().values()))


@functools.cache
def example_template_text(env: str) -> str:
    """An example environment's template as the build writes it, built in memory."""
    from templates_src.render.files import template_yaml
    from templates_src.builders.stack import build_template

    cfg = example_configs()[env]
    return template_yaml(cfg, build_template(cfg))


# A test that needs a tool this machine lacks is skipped, its reason naming the tool and how to get
# it. scripts/test sets RDS_PROXY_CFN_REQUIRE_TOOLS=1: there such a skip fails the run instead
# (pytest_runtest_makereport below), so CI cannot pass with a tier silently left out.
MISSING_TOOL = "missing tool: "
REQUIRE_TOOLS = os.environ.get("RDS_PROXY_CFN_REQUIRE_TOOLS") == "1"


def missing_tool(tool: str, how: str) -> str:
    """The skip reason of a test that needs ``tool``: its name and how to get it."""
    return f"{MISSING_TOOL}{tool} ({how})"


def needs_tool(found: object, tool: str, how: str) -> pytest.MarkDecorator:
    """Skip unless ``found`` (a path, a bool), saying which tool is missing and how to get it."""
    return pytest.mark.skipif(not found, reason=missing_tool(tool, how))


def require_tool(found: object, tool: str, how: str) -> None:
    """In a test or fixture: skip it unless ``found``, as ``needs_tool`` does."""
    if not found:
        pytest.skip(missing_tool(tool, how))


NO_ENGINE = missing_tool("a CloudFormation Guard engine", "cfn-guard-rs where it has wheels, pip install -e '.[guard]'; "
                         "or a cfn-guard 3 on PATH, which scripts/test puts there")


def with_each_engine(test):
    """Run a test once with each Guard engine installed here (cfn-guard-rs, cfn-guard 3 on PATH);
    skipped, saying why, where there is none (scripts/test has one, and fails on such a skip)."""
    from templates_src.checks.guard import available_engines

    engines = available_engines() or [pytest.param(None, marks=pytest.mark.skip(NO_ENGINE))]
    return pytest.mark.parametrize("engine", engines, ids=lambda e: e.name if e else "none")(test)


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_build(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    """Run ``python build.py ARGS`` in a subprocess, exactly as a user would."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_main(*args: str) -> Result:
    """Run the CLI in-process (fast; no cfn-lint import unless asked)."""
    import io

    from templates_src.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def write_synthetic_envs(params: Path, count: int) -> None:
    """``count`` valid params files, the benchmark's synthetic environments (benchmarks/bench.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.pop(0)
    bench.write_envs(params, count)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, to assert a folder was left untouched."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own lint and build cache: no test sees another's results, and no test
    writes .cache/ into the repository or beside a params folder it made."""
    monkeypatch.setenv("RDS_PROXY_CFN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def params_copy(tmp_path: Path) -> Path:
    """A writable copy of the example params folder."""
    target = tmp_path / "params"
    shutil.copytree(PARAMS, target)
    return target


@pytest.fixture
def owned_params(tmp_path: Path) -> Path:
    """A writable copy of the example params folder made one's own: each ``example: true`` line
    deleted, so that what a build writes from it counts as deployed for the next build."""
    target = tmp_path / "params"
    shutil.copytree(PARAMS, target)
    for file in target.glob("[!_]*.yaml"):
        file.write_text(EXAMPLE_LINE.sub("", file.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    return target


def count_jinja_compiles(monkeypatch) -> list:
    """The name of each template jinja compiles in this process from now on (monkeypatched)."""
    import jinja2

    compiled: list = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


# --- the tiers ------------------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test carries exactly one tier (the markers of pyproject.toml), so a run that picks
    tiers with ``-m`` leaves nothing out. Under pytest-xdist, a module's tests stay on one worker
    (they share module fixtures: servers, built artifacts), and so do the modules that share the
    provisioner's wheel cache under .cache/ (pip must not download into it twice at once)."""
    tiers = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    wrong = [f"{item.nodeid}: {sorted(found) or 'none'}" for item in items
             if len(found := {mark.name for mark in item.iter_markers()} & tiers) != 1]
    if wrong:
        raise pytest.UsageError(f"each test needs exactly one tier marker of {sorted(tiers)} "
                                f"(pytestmark or a decorator):\n  " + "\n  ".join(wrong))
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            module = item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group("provisioner-wheels" if module in _WHEEL_CACHE_USERS else module))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # The costliest tiers first, the many small unit tests last: the workers then end together
        # instead of one finishing a long module alone.
        def rank(item: pytest.Item) -> int:
            tier = next(mark.name for mark in item.iter_markers() if mark.name in tiers)
            return _HEAVY_FIRST.index(tier) if tier in _HEAVY_FIRST else -1

        items.sort(key=rank)


_WHEEL_CACHE_USERS = {"tests/test_provisioner_artifact.py", "tests/test_provisioner_handler.py",
                      "tests/test_stage_script.py"}
_HEAVY_FIRST = ("aws_cli", "lifecycle", "cli", "scanners", "servers", "properties", "golden", "unit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under RDS_PROXY_CFN_REQUIRE_TOOLS=1 (scripts/test), a skip for a missing tool is a failure."""
    report = yield
    if REQUIRE_TOOLS and report.skipped and MISSING_TOOL in str(report.longrepr):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"{reason}\nRDS_PROXY_CFN_REQUIRE_TOOLS=1 (scripts/test): every tier must run, "
                           "so a missing tool fails the run")
    return report
