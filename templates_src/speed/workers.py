"""Rendering many environments at once: forked children render shares of them.

Speed only: the result is the same as rendering each environment in turn (``render_all`` yields
every environment once, in no particular order; ``index`` says which).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..render import files as render
from .. import stacksets
from .background import reap
from .build_cache import ConfigResults
from ..config import EnvConfig
from ..builders.stack import build_template

# Rendering is spread over worker processes from this many environments on (below it, forking
# costs more than it saves).
PARALLEL_RENDER_MIN_ENVS = 8

# A check run on each environment's template body where it is rendered (so in parallel, and
# without building the template again): config and body -> what it found, by name.
EnvCheck = Callable[[EnvConfig, dict[str, Any]], list[str]]


@dataclass(frozen=True)
class DeferredCheck:
    """An EnvCheck whose input is not there yet when rendering starts (the Service Catalog
    product, built in the background): every env is rendered first, then ``fetch()`` waits for the
    input (in the process that called ``render_all``; forked render workers get it over a pipe)
    and ``run(input, cfg, body)`` checks each env. The input must pickle."""

    fetch: Callable[[], Any]
    run: Callable[[Any, EnvConfig, dict[str, Any]], list[str]]


@dataclass
class Rendered:
    index: int
    cfg: EnvConfig
    files: dict[str, str]
    resources: int
    seconds: float
    checked: list[str] | None = None  # what the EnvCheck found; None without one
    body: dict[str, Any] | None = field(default=None, repr=False)  # the template, until a deferred check ran


def _render_one(index: int, cfg: EnvConfig, check: EnvCheck | None = None) -> Rendered:
    start = time.perf_counter()
    template = build_template(cfg)
    body = template.to_dict()
    files = render.render_env(cfg, template, body)
    if cfg.stack_set is not None:  # the stack set's files, and its section of DEPLOY.md
        files.update(stacksets.stack_set_files(cfg))
        files[f"{cfg.env}/{render.DEPLOY_GUIDE_FILE}"] += stacksets.guide_section(cfg)
    checked = check(cfg, body) if check else None
    return Rendered(index, cfg, files, len(template.resources), time.perf_counter() - start, checked,
                    None if check else body)


def _recalled(found: object, checked: bool) -> tuple[dict[str, str], int, list[str] | None] | None:
    """A kept render of the right shape (files, resource count, and check result when one is
    ``checked``)."""
    if not isinstance(found, dict) or not isinstance(files := found.get("files"), dict):
        return None
    resources, result = found.get("resources"), found.get("checked")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()) or not isinstance(resources, int):
        return None
    if (result is None) == checked or not (result is None or all(isinstance(c, str) for c in result)):
        return None
    return files, resources, result


def _recall(index: int, cfg: EnvConfig, checked: bool, kept: ConfigResults | None) -> tuple[Rendered | None, str]:
    """What ``_render_one`` gave for an equal config and the same code before (``kept``), and the
    key to keep this env's render under: an env's files are a function of its validated config
    and the code alone."""
    if kept is None:
        return None, ""
    start, key = time.perf_counter(), kept.key(cfg)
    if recalled := _recalled(kept.get(key), checked):
        files, resources, result = recalled
        return Rendered(index, cfg, files, resources, time.perf_counter() - start, result), key
    return None, key


def _keep(kept: ConfigResults | None, key: str, rendered: Rendered) -> None:
    if kept is not None:
        kept.put(key, {"files": rendered.files, "resources": rendered.resources, "checked": rendered.checked})


def _render_or_recall(index: int, cfg: EnvConfig, check: EnvCheck | None, kept: ConfigResults | None) -> Rendered:
    """``_render_one``, or what it gave before (``_recall``)."""
    recalled, key = _recall(index, cfg, check is not None, kept)
    if recalled is not None:
        return recalled
    rendered = _render_one(index, cfg, check)
    _keep(kept, key, rendered)
    return rendered


def _render_then_check(configs: Sequence[EnvConfig], share: Sequence[int], check: DeferredCheck,
                       given: Callable[[], Any], kept: ConfigResults | None) -> list[Rendered]:
    """``share`` rendered (or recalled) first, then checked with ``check.run`` and the input
    ``given()`` returns, which is asked for only if some env was rendered."""
    done, pending = [], []
    for index in share:
        recalled, key = _recall(index, configs[index], True, kept)
        if recalled is not None:
            done.append(recalled)
        else:
            pending.append((_render_one(index, configs[index]), key))
    if pending:
        value = given()
        for rendered, key in pending:
            start = time.perf_counter()
            assert rendered.body is not None
            rendered.checked = check.run(value, rendered.cfg, rendered.body)
            rendered.seconds += time.perf_counter() - start
            rendered.body = None
            _keep(kept, key, rendered)
            done.append(rendered)
    return sorted(done, key=lambda r: r.index)


def _receive(fd: int) -> Any:
    with os.fdopen(fd, "rb") as pipe:
        return pickle.load(pipe)


def _send(pipes: Sequence[int], data: bytes) -> None:
    """``data`` into each pipe, then closed. A child that needs no input has left already (its
    pipe is broken): it delivers, or fails to, like any other."""
    for fd in pipes:
        try:
            with os.fdopen(fd, "wb") as pipe:
                pipe.write(data)
        except OSError:
            pass


class _Child:
    """A forked render worker: its pid, the pipe it delivers through and, with a deferred check,
    the pipe it waits on for the check's input (-1 once handed on or closed)."""

    def __init__(self, pid: int, read: int, share: Sequence[int], given: int = -1) -> None:
        self.pid, self.read, self.share, self.given = pid, read, share, given


