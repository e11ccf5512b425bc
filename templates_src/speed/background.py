"""A function computed in a forked child while this process goes on (``Background``).

Light on purpose (gc, os, pickle, signal): the program starts one before it imports the build
(``program``), and the build another for the Service Catalog product (``product``).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any


def reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


class Background:
    """``fn()`` computed in a forked child while this process goes on; ``result()`` waits for it.

    Speed only: without fork, or when the child fails to deliver, ``result()`` calls ``fn`` here
    (so an error surfaces here, with its traceback). The result must pickle. Started early, the
    child has little memory to copy. The child runs no cyclic garbage collector: it computes one
    value and leaves, and a full collection would scan every object it inherited (the Service
    Catalog product spent ~10% of its time there).
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn
        self._child: tuple[int, int] | None = None
        if not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: compute, send, and leave without running the parent's cleanup
            code = 0
            try:
                os.close(read)
                gc.disable()
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
            except BaseException:  # noqa: BLE001 - result() computes it again here and reports
                code = 1
            os._exit(code)
        os.close(write)
        self._child = (pid, read)

    def result(self) -> Any:
        if self._child is None:
            return self._fn()
        pid, read = self._child
        self._child = None
        try:
            with os.fdopen(read, "rb") as pipe:
                value = pickle.load(pipe)
        except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            value = None
            failed = True
        else:
            failed = False
        reap(pid)
        return self._fn() if failed else value

    def cancel(self) -> None:
        """Stop the child (when the build ends before it needs the result)."""
        if self._child is None:
            return
        pid, read = self._child
        self._child = None
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        reap(pid)
