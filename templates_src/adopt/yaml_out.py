"""The params file an import writes: block YAML of a small tree (mappings, lists, text, numbers,
booleans), a comment line above each value whose truth the describe output cannot vouch for.

Text is written plain only when YAML cannot read it as anything else; otherwise double-quoted
with JSON's escapes (a subset of YAML's), so a hostile value read from a describe file stays one
value on one line. The file is read back by the real loader before anything is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..config.errors import KeyPath

HEADER = """\
# yaml-language-server: $schema=../generated/params.schema.json
# Written by `rds-proxy-cfn import {env} --from {source}` from the AWS CLI's describe output of the
# proxy {proxy}. Lines marked CHECK are guesses; comments name what the describe output cannot know.
# Then: IMPORT.md in that folder (import the proxy into a stack, then deploy this environment).
"""
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:@+=-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS and not text.endswith(":"):
        return text
    return json.dumps(text, ensure_ascii=True)


def comment_line(text: str) -> str:
    """The import's own words (no describe value reaches a comment), kept to one printable line."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _comment(lines: list[str], indent: str, text: str | None) -> None:
    if text:
        lines.append(f"{indent}# {comment_line(text)}")


def dump(tree: dict[str, Any], comments: dict[KeyPath, str], header: str) -> str:
    """``comments``: by key path, a line above that key; for a top-level section the tree has not
    got (``("secrets",)``), a commented block at the end."""
    lines: list[str] = []

    def mapping(node: dict[str, Any], path: KeyPath, indent: str, first_prefix: str | None = None) -> None:
        for i, (key, value) in enumerate(node.items()):
            first = first_prefix is not None and i == 0
            prefix = first_prefix if first else indent
            here = (*path, key)
            _comment(lines, indent[:-2] if first else indent, comments.get(here))
            if isinstance(value, dict):
                lines.append(f"{prefix}{key}:")
                mapping(value, here, indent + "  ")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                lines.append(f"{prefix}{key}:")
                for j, item in enumerate(value):
                    mapping(item, (*here, j), indent + "    ", indent + "  - ")
            elif isinstance(value, list):
                lines.append(f"{prefix}{key}: [{', '.join(scalar(v) for v in value)}]")
            else:
                lines.append(f"{prefix}{key}: {scalar(value)}")

    mapping(tree, (), "")
    for path, text in comments.items():
        if len(path) == 1 and path[0] not in tree:
            lines.append(f"# {path[0]}:")
            lines.append(f"#   {comment_line(text)}")
    return header + "\n".join(lines) + "\n"