def _fork_renderer(configs: Sequence[EnvConfig], share: Sequence[int], check: EnvCheck | DeferredCheck | None,
                   kept: ConfigResults | None) -> _Child:
    """Fork a child that renders ``share`` and pickles each result into a pipe."""
    read, write = os.pipe()
    given_read, given_write = os.pipe() if isinstance(check, DeferredCheck) else (-1, -1)
    try:
        pid = os.fork()
    except OSError:
        for fd in (read, write, given_read, given_write):
            if fd >= 0:
                os.close(fd)
        raise
    if pid == 0:  # the child: render, send, and leave without running any of the parent's cleanup
        code = 0
        try:
            os.close(read)
            if isinstance(check, DeferredCheck):
                os.close(given_write)
                done = _render_then_check(configs, share, check, partial(_receive, given_read), kept)
            else:  # all first: a write to the pipe blocks until the parent reads
                done = [_render_or_recall(index, configs[index], check, kept) for index in share]
            results = [pickle.dumps((r.index, r.files, r.resources, r.seconds, r.checked),
                                    protocol=pickle.HIGHEST_PROTOCOL) for r in done]
            with os.fdopen(write, "wb") as pipe:
                pipe.write(b"".join(results))
        except BaseException:  # noqa: BLE001 - the parent renders what is missing and reports it
            code = 1
        os._exit(code)
    os.close(write)
    if given_read >= 0:
        os.close(given_read)
    return _Child(pid, read, share, given_write)


def render_all(configs: Sequence[EnvConfig], workers: int = 1, check: EnvCheck | DeferredCheck | None = None,
               kept: ConfigResults | None = None) -> Iterator[Rendered]:
    """Every environment rendered (and ``check``ed), each once, in no particular order (``index``
    says which). ``kept``: earlier renders, read where the config and the code are the same, and
    added to (--no-cache: None).

    With several workers and many environments, this process renders one share and forked
    children render the others (they inherit the loaded configs and modules); whatever a child
    fails to deliver is rendered here, so an error in it surfaces here with its traceback. With a
    ``DeferredCheck`` each process renders its share before the input is fetched, and this one
    hands it to the children as soon as it has it, before checking its own share.
    """
    deferred = check if isinstance(check, DeferredCheck) else None
    fetched: list[Any] = []

    def given() -> Any:  # the deferred check's input, fetched once
        if not fetched:
            assert deferred is not None
            fetched.append(deferred.fetch())
        return fetched[0]

    def one(index: int) -> Rendered:  # an env a child did not deliver (or all of them, without children)
        if deferred is None:
            return _render_or_recall(index, configs[index], check, kept)
        return _render_then_check(configs, [index], deferred, given, kept)[0]

    count = min(workers, len(configs))
    if count < 2 or len(configs) < PARALLEL_RENDER_MIN_ENVS or not hasattr(os, "fork"):
        if deferred is None:
            for index in range(len(configs)):
                yield one(index)
        else:
            yield from _render_then_check(configs, range(len(configs)), deferred, given, kept)
        return

    render.prepare_templates()  # once here rather than once in every child
    shares = [range(first, len(configs), count) for first in range(count)]
    children: list[_Child] = []
    sender: threading.Thread | None = None
    # Objects that exist now live through the build: freezing them keeps the collector from
    # scanning them again and again (and, in the children, from copying the pages they share).
    gc.freeze()
    for share in shares[1:]:
        try:
            children.append(_fork_renderer(configs, share, check, kept))
        except OSError:
            shares[0] = [*shares[0], *share]  # cannot fork: render that share here
    try:
        if deferred is None:
            for index in shares[0]:
                yield one(index)
        else:
            def hand_on() -> Any:
                # The children wait for the input once their shares are rendered: a thread writes
                # it into their pipes (a pipe holds 64 KB, the product is larger) while this
                # process checks its own share.
                nonlocal sender
                value = given()
                pipes = [child.given for child in children]
                for child in children:
                    child.given = -1
                sender = threading.Thread(target=_send, daemon=True,
                                          args=(pipes, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
                sender.start()
                return value

            yield from _render_then_check(configs, shares[0], deferred, hand_on, kept)
            if any(child.given >= 0 for child in children):  # nothing rendered here: the children may need it
                hand_on()
        while children:
            child = children[0]
            delivered = set()
            with os.fdopen(child.read, "rb") as pipe:
                child.read = -1
                try:
                    while True:
                        index, files, resources, seconds, checked = pickle.load(pipe)
                        delivered.add(index)
                        yield Rendered(index, configs[index], files, resources, seconds, checked)
                except (EOFError, pickle.UnpicklingError, ValueError, TypeError):
                    pass
            reap(child.pid)
            children.pop(0)
            for index in child.share:
                if index not in delivered:
                    yield one(index)
    finally:
        gc.unfreeze()
        for child in children:  # only when the caller stopped early or an error is on its way
            for fd in (child.read, child.given):
                if fd >= 0:
                    os.close(fd)
            try:
                os.kill(child.pid, signal.SIGKILL)
            except OSError:
                pass
            reap(child.pid)
        if sender is not None:
            sender.join()
