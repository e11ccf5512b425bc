"""Rendering many environments at once: forked children render shares of them.

Speed only: the result is the same as rendering each environment in turn (``render_all`` yields
every environment once, in no particular order; ``index`` says which).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import render, stacksets
from .build_cache import ConfigResults
from .config import EnvConfig
from .stack import build_template

# Rendering is spread over worker processes from this many environments on (below it, forking
# costs more than it saves).
PARALLEL_RENDER_MIN_ENVS = 8

# A check run on each environment's template body where it is rendered (so in parallel, and
# without building the template again): config and body -> what it found, by name.
EnvCheck = Callable[[EnvConfig, dict[str, Any]], list[str]]


@dataclass
class Rendered:
    index: int
    cfg: EnvConfig
    files: dict[str, str]
    resources: int
    seconds: float
    checked: list[str] | None = None  # what the EnvCheck found; None without one


def _render_one(index: int, cfg: EnvConfig, check: EnvCheck | None = None) -> Rendered:
    start = time.perf_counter()
    template = build_template(cfg)
    body = template.to_dict()
    files = render.render_env(cfg, template, body)
    if cfg.stack_set is not None:  # the stack set's files, and its section of DEPLOY.md
        files.update(stacksets.stack_set_files(cfg))
        files[f"{cfg.env}/{render.DEPLOY_GUIDE_FILE}"] += stacksets.guide_section(cfg)
    checked = check(cfg, body) if check else None
    return Rendered(index, cfg, files, len(template.resources), time.perf_counter() - start, checked)


def _recalled(found: object, check: EnvCheck | None) -> tuple[dict[str, str], int, list[str] | None] | None:
    """A kept render of the right shape (files, resource count, and check result when asked)."""
    if not isinstance(found, dict) or not isinstance(files := found.get("files"), dict):
        return None
    resources, checked = found.get("resources"), found.get("checked")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()) or not isinstance(resources, int):
        return None
    if (checked is None) != (check is None) or not (checked is None or all(isinstance(c, str) for c in checked)):
        return None
    return files, resources, checked


def _render_or_recall(index: int, cfg: EnvConfig, check: EnvCheck | None, kept: ConfigResults | None) -> Rendered:
    """``_render_one``, or what it gave for an equal config and the same code before (``kept``):
    an env's files are a function of its validated config and the code alone."""
    if kept is None:
        return _render_one(index, cfg, check)
    start, key = time.perf_counter(), kept.key(cfg)
    if recalled := _recalled(kept.get(key), check):
        files, resources, checked = recalled
        return Rendered(index, cfg, files, resources, time.perf_counter() - start, checked)
    rendered = _render_one(index, cfg, check)
    kept.put(key, {"files": rendered.files, "resources": rendered.resources, "checked": rendered.checked})
    return rendered


def _fork_renderer(configs: Sequence[EnvConfig], share: Sequence[int], check: EnvCheck | None,
                   kept: ConfigResults | None) -> tuple[int, int]:
    """Fork a child that renders ``share`` and pickles each result into a pipe: (pid, read end)."""
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        raise
    if pid == 0:  # the child: render, send, and leave without running any of the parent's cleanup
        code = 0
        try:
            os.close(read)
            results = []
            for index in share:  # all first: a write to the pipe blocks until the parent reads
                rendered = _render_or_recall(index, configs[index], check, kept)
                results.append(pickle.dumps(
                    (index, rendered.files, rendered.resources, rendered.seconds, rendered.checked),
                    protocol=pickle.HIGHEST_PROTOCOL))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(b"".join(results))
        except BaseException:  # noqa: BLE001 - the parent renders what is missing and reports it
            code = 1
        os._exit(code)
    os.close(write)
    return pid, read


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def render_all(configs: Sequence[EnvConfig], workers: int = 1, check: EnvCheck | None = None,
               kept: ConfigResults | None = None) -> Iterator[Rendered]:
    """Every environment rendered (and ``check``ed), each once, in no particular order (``index``
    says which). ``kept``: earlier renders, read where the config and the code are the same, and
    added to (--no-cache: None).

    With several workers and many environments, this process renders one share and forked
    children render the others (they inherit the loaded configs and modules); whatever a child
    fails to deliver is rendered here, so an error in it surfaces here with its traceback.
    """
    count = min(workers, len(configs))
    if count < 2 or len(configs) < PARALLEL_RENDER_MIN_ENVS or not hasattr(os, "fork"):
        for index, cfg in enumerate(configs):
            yield _render_or_recall(index, cfg, check, kept)
        return

    render.prepare_templates()  # once here rather than once in every child
    shares = [range(first, len(configs), count) for first in range(count)]
    children: list[tuple[int, int, Sequence[int]]] = []
    # Objects that exist now live through the build: freezing them keeps the collector from
    # scanning them again and again (and, in the children, from copying the pages they share).
    gc.freeze()
    for share in shares[1:]:
        try:
            children.append((*_fork_renderer(configs, share, check, kept), share))
        except OSError:
            shares[0] = [*shares[0], *share]  # cannot fork: render that share here
    try:
        for index in shares[0]:
            yield _render_or_recall(index, configs[index], check, kept)
        while children:
            pid, read, share = children[0]
            delivered = set()
            with os.fdopen(read, "rb") as pipe:
                children[0] = (pid, -1, share)
                try:
                    while True:
                        index, files, resources, seconds, checked = pickle.load(pipe)
                        delivered.add(index)
                        yield Rendered(index, configs[index], files, resources, seconds, checked)
                except (EOFError, pickle.UnpicklingError, ValueError, TypeError):
                    pass
            _reap(pid)
            children.pop(0)
            for index in share:
                if index not in delivered:
                    yield _render_or_recall(index, configs[index], check, kept)
    finally:
        gc.unfreeze()
        for pid, read, _ in children:  # only when the caller stopped early or an error is on its way
            if read >= 0:
                os.close(read)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _reap(pid)


class Background:
    """``fn()`` computed in a forked child while this process goes on; ``result()`` waits for it.

    Speed only, like the rest of this module: without fork, or when the child fails to deliver,
    ``result()`` calls ``fn`` here (so an error surfaces here, with its traceback). The result
    must pickle. Started before the params are read, the child has little memory to copy.
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
        _reap(pid)
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
        _reap(pid)
