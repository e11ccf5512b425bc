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
    from templates_src.cli import build_files

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
    from templates_src.cli import build_files

    return build_files(list(owned_configs().values()))


@functools.cache
def example_template_text(env: str) -> str:
    """An example environment's template as the build writes it, built in memory."""
    from templates_src.render import template_yaml
    from templates_src.stack import build_template

    cfg = example_configs()[env]
    return template_yaml(cfg, build_template(cfg))


NO_ENGINE = "no CloudFormation Guard engine here (cfn-guard-rs not importable, no cfn-guard 3 on PATH)"


def with_each_engine(test):
    """Run a test once with each Guard engine installed here (cfn-guard-rs, cfn-guard 3 on PATH);
    skipped, saying why, where there is none (scripts/test runs the suite where there is)."""
    from templates_src.policies import available_engines

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

    from templates_src.cli import main

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
