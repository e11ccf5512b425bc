"""docs/updates.md's key table is what the change analysis says about the examples (never hand-edited)."""

from __future__ import annotations

import pytest

from conftest import PARAMS, ROOT
from templates_src.docgen import key_table as keytable
from templates_src.impact.variants import key_paths, shown

pytestmark = pytest.mark.lifecycle


def test_the_readme_key_table_is_current() -> None:
    readme = (ROOT / "docs" / "updates.md").read_text(encoding="utf-8")
    expected = keytable.with_table(readme, keytable.table(keytable.examples(PARAMS)))
    assert readme == expected, "the key table is stale: python -m templates_src.docgen.key_table --write docs/updates.md"


def test_the_table_has_a_row_per_params_key() -> None:
    readme = (ROOT / "docs" / "updates.md").read_text(encoding="utf-8")
    section = readme[readme.index(keytable.BEGIN):readme.index(keytable.END)]
    rows = [line.split("|")[1].strip().strip("`") for line in section.splitlines() if line.startswith("| `")]
    assert rows == [shown(p) for p in key_paths()]


def test_with_table_needs_the_markers() -> None:
    with pytest.raises(ValueError):
        keytable.with_table("no markers here", "| table |\n")
    marked = f"a\n{keytable.BEGIN}\nold\n{keytable.END}\nb\n"
    assert keytable.with_table(marked, "new\n") == f"a\n{keytable.BEGIN}\nnew\n{keytable.END}\nb\n"
