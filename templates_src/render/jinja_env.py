"""The jinja environment the guides and scripts are rendered with, and its compiled templates.

A module of its own that imports only jinja2 and the filters: the program compiles the
templates in a forked child while it imports the rest of the build (``program``; compiling all
of them takes ~70 ms, importing the build ~150 ms on one core, benchmarks/README.md). Compiled
templates travel as jinja's bytecode cache stores them (``Bucket.bytecode_to_string``: a digest
of the source and the Python version come with the code), so a stale or foreign entry is
compiled again, never used.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import jinja2
import jinja2.bccache

from ..facts import paths
from .escaping import comment_text, markdown_text

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,  # a typo in a .j2 file fails the build, not the reader
        keep_trailing_newline=True,
        autoescape=False,  # Markdown and shell, not HTML
    )
    env.filters["shell"] = shlex.quote
    env.filters["comment"] = comment_text  # params-derived text in a header comment
    env.filters["markdown"] = markdown_text  # free text in DEPLOY.md
    # The folders this build was given (--out, --params), in every path and rebuild command.
    env.globals.update(out_path=paths.out_path, shared_path=paths.shared_path, build_command=paths.build_command)
    return env


@cache
def environment() -> jinja2.Environment:
    """The one environment of this process (its templates are compiled once)."""
    return _environment()


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates by bucket key, in memory: those another process compiled
    (``compile_all``) are read, those compiled here added. Speed only: jinja checks the digest of
    the template's source and the Python version that come with each entry, and compiles any
    template whose entry is missing or does not match."""

    def __init__(self, compiled: Mapping[str, bytes] | None = None) -> None:
        self.compiled = dict(compiled or {})

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (data := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def compile_all() -> dict[str, bytes]:
    """Every template of the templates folder compiled, for ``TemplateCache(compiled=...)``, in
    an environment of its own (this process's ``environment()`` is left as it was)."""
    env = _environment()
    env.bytecode_cache = kept = TemplateCache()
    for name in sorted(env.list_templates(extensions=["j2"])):
        env.get_template(name)
    return kept.compiled
