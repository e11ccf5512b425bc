"""The program: what ``python build.py`` and the ``rds-proxy-cfn`` command run.

Kept apart from ``cli`` so that it can start work before the build's modules are imported:
importing them takes ~150 ms on one core, and compiling the jinja templates, which needs
jinja2 alone, ~70 ms more; a forked child compiles them meanwhile (``jinja_env.compile_all``)
and hands them to the build (benchmarks/README.md, (e)).
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

from ..speed.background import Background


def _compiled_templates() -> dict[str, bytes]:
    from ..render import jinja_env  # in the child: jinja2 is imported there too

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
