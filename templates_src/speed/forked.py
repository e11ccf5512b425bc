"""Forked children that work on a share of a job and pickle their results back through a pipe,
and the second pipe that hands them an input they wait for.

Plumbing only: what a child computes is its caller's business (``workers``: the render
workers). As with ``background``, a child leaves with ``os._exit`` (none of the parent's
cleanup), and what a child fails to deliver its parent computes itself.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from .background import reap

T = TypeVar("T")
# What a child's pipe may end with when it failed half-way: the rest is not delivered.
_GARBLED = (EOFError, pickle.UnpicklingError, ValueError, TypeError)


class Child:
    """A forked child: its pid, the pipe it delivers through, its share and, when it waits for an
    input, the pipe that hands it on (-1 once handed on or closed)."""

    def __init__(self, pid: int, read: int, share: Sequence[int], given: int = -1) -> None:
        self.pid, self.read, self.share, self.given = pid, read, share, given


def _receive(fd: int) -> Any:
    with os.fdopen(fd, "rb") as pipe:
        return pickle.load(pipe)


def fork_child(share: Sequence[int], work: Callable[[Callable[[], Any] | None], Iterable[object]],
               wants_input: bool) -> Child:
    """Fork a child that pickles each result of ``work(given)`` into a pipe, once it has them all
    (a write to the pipe blocks until the parent reads). ``given``: with ``wants_input``, waits
    for the input handed on with ``send``; else None."""
    read, write = os.pipe()
    given_read, given_write = os.pipe() if wants_input else (-1, -1)
    try:
        pid = os.fork()
    except OSError:
        for fd in (read, write, given_read, given_write):
            if fd >= 0:
                os.close(fd)
        raise
    if pid == 0:  # the child: work, send, and leave without running any of the parent's cleanup
        code = 0
        try:
            os.close(read)
            if wants_input:
                os.close(given_write)
            results = [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                       for result in work(partial(_receive, given_read) if wants_input else None)]
            with os.fdopen(write, "wb") as pipe:
                pipe.write(b"".join(results))
        except BaseException:  # noqa: BLE001 - the parent computes what is missing and reports it
            code = 1
        os._exit(code)
    os.close(write)
    if given_read >= 0:
        os.close(given_read)
    return Child(pid, read, share, given_write)


def send(pipes: Sequence[int], data: bytes) -> None:
    """``data`` into each pipe, then closed. A child that needs no input has left already (its
    pipe is broken): it delivers, or fails to, like any other."""
    for fd in pipes:
        try:
            with os.fdopen(fd, "wb") as pipe:
                pipe.write(data)
        except OSError:
            pass


def results(child: Child, taken: Callable[[Any], T]) -> Iterator[T]:
    """``taken(result)`` of each result the child delivers, until its pipe ends or a result is
    garbled (``taken`` raising ValueError or TypeError is one too); then the child is reaped."""
    with os.fdopen(child.read, "rb") as pipe:
        child.read = -1
        try:
            while True:
                yield taken(pickle.load(pipe))
        except _GARBLED:
            pass
    reap(child.pid)


def kill(child: Child) -> None:
    """Close the child's pipes, kill it and reap it."""
    for fd in (child.read, child.given):
        if fd >= 0:
            os.close(fd)
    try:
        os.kill(child.pid, signal.SIGKILL)
    except OSError:
        pass
    reap(child.pid)
