"""docs/params.md's key reference: every params key with its type, default and description, from
the JSON Schema that ``json_schema`` derives from the model (never written by hand).

``tests/test_params_reference.py`` fails when the page's table is not what this makes; refresh
it with

    python -m templates_src.docgen.params_reference --write docs/params.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from .markers import between, show_or_write
from ..config.schema.json_schema import params_schema

BEGIN = "<!-- begin: params reference (python -m templates_src.docgen.params_reference --write docs/params.md) -->"
END = "<!-- end: params reference -->"


def _cell(text: str) -> str:
    """Text as one Markdown table cell: pipes escaped, no line breaks."""
    return " ".join(text.split()).replace("|", "\\|")


def _shown(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


def _kind(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:  # an optional key: its type, or null (absent)
        kinds = [_kind(option) for option in schema["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds) + ", optional"
    if "enum" in schema:
        return "one of " + ", ".join(_shown(v) for v in schema["enum"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return "list of " + (_kind(schema.get("items", {})) or "values")
    if kind == "integer" and ("minimum" in schema or "maximum" in schema):
        return f"integer {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    if kind == "number" and "multipleOf" in schema:
        return f"number {schema.get('minimum', '')}..{schema.get('maximum', '')} in steps of {schema['multipleOf']}"
    if kind == "string" and "maxLength" in schema:
        return f"string, at most {schema['maxLength']} characters"
    return kind


def _rows(schema: dict[str, Any], prefix: str) -> Iterator[tuple[str, str, str, str]]:
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        default = _shown(sub["default"]) if "default" in sub else ""
        yield path, _kind(sub), default, sub.get("description", "")
        for option in [sub, *sub.get("anyOf", [])]:
            if option.get("type") == "object":
                yield from _rows(option, path + ".")
            items = option.get("items", {})
            if option.get("type") == "array" and items.get("type") == "object":
                yield from _rows(items, path + "[].")


def table() -> str:
    lines = ["| Key | Type | Default | What it is |", "|---|---|---|---|"]
    for path, kind, default, description in _rows(params_schema(), ""):
        lines.append(f"| `{path}` | {_cell(kind)} | {_cell(default)} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


def with_table(page: str, generated: str) -> str:
    """``page`` with the table between the markers replaced (ValueError without markers)."""
    return between(page, BEGIN, END, generated)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PAGE", help="replace the table between the markers in this file")
    return show_or_write(table(), parser.parse_args(argv).write, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
