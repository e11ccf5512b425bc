"""docs/params.md's key reference is what the schema says (never hand-edited), and lists every key."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from templates_src.docgen import params_reference as reference
from templates_src.config.schema.json_schema import params_schema
from templates_src.docgen.params_reference import BEGIN, END, table, with_table

PAGE = ROOT / "docs" / "params.md"
pytestmark = pytest.mark.unit


def test_the_reference_on_the_page_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == with_table(page, table()), \
        "the params reference is stale: python -m templates_src.docgen.params_reference --write docs/params.md"


def test_every_key_of_the_schema_has_a_row_with_its_default() -> None:
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", table(), re.M)}

    def walk(schema: dict, prefix: str) -> None:
        for name, sub in schema.get("properties", {}).items():
            path = prefix + name
            assert path in rows, path
            default = rows[path].split(" | ")[2]
            assert default == (reference._cell(reference._shown(sub["default"])) if "default" in sub else ""), path
            for option in [sub, *sub.get("anyOf", [])]:
                if option.get("type") == "object":
                    walk(option, path + ".")
                if option.get("type") == "array" and option.get("items", {}).get("type") == "object":
                    walk(option["items"], path + "[].")

    walk(params_schema(), "")
    assert {"proxy.name", "users[].username", "provisioner.admin_secret_arn", "stack_set.instances[].regions",
            "example"} <= set(rows)


def test_a_pipe_in_a_description_stays_inside_its_cell() -> None:
    assert reference._cell("a | b\nc") == "a \\| b c"
    assert BEGIN in PAGE.read_text(encoding="utf-8") and END in PAGE.read_text(encoding="utf-8")
