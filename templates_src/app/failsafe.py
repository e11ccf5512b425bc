"""The command line's last walls: folders that would destroy their own input, and an exception
nobody expected, which is still one line and exit 2, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..config.rules.text import printable

EXIT_BAD_INPUT = 2
F = TypeVar("F", bound=Callable[..., int])


def params_inside_out(params_dir: Path, out_dir: Path) -> bool:
    """Whether the params folder is the out folder or inside it: a build replaces the out folder
    whole (emit.write_tree swaps in a new one), which would delete the params it was built from."""
    params, out = Path(os.path.realpath(params_dir)), Path(os.path.realpath(out_dir))
    return params == out or out in params.parents


def one_line_errors(main: F) -> F:
    """``main`` with any unexpected exception printed as one line on stderr, exit status 2 (the
    inputs are what made it happen; a traceback would only bury the name of the file)."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the whole point: nothing escapes as a traceback
            stderr = kwargs.get("stderr") or (args[2] if len(args) > 2 else sys.stderr)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            print(printable(f"build.py: error: {type(exc).__name__}{where}: {exc}; the build stopped "
                            "(please report this if the input looks right)"), file=stderr)
            return EXIT_BAD_INPUT

    return wrapper  # type: ignore[return-value]
