"""Data flows one way: no package of templates_src imports from a later stage (ARCHITECTURE.md).

Each package has a rank; a module may import from its own rank or an earlier one. Imports under
``if TYPE_CHECKING:`` are annotations only and do not count. The few imports that go the other
way on purpose are listed in ``ALLOWED`` with the reason, so a new one is a decision, not an
accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "templates_src"
# The stages in order (ARCHITECTURE.md, "The stages"). Same rank: may import each other.
RANKS = {
    "facts": 0,
    "config": 1,
    "builders": 2, "dbusers": 2, "provisioner": 2,  # what a stack is made of
    "render": 3,
    "checks": 4, "impact": 4,
    "output": 5,
    "catalog": 6, "stacksets": 6,  # the products made of the same builders
    "speed": 7,
    "app": 8, "adopt": 8, "status": 8, "docgen": 8,  # entry points
}
# (importing package, imported module) -> why it may look ahead.
ALLOWED = {
    ("dbusers", "templates_src.render.jinja_env"):
        "db-users.sql is rendered once, for the reviewer and for the provisioner's custom resource; "
        "jinja_env imports only jinja2 and the escaping filters",
}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "templates_src" else None


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module) of every templates_src import of a module, annotations excepted."""
    relative = path.relative_to(root).with_suffix("").parts
    package = list(relative[:-1]) if relative[-1] != "__init__" else list(relative[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.lineno in skipped:
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
        else:
            base = (node.module or "").split(".")
        if base[0] != "templates_src":
            continue
        if len(base) == 1:  # from templates_src import catalog, __version__
            found += [(node.lineno, f"templates_src.{alias.name}") for alias in node.names]
        else:
            found += [(node.lineno, ".".join(base + [alias.name]) if len(base) == 2 else ".".join(base))
                      for alias in node.names]
    return list(dict.fromkeys(found))


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "runtime" not in p.relative_to(PACKAGE).parts)


def test_every_package_has_a_stage() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages == set(RANKS)


def test_no_module_imports_from_a_later_stage() -> None:
    backwards = []
    for path in _modules():
        own = path.relative_to(PACKAGE).parts[0]
        if own not in RANKS:
            continue  # templates_src/__init__.py
        for line, module in imports(path):
            target = _package_of(module)
            if target is None or target not in RANKS or RANKS[target] <= RANKS[own]:
                continue
            if any(own == package and module.startswith(allowed) for package, allowed in ALLOWED):
                continue
            backwards.append(f"{path.relative_to(ROOT)}:{line}: {own} (stage {RANKS[own]}) imports {module} "
                             f"(stage {RANKS[target]})")
    assert not backwards, "\n".join(backwards)


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """The walker resolves relative imports, so a config module importing a builder is caught."""
    module = tmp_path / "templates_src" / "config" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..builders import names\nfrom .derive import resolve\nfrom typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from ..render import files\n", encoding="utf-8")
    assert imports(module, tmp_path) == [(1, "templates_src.builders.names"), (2, "templates_src.config.derive")]
