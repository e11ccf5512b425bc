"""The package's shape: few modules at its top, no long module, short functions in the build's
pipeline and the machinery it drives (read from the source with ``ast``, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "templates_src"
MAX_TOP_LEVEL_MODULES = 15
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50  # from the def line to the last, decorators left out
# The pipeline (app) and what it drives: the speed machinery and the output.
SHORT_FUNCTION_PACKAGES = ("app", "speed", "output")
# Each subpackage on its own (provisioner/runtime's modules are provisioner's), and "." for the
# modules at the top.
PARTS = [".", *sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")
                      and any(p.rglob("*.py")))]


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _function_lengths(path: Path) -> list[tuple[int, str, int]]:
    """(line, name, length in lines) of every function and method of the module, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted((node.lineno, node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def test_few_modules_at_the_top_of_the_package() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("part", PARTS)
def test_no_module_is_long(part: str) -> None:
    modules = sorted(PACKAGE.glob("*.py") if part == "." else (PACKAGE / part).rglob("*.py"))
    assert modules
    long = [f"{_relative(path)} ({lines} lines)" for path in modules if (lines := _lines(path)) > MAX_MODULE_LINES]
    assert not long, f"over {MAX_MODULE_LINES} lines: {long}"


@pytest.mark.parametrize("package", SHORT_FUNCTION_PACKAGES)
def test_no_function_is_long_in_the_pipeline_and_what_it_drives(package: str) -> None:
    modules = sorted((PACKAGE / package).rglob("*.py"))
    assert modules
    long = [f"{_relative(path)}:{line} {name} ({lines} lines)"
            for path in modules for line, name, lines in _function_lengths(path) if lines > MAX_FUNCTION_LINES]
    assert not long, f"over {MAX_FUNCTION_LINES} lines: {long}"


def _function(name: str, lines: int, indent: str = "") -> str:
    """The source of a function exactly ``lines`` lines long."""
    return f"{indent}def {name}():\n" + "".join(f"{indent}    x{i} = {i}\n" for i in range(lines - 1))


def test_a_function_is_measured_without_its_decorators_and_with_what_it_nests(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("@decorated\n" + _function("at_the_limit", MAX_FUNCTION_LINES)
                      + "class C:\n" + _function("method", MAX_FUNCTION_LINES + 1, "    ")
                      + "def outer():\n" + _function("inner", MAX_FUNCTION_LINES + 1, "    ") + "    return inner\n")
    assert [(name, lines) for _, name, lines in _function_lengths(source)] == [
        ("at_the_limit", MAX_FUNCTION_LINES), ("method", MAX_FUNCTION_LINES + 1),
        ("outer", MAX_FUNCTION_LINES + 3), ("inner", MAX_FUNCTION_LINES + 1)]
