"""docs/updates.md's table of params keys: what changing each one does on a live stack.

Generated, never written by hand: for every key of the schema (``variants.key_paths``) and every
example environment, the key gets another valid value (``variants.variant``), both templates are
built and compared with the change analysis. ``tests/impact/test_keytable.py`` fails when the
page's table is not what this makes; refresh it with

    python -m templates_src.docgen.key_table --write docs/updates.md
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import load_environments
from ..config.schema.model import EnvConfig
from .markers import between, show_or_write
from ..builders.stack import build_template
from ..impact.analysis import OUTPUT_TYPE, Action, analyse
from ..impact.template import Template
from ..impact.variants import KeyPath, key_paths, raw_tree, shown, variant

BEGIN = "<!-- begin: params key table (python -m templates_src.docgen.key_table --write docs/updates.md) -->"
END = "<!-- end: params key table -->"
# Keys that name the stack itself: a new value deploys a new stack, not an update of this one.
NEW_STACK = {("region",): "another region: a new stack there (the old one stays as it is)",
             ("stack_name",): "another stack: deploying creates it beside the old one, whose fixed names "
                              "(proxy, log group, alias, exports) it then collides with"}
# Keys whose effect is on the build, not the stack.
ON_THE_BUILD = {("example",): "no change to the stack (Metadata only); true makes the next build take this output "
                              "for nobody's stack (no hazards), so never on a deployed env"}
_VERBS = ((Action.REPLACE, "replaces"), (Action.MODIFY, "modifies"), (Action.ADD, "adds"), (Action.REMOVE, "removes"))


def _short(type_name: str) -> str:
    return type_name.rsplit("::", 1)[-1]


Example = tuple[EnvConfig, dict[str, Any]]  # a config and the params tree it was loaded from


def examples(params_dir: Path) -> list[Example]:
    return [(cfg, raw_tree(params_dir, cfg.env)) for cfg in load_environments(params_dir, params_dir.name)]


def key_effect(path: KeyPath, configs: Sequence[Example]) -> tuple[str, str]:
    """(what changing the key does, the hazards), over the environments where it can change alone."""
    if path in NEW_STACK or path in ON_THE_BUILD:
        return {**NEW_STACK, **ON_THE_BUILD}[path], ""
    touched: dict[Action, set[str]] = {action: set() for action, _ in _VERBS}
    hazards: set[str] = set()
    tried = 0
    for cfg, tree in configs:
        found = variant(cfg, path, tree)
        if found is None:
            continue
        tried += 1
        old = Template.from_tree(build_template(cfg).to_dict())
        new = Template.from_tree(build_template(found[1]).to_dict())
        for change in analyse(old, new, cfg.region).changes:
            hazards.update(change.hazards)
            if change.type != OUTPUT_TYPE:
                touched[change.action].add(_short(change.type))
    if not tried:
        return "not changed alone in the examples (it goes with other keys)", ""
    parts = [f"{verb} {', '.join(sorted(touched[action]))}" for action, verb in _VERBS if touched[action]]
    return ("; ".join(parts) if parts else "no change to the stack (other files only)"), ", ".join(sorted(hazards))


def table(configs: Sequence[Example]) -> str:
    lines = ["| key | changing it on a live stack | hazards |", "|---|---|---|"]
    for path in key_paths():
        effect, hazards = key_effect(path, configs)
        lines.append(f"| `{shown(path)}` | {effect} | {hazards or '-'} |")
    return "\n".join(lines) + "\n"


def with_table(page: str, generated: str) -> str:
    """``page`` with the table between the markers replaced (ValueError without markers)."""
    return between(page, BEGIN, END, generated)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params", help="the example params folder (default: params)")
    parser.add_argument("--write", metavar="PAGE", help="replace the table between the markers in this file")
    args = parser.parse_args(argv)
    return show_or_write(table(examples(Path(args.params))), args.write, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
