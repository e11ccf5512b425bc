"""The program: what ``python build.py`` and the ``rds-proxy-cfn`` command run.

Kept apart from ``cli`` so that it can start work before the build's modules are imported:
importing them takes ~150 ms on one core, and compiling the jinja templates, which needs
jinja2 alone, ~70 ms more; a forked child compiles them meanwhile (``jinja_env.compile_all``)
and hands them to the build (benchmarks/README.md, (e)). jinja2 is imported here, before the
fork: the build imports it anyway, and the child then inherits it instead of importing it again
(~60 ms of a core; it still finishes compiling about when the build's modules are imported).
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

from ..render import jinja_env
from ..speed.background import Background


def _compiled_templates() -> dict[str, bytes]:
    return jinja_env.compile_all()


def run() -> NoReturn:
    templates = Background(_compiled_templates)
    try:
        from .cli import main  # the build's modules, while the child compiles

        code = main(templates=templates.result)
    finally:
        templates.cancel()  # the build ended before it needed them: stop the child
    # Python's shutdown runs the cyclic collector over everything still alive (every env's
    # config, template and files: ~30 ms of a 30-env build); frozen objects are never scanned,
    # and exit frees the memory all the same.
    gc.freeze()
    sys.exit(code)
