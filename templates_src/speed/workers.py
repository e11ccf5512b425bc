"""Rendering many environments at once: forked children render shares of them.

Speed only: the result is the same as rendering each environment in turn (``render_all`` yields
every environment once, in no particular order; ``index`` says which).
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..render import files as render
from .. import stacksets
from . import forked
from .build_cache import ConfigResults
from ..config import EnvConfig
from ..builders import plain
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
    # Which envs ``run`` has work for (None: every env): the render workers share those out
    # evenly, so that no process is left checking while the others wait (``_shares``).
    applies: Callable[[EnvConfig], bool] | None = None


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
    body = plain.body(template)
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


class _Here:
    """Rendering in this process: an env at a time (``one``), or a share (``share``); with a
    deferred check, its input is fetched once, when first needed (``given``)."""

    def __init__(self, configs: Sequence[EnvConfig], check: EnvCheck | DeferredCheck | None,
                 kept: ConfigResults | None) -> None:
        self.configs, self.check, self.kept = configs, check, kept
        self.deferred = check if isinstance(check, DeferredCheck) else None
        self._fetched: list[Any] = []

    def given(self) -> Any:
        if not self._fetched:
            assert self.deferred is not None
            self._fetched.append(self.deferred.fetch())
        return self._fetched[0]

    def one(self, index: int) -> Rendered:
        """An env a child did not deliver (or any, without children)."""
        if self.deferred is None:
            return _render_or_recall(index, self.configs[index], self.check, self.kept)
        return _render_then_check(self.configs, [index], self.deferred, self.given, self.kept)[0]

    def share(self, share: Sequence[int], given: Callable[[], Any] | None = None) -> Iterator[Rendered]:
        """``share`` one env after another, or with a deferred check all rendered before its
        input is asked for (``given``, by default ``self.given``)."""
        if self.deferred is None:
            for index in share:
                yield self.one(index)
        else:
            yield from _render_then_check(self.configs, share, self.deferred, given or self.given, self.kept)


class _Team:
    """The forked render workers of one ``render_all`` (``forked``), and the thread that hands
    them a deferred check's input."""

    def __init__(self, here: _Here) -> None:
        self.here = here
        self.children: list[forked.Child] = []
        self.sender: threading.Thread | None = None

    def fork(self, shares: Sequence[Sequence[int]]) -> Sequence[int]:
        """A child for each share but the first; the share this process renders."""
        own, waits = shares[0], self.here.deferred is not None
        for share in shares[1:]:
            try:
                self.children.append(forked.fork_child(share, partial(self._work, share), waits))
            except OSError:
                own = [*own, *share]  # cannot fork: render that share here
        return own

    def _work(self, share: Sequence[int], given: Callable[[], Any] | None) -> list[tuple[Any, ...]]:
        """In a child: its share rendered, as the parent takes it back (``_delivered``)."""
        return [(r.index, r.files, r.resources, r.seconds, r.checked) for r in self.here.share(share, given)]

    def _delivered(self, result: tuple[Any, ...]) -> Rendered:
        index, files, resources, seconds, checked = result
        return Rendered(index, self.here.configs[index], files, resources, seconds, checked)

    def hand_on(self) -> Any:
        """The deferred check's input, written to the children by a thread: they wait for it
        once their shares are rendered, and a pipe holds 64 KB (the product is larger), while
        this process checks its own share."""
        value = self.here.given()
        pipes = [child.given for child in self.children]
        for child in self.children:
            child.given = -1
        self.sender = threading.Thread(target=forked.send, daemon=True,
                                       args=(pipes, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        self.sender.start()
        return value

    def own_share(self, share: Sequence[int]) -> Iterator[Rendered]:
        if self.here.deferred is None:
            yield from self.here.share(share)
            return
        yield from self.here.share(share, self.hand_on)
        if any(child.given >= 0 for child in self.children):  # nothing rendered here: the children may need it
            self.hand_on()

    def delivered(self) -> Iterator[Rendered]:
        """What each child delivers, child after child; what one fails to deliver, rendered here."""
        while self.children:
            child, done = self.children[0], set()
            for rendered in forked.results(child, self._delivered):
                done.add(rendered.index)
                yield rendered
            self.children.pop(0)
            for index in child.share:
                if index not in done:
                    yield self.here.one(index)

    def stop(self) -> None:
        """Kill the children left (only when the caller stopped early or an error is on its way),
        and wait for the sender."""
        for child in self.children:
            forked.kill(child)
        if self.sender is not None:
            self.sender.join()


def _shares(configs: Sequence[EnvConfig], count: int, check: EnvCheck | DeferredCheck | None) -> list[list[int]]:
    """Every env's index dealt to ``count`` shares in turn, each share in index order; with a
    deferred check that ``applies`` to some envs only, those are dealt first."""
    order = list(range(len(configs)))
    applies = check.applies if isinstance(check, DeferredCheck) else None
    if applies is not None:
        checked = [applies(cfg) for cfg in configs]
        order = [i for i in order if checked[i]] + [i for i in order if not checked[i]]
    return [sorted(order[first::count]) for first in range(count)]


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
    here = _Here(configs, check, kept)
    count = min(workers, len(configs))
    if count < 2 or len(configs) < PARALLEL_RENDER_MIN_ENVS or not hasattr(os, "fork"):
        yield from here.share(range(len(configs)))
        return
    render.prepare_templates()  # once here rather than once in every child
    team = _Team(here)
    # Objects that exist now live through the build: freezing them keeps the collector from
    # scanning them again and again (and, in the children, from copying the pages they share).
    gc.freeze()
    own = team.fork(_shares(configs, count, check))
    try:
        yield from team.own_share(own)
        yield from team.delivered()
    finally:
        gc.unfreeze()
        team.stop()
