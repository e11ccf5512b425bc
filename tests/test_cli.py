"""build.py as a user drives it: which files appear, --check, --out/--params, exit codes, determinism."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from templates_src.checks import lint as checks
from templates_src.facts.paths import MARKER_FILE

from conftest import GENERATED, PARAMS, ROOT, count_jinja_compiles, run_build, run_main, snapshot

ENVS = sorted(p.stem for p in PARAMS.glob("*.yaml") if not p.name.startswith("_"))
ENV_FILES = ("rds-proxy.yaml", "parameters.json", "template-configuration.json")


def _siblings(folder: Path) -> list[str]:
    """Everything beside a folder (scratch folders a build must not leave behind)."""
    return sorted(p.name for p in folder.parent.iterdir())


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """An out folder holding a complete build of every environment."""
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 0, result.err
    return out


@pytest.mark.cli
def test_build_all_writes_every_env_and_the_marker(built: Path) -> None:
    assert len(ENVS) >= 2
    tree = snapshot(built)
    required = {f"{env}/{name}" for env in ENVS for name in ENV_FILES} | {MARKER_FILE}
    assert required <= set(tree)
    assert {path for path in tree if "/" not in path} == {MARKER_FILE, "params.schema.json"}  # nothing else
    assert {path.split("/")[0] for path in tree if "/" in path} == {*ENVS, "service-catalog"}
    assert all(tree.values())  # no empty file
    assert _siblings(built) == ["out"]  # no scratch folder left beside it


@pytest.mark.cli
def test_build_prints_one_line_per_env(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 0
    assert [line.split(":", 1)[0] for line in result.out.splitlines() if not line.startswith(("note: ", "budget "))] == ENVS
    assert result.err == ""


@pytest.mark.cli
def test_build_one_env_replaces_only_that_env(built: Path, params_copy: Path) -> None:
    # Tamper with another env's file: a build of `dev` must carry it over as it is, not rebuild it.
    other = next(env for env in ENVS if env != "dev")
    tampered = built / other / "rds-proxy.yaml"
    tampered.write_bytes(b"# hand edit that only a full build would undo\n")
    before = snapshot(built)
    dev_params = params_copy / "dev.yaml"
    dev_params.write_text(dev_params.read_text().replace("log_retention_days: 14", "log_retention_days: 30"))

    result = run_main("--no-lint", "dev", "--params", str(params_copy), "--out", str(built))

    assert result.code == 0, result.err
    assert result.out.startswith("dev: ") and len(result.out.splitlines()) == 3
    assert result.out.splitlines()[1].startswith("budget instance orders-dev-db (eu-west-1): dev 50%")
    # dev makes its users with create-db-users.sh: the product, which always has the provisioner, does not take it
    assert result.out.splitlines()[2].startswith("note: ") and "provisioner:" in result.out.splitlines()[2]
    after = snapshot(built)
    assert set(after) == set(before)
    changed = {path for path in after if after[path] != before[path]}
    assert changed and all(path.startswith("dev/") for path in changed)
    assert b"RetentionInDays: 30" in after["dev/rds-proxy.yaml"]
    assert after["dev/rds-proxy.yaml"] != before["dev/rds-proxy.yaml"]
    assert after[f"{other}/rds-proxy.yaml"] == b"# hand edit that only a full build would undo\n"
    assert _siblings(built) == ["out", "params"]


@pytest.mark.cli
def test_check_passes_on_current_output(built: Path) -> None:
    before = snapshot(built)
    result = run_main("--no-lint", "--check", "--params", str(PARAMS), "--out", str(built))
    assert result.code == 0, result.err
    assert "up to date" in result.out
    assert snapshot(built) == before


@pytest.mark.cli
def test_check_names_stale_missing_and_unexpected_files_and_writes_nothing(built: Path) -> None:
    (built / "dev" / "rds-proxy.yaml").write_bytes((built / "dev" / "rds-proxy.yaml").read_bytes() + b"# edit\n")
    (built / "staging" / "parameters.json").unlink()
    (built / "retired-env").mkdir()
    (built / "retired-env" / "rds-proxy.yaml").write_text("old\n")
    before, beside = snapshot(built), _siblings(built)

    result = run_main("--no-lint", "--check", "--params", str(PARAMS), "--out", str(built))

    assert result.code == 1
    lines = result.err.splitlines()
    assert f"{built}/dev/rds-proxy.yaml (stale)" in lines
    assert f"{built}/staging/parameters.json (missing)" in lines
    assert f"{built}/retired-env/rds-proxy.yaml (not produced by this build)" in lines
    assert len(lines) == 4 and "3 file(s) out of date" in lines[-1]
    assert result.out == ""
    assert snapshot(built) == before and _siblings(built) == beside


@pytest.mark.cli
def test_check_of_one_env_ignores_the_others(built: Path) -> None:
    (built / "staging" / "parameters.json").unlink()
    result = run_main("--no-lint", "--check", "dev", "--params", str(PARAMS), "--out", str(built))
    assert result.code == 0, result.err
    result = run_main("--no-lint", "--check", "staging", "--params", str(PARAMS), "--out", str(built))
    assert result.code == 1 and "staging/parameters.json (missing)" in result.err


@pytest.mark.cli
def test_check_of_one_env_compares_the_shared_files(built: Path) -> None:
    # Files outside the env folders (such as the params schema) are rewritten by a build of one
    # environment too, so its check compares them.
    shared = [path for path in snapshot(built) if "/" not in path and path != MARKER_FILE]
    if not shared:
        pytest.skip("this build has no shared files")
    for name in shared:
        (built / name).write_text("edited\n")
    result = run_main("--no-lint", "--check", "dev", "--params", str(PARAMS), "--out", str(built))
    assert result.code == 1
    assert result.err.splitlines()[:-1] == [f"{built}/{name} (stale)" for name in sorted(shared)]


@pytest.mark.cli
def test_check_of_a_missing_out_folder_fails_and_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "nothing-here" / "out"
    result = run_main("--no-lint", "--check", "--params", str(PARAMS), "--out", str(out))
    assert result.code == 1
    assert f"{out}/{MARKER_FILE} (missing)" in result.err.splitlines()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.cli
def test_out_elsewhere_and_params_elsewhere_relative_to_cwd(tmp_path: Path, params_copy: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from another folder (holding a copy of the params) with relative paths: --params defaults
    # to that copy, and the output is the same byte for byte in any folder run the same way (the
    # files name the params and out folders as given: the reference is built with the same ones).
    other = tmp_path / "other"
    shutil.copytree(params_copy, other / "params")
    assert run_build("--no-lint", "--params", "params", "--out", "elsewhere/generated", cwd=other).code == 0
    monkeypatch.chdir(tmp_path)
    result = run_main("--no-lint", "--out", "elsewhere/generated")
    assert result.code == 0, result.err
    assert snapshot(tmp_path / "elsewhere" / "generated") == snapshot(other / "elsewhere" / "generated")
    assert "elsewhere/generated/dev/" in result.out


@pytest.mark.cli
def test_params_elsewhere_are_the_ones_used(tmp_path: Path, params_copy: Path) -> None:
    dev = params_copy / "dev.yaml"
    dev.write_text(dev.read_text().replace("orders-dev-db", "other-dev-db"))
    out = tmp_path / "out"
    result = run_main("--no-lint", "--params", str(params_copy), "--out", str(out))
    assert result.code == 0, result.err
    assert b"- other-dev-db" in (out / "dev" / "rds-proxy.yaml").read_bytes()


@pytest.mark.cli
def test_unknown_env_exits_2_and_writes_nothing(built: Path) -> None:
    before = snapshot(built)
    result = run_main("--no-lint", "dev", "nope", "--params", str(PARAMS), "--out", str(built))
    assert result.code == 2
    assert "no such environment 'nope'" in result.err
    assert "nothing was written" in result.err
    assert snapshot(built) == before and _siblings(built) == ["out"]


@pytest.mark.cli
def test_bad_argument_exits_2_with_one_line() -> None:
    result = run_build("--no-such-flag")
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("build.py: error: ")
    assert "--no-such-flag" in result.err and "Traceback" not in result.err
    assert result.out == ""


@pytest.mark.cli
def test_lint_failure_writes_nothing(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finding = checks.Finding("x/dev/rds-proxy.yaml", 3, "E9999", "error", "provoked by the test")
    monkeypatch.setattr(checks, "lint", lambda jobs: [finding])
    before = snapshot(built)
    fresh = tmp_path / "fresh"

    for out in (built, fresh):
        result = run_main("--params", str(PARAMS), "--out", str(out))
        assert result.code == 1
        assert "x/dev/rds-proxy.yaml:3: E9999: provoked by the test" in result.err
        assert "nothing was written" in result.err

    assert snapshot(built) == before
    assert not fresh.exists()
    assert _siblings(built) == ["out"]


@pytest.mark.cli
def test_lint_failure_of_one_env_blocks_every_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def lint(jobs):
        jobs = [job for job in jobs if job.policies]  # the envs' (not the Service Catalog product's)
        assert {job.region for job in jobs} and len(jobs) == len(ENVS)
        return [checks.Finding(jobs[-1].file, 1, "W9999", "warning", "only the last env")]

    monkeypatch.setattr(checks, "lint", lint)
    out = tmp_path / "out"
    assert run_main("--params", str(PARAMS), "--out", str(out)).code == 1
    assert not out.exists()


@pytest.mark.golden
def test_real_lint_passes_in_a_subprocess(tmp_path: Path) -> None:
    # A fresh lint cache, so cfn-lint really runs on every template: the user's params (params/,
    # whatever it holds) give the committed generated/. Built in another folder with the default
    # folder names, since the guides name the folders they were built from.
    shutil.copytree(ROOT / "params", tmp_path / "params")
    result = run_build(cwd=tmp_path, env={"RDS_PROXY_CFN_CACHE_DIR": str(tmp_path / "cache")})
    assert result.code == 0, result.err
    assert snapshot(tmp_path / "generated") == snapshot(GENERATED)


@pytest.mark.cli
def test_two_builds_give_identical_bytes(built: Path) -> None:
    # Into the same folder name (the guides name it): once afresh, once over the existing output.
    first = snapshot(built)
    shutil.rmtree(built)
    assert run_main("--no-lint", "--params", str(PARAMS), "--out", str(built)).code == 0
    assert snapshot(built) == first
    assert run_main("--no-lint", "--params", str(PARAMS), "--out", str(built)).code == 0
    assert snapshot(built) == first


@pytest.mark.cli
def test_output_does_not_depend_on_hash_seed_locale_or_environment(tmp_path: Path, params_copy: Path) -> None:
    # The reference is built in its own folder with the same relative --out as the runs below,
    # since the guides name the out folder.
    reference = tmp_path / "reference"
    shutil.copytree(params_copy, reference / "params")
    assert run_build("--no-lint", "--params", "params", "--out", "out", cwd=reference).code == 0
    unedited = reference / "out"
    # Non-ASCII text in the params, so an encoding taken from the locale would show.
    dev = params_copy / "dev.yaml"
    dev.write_text(dev.read_text(encoding="utf-8").replace("Schema migrations (DDL)", "Schéma migrations — DDL"),
                   encoding="utf-8")
    trees = []
    # cfn-flip reads its line width from $CFN_MAX_COL_WIDTH: the build must not.
    for seed, locale, extra in (("0", "C", {}), ("12345", "C.UTF-8", {"CFN_MAX_COL_WIDTH": "40"})):
        # One out folder name for both (the guides name it); no cache, so each run renders afresh.
        result = run_build("--no-lint", "--no-cache", "--params", "params", "--out", "out", cwd=tmp_path,
                           env={"PYTHONHASHSEED": seed, "LC_ALL": locale, "LANG": locale, "PYTHONUTF8": "0", **extra})
        assert result.code == 0, result.err
        trees.append(snapshot(tmp_path / "out"))
        shutil.rmtree(tmp_path / "out")
    assert trees[0] == trees[1]
    assert "Description: Schéma migrations — DDL\n".encode() in trees[0]["dev/rds-proxy.yaml"]
    # Everything but the edited env equals the build of the unedited params.
    committed = snapshot(unedited)
    assert {k: v for k, v in trees[0].items() if not k.startswith("dev/")} == \
        {k: v for k, v in committed.items() if not k.startswith("dev/")}


@pytest.mark.golden
def test_committed_generated_is_current() -> None:
    """The golden test: the committed generated/ is exactly what the params produce, lint included."""
    result = run_build("--check", cwd=ROOT)
    assert result.code == 0, result.err
    assert "generated is up to date" in result.out


@pytest.mark.cli
def test_the_console_command_is_build_py(tmp_path: Path) -> None:
    """``pip install`` puts ``rds-proxy-cfn`` beside the interpreter: same options, same output,
    its own name in its messages."""
    command = Path(sys.executable).parent / "rds-proxy-cfn"
    assert command.is_file(), "pip install -e . makes the console command (pyproject.toml [project.scripts])"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(command), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)

    shutil.copytree(PARAMS, tmp_path / "params")
    shutil.copytree(PARAMS, tmp_path / "py" / "params")
    built = run("--no-lint", "--out", "by-command")
    assert built.returncode == 0, built.stderr
    # The same relative --out from another folder (the guides name the out folder as given).
    assert run_build("--no-lint", "--out", "by-command", cwd=tmp_path / "py").code == 0
    assert snapshot(tmp_path / "by-command") == snapshot(tmp_path / "py" / "by-command")
    checked = run("--check", "--no-lint", "--out", "by-command")
    assert (checked.returncode, checked.stdout.strip()) == (0, f"by-command is up to date ({len(ENVS)} environment(s))")
    usage = run("--help")
    assert usage.returncode == 0 and usage.stdout.startswith("usage: rds-proxy-cfn [-h]")
    for option in ("--params", "--out", "--check", "--diff", "--no-lint", "--no-cache", "--policies", "--jobs"):
        assert option in usage.stdout
    wrong = run("--no-such-flag")
    assert wrong.returncode == 2 and wrong.stderr.startswith("rds-proxy-cfn: error: ")
    assert "(see rds-proxy-cfn --help)" in wrong.stderr


@pytest.mark.cli
@pytest.mark.parametrize("lint", [False, True])
def test_a_stack_set_the_product_cannot_launch_exits_2_and_writes_nothing(built: Path, params_copy: Path,
                                                                          lint: bool) -> None:
    """The product is the stack set's member template: without the product's waivers
    (params/_product.yaml) its instances could not turn TLS and IAM auth off. Found with or without lint (with
    --no-lint only once the product, built in the background, has arrived), before anything is
    written."""
    staging = params_copy / "staging.yaml"
    text = staging.read_text()
    text = text.replace("  log_retention_days: 30\n",
                        "  log_retention_days: 30\n  require_tls: false\n  iam_auth: DISABLED\n")
    text = text.replace("waivers:\n", 'waivers:\n  require_tls: "legacy clients, TEST-3"\n'
                                       '  iam_auth: "legacy clients, TEST-3"\n')
    staging.write_text(text)
    before = snapshot(built)
    args = ["--no-cache", "--params", str(params_copy), "--out", str(built)]
    result = run_main(*args) if lint else run_main("--no-lint", *args)
    assert result.code == 2, result.err
    assert "(a stack set's member template is the product)" in result.err and "waivers.require_tls" in result.err
    assert snapshot(built) == before


@pytest.mark.cli
def test_the_program_compiles_the_templates_in_a_child_and_freezes_before_exit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """program.run (build.py, the console command): a child compiles the jinja templates while
    the build is imported, so this process compiles none; and what is left is frozen so that
    Python's shutdown does not scan it. The files are those of an in-process build."""
    import gc

    from templates_src.app import program
    from templates_src.render import files as render
    from templates_src.speed import workers

    render._jinja.cache_clear()
    frozen: list[bool] = []
    compiled = count_jinja_compiles(monkeypatch)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    # In-process renders, however many envs PARAMS holds (forking render workers freezes too).
    monkeypatch.setattr(workers, "PARALLEL_RENDER_MIN_ENVS", 10**6)
    monkeypatch.setattr(sys, "argv", ["build.py", "--no-lint", "--no-cache", "--params", str(PARAMS),
                                      "--out", str(tmp_path / "out")])
    try:
        with pytest.raises(SystemExit) as exit_:
            program.run()
        assert exit_.value.code == 0
        assert compiled == [] and frozen == [True]
    finally:
        render._jinja.cache_clear()
    monkeypatch.undo()
    by_program = snapshot(tmp_path / "out")
    shutil.rmtree(tmp_path / "out")
    assert run_main("--no-lint", "--params", str(PARAMS), "--out", str(tmp_path / "out")).code == 0
    assert snapshot(tmp_path / "out") == by_program


@pytest.mark.cli
def test_help_names_the_other_commands_and_each_answers_its_own_help():
    shown = run_build("--help")
    assert shown.code == 0
    text = " ".join(shown.out.split())
    assert "import ENV --from DIR" in text and "status ENV" in text and "artifact" in text
    for command in ("import", "status", "artifact"):
        own = run_build(command, "--help")
        assert own.code == 0 and "usage:" in own.out, (command, own.err)
