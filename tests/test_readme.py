"""The README does what it says: its smallest params file builds, its links lead somewhere, and
it stays a first hour's read."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, run_build

pytestmark = pytest.mark.cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_smallest_params_file_builds_lint_clean(tmp_path):
    section = README[README.index("## The smallest params file"):README.index("## The loop")]
    [text] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "orders.yaml").write_text(text)
    built = run_build(cwd=tmp_path)
    assert built.code == 0, built.err
    assert "warning:" not in built.err
    assert (tmp_path / "generated" / "orders" / "rds-proxy.yaml").is_file()


def test_every_relative_link_of_the_readme_and_the_docs_leads_to_a_file():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"


def test_the_readme_is_a_short_read_with_the_loop_on_its_first_screen():
    assert len(README.split()) < 2000
    first_screen = "\n".join(README.splitlines()[:50])
    assert "## The smallest params file" in first_screen and "5. **Commit**" in first_screen
