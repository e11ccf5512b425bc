"""cfn-lint over every rendered template: cached, and in parallel worker processes.

Returns findings and prints nothing. What one template's lint is, cfn-lint and the policies, is
``lint_template``; what a job, a finding and the options are, ``lint_jobs``. This module decides
where and when each job is linted.

Cache (``lint_cache``): a template is linted only when no result is stored under a key that
hashes everything its result depends on. A missing, unreadable, corrupt or unwritable cache is
the same as an empty one.

Parallelism. With more than one worker, the templates the cache does not know are linted in a
process pool. Its processes are forked from a multiprocessing fork server that imports cfn-lint
and loads its rules once; it is started at the first cache miss, so that costly start runs
while the caller renders the other environments. Each worker then lints template after
template. Should the pool be unavailable or break, what is left is linted in this process.
With one worker, or one template to lint, everything happens in this process.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Callers (the CLI, the cache, the tests) import the lint's names from here.
from .lint_jobs import (  # noqa: F401 - re-exported
    FAILING_SEVERITIES, Finding, LintJob, LintOptions, LintResult, RawFinding, ResultCache,
)
from .lint_template import load_rules
# The linter of one template, under the name the session calls it by (the tests swap in a fake).
from .lint_template import lint_text as _lint_text


# Modules the fork server imports once, before it forks any lint worker.
_PRELOAD = ["cfnlint.config", "cfnlint.decode.decode", "cfnlint.runner", "templates_src.checks.lint"]
# Set only in the fork server's environment: importing this module there also loads the rules.
_PRELOAD_RULES_ENV = "_RDS_PROXY_CFN_PRELOAD_RULES"


def _options_for(job: LintJob, options: LintOptions) -> LintOptions:
    return options if job.policies else dataclasses.replace(options, policy_files=(), project_policies=False)


def _worker_init() -> None:
    load_rules()  # as soon as the worker starts (a no-op when the fork server loaded them already)


def _with_file(job: LintJob, raws: Iterable[RawFinding]) -> tuple[Finding, ...]:
    return tuple(Finding(job.file, line, rule, severity, message) for line, rule, severity, message in raws)


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class LintSession:
    """Lint jobs as they are submitted: cache hits at once, misses together in ``finish``.

    ``on_result(index, result)`` is called once per job as its result is known (submission index).
    """

    def __init__(self, options: LintOptions = LintOptions(), cache: ResultCache | None = None, workers: int = 1,
                 on_result: Callable[[int, LintResult], None] | None = None) -> None:
        self.options = options
        self.cache = cache
        self.workers = max(1, workers)
        self.on_result = on_result or (lambda index, result: None)
        self._context = cache.context(options) if cache is not None else ""
        self._jobs: list[LintJob] = []
        self._results: dict[int, LintResult] = {}
        self._pending: list[tuple[int, LintJob, str]] = []
        self._server_started = False
        self._keys: list[str] = []

    def submit(self, job: LintJob) -> None:
        index = len(self._jobs)
        self._jobs.append(job)
        key = self.cache.key(job, self._context) if self.cache is not None else ""
        self._keys.append(key)
        if self.cache is not None:
            raws = self.cache.get(key, self.options.failing_severities)
            if raws is not None:
                self._done(index, LintResult(job, _with_file(job, raws), True, 0.0))
                return
        self._pending.append((index, job, key))
        if len(self._pending) == 1 and self.workers > 1:
            self._start_server()

    def _done(self, index: int, result: LintResult) -> None:
        self._results[index] = result
        self.on_result(index, result)

    def _finish_one(self, index: int, job: LintJob, key: str, raws: tuple[RawFinding, ...], seconds: float) -> None:
        if self.cache is not None:
            self.cache.put(key, raws)
        self._done(index, LintResult(job, _with_file(job, raws), False, seconds))

    def _start_server(self) -> None:
        """Start the fork server now, so it imports cfn-lint and loads its rules while the caller
        renders on; the workers forked from it later inherit both."""
        try:
            import multiprocessing
            from multiprocessing import forkserver

            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            saved = {name: os.environ.get(name) for name in (_PRELOAD_RULES_ENV, "PYTHONPATH")}
            # The server imports this very package (not another installed copy), and loads the rules.
            package_root = str(Path(__file__).resolve().parents[2])
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, saved["PYTHONPATH"]) if p)
            os.environ[_PRELOAD_RULES_ENV] = "1"  # read (and removed) by the server's import of this module
            try:
                forkserver.ensure_running()
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            self._server_started = True
        except (ValueError, OSError, ImportError):
            self._server_started = False  # no fork server here: lint in this process

    def finish(self) -> list[LintResult]:
        """Lint what the cache did not know; every job's result, in submission order."""
        pending, self._pending = self._pending, []
        self._keys_linted = bool(pending)
        if len(pending) > 1 and self._server_started:
            pending = self._run_pool(pending)
        for index, job, key in pending:
            raws, seconds = _lint_text(job.text, job.region, _options_for(job, self.options), job.parameters)
            self._finish_one(index, job, key, raws, seconds)
        if self.cache is not None and self._keys_linted:
            self.cache.prune(self._keys)
        return [self._results[i] for i in range(len(self._jobs))]

    def _run_pool(self, pending: list[tuple[int, LintJob, str]]) -> list[tuple[int, LintJob, str]]:
        """Lint in worker processes; returns the jobs left undone if the pool broke."""
        import multiprocessing
        from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, as_completed

        left = {index: (index, job, key) for index, job, key in pending}
        try:
            with ProcessPoolExecutor(max_workers=min(self.workers, len(pending)),
                                     mp_context=multiprocessing.get_context("forkserver"),
                                     initializer=_worker_init) as pool:
                futures = {pool.submit(_lint_text, job.text, job.region, _options_for(job, self.options),
                                       job.parameters): index
                           for index, job, key in pending}
                for future in as_completed(futures):
                    raws, seconds = future.result()
                    index, job, key = left.pop(futures[future])
                    self._finish_one(index, job, key, raws, seconds)
        except (BrokenExecutor, OSError):
            pass  # a worker died or could not start: what is left is linted in this process
        return sorted(left.values(), key=lambda item: item[0])


@dataclass
class LintBatch:
    """Jobs to lint together with how to lint them; iterating it iterates the jobs (lazily)."""

    jobs: Iterable[LintJob]
    options: LintOptions = LintOptions()
    cache: ResultCache | None = None
    workers: int = 1
    on_result: Callable[[int, LintResult], None] | None = None

    def __iter__(self) -> Iterator[LintJob]:
        return iter(self.jobs)


def lint(jobs: Iterable[LintJob]) -> list[Finding]:
    """Every failing finding cfn-lint reports for the templates, sorted by file and line.

    ``jobs`` may be a LintBatch to use a cache, worker processes and a result callback; it is
    consumed lazily, so a generator that renders templates overlaps rendering with linting.
    """
    batch = jobs if isinstance(jobs, LintBatch) else LintBatch(jobs)
    session = LintSession(batch.options, batch.cache, batch.workers, batch.on_result)
    for job in batch:
        session.submit(job)
    return sorted({finding for result in session.finish() for finding in result.findings})


if os.environ.pop(_PRELOAD_RULES_ENV, None) == "1":  # in the fork server only (see _start_server)
    try:
        load_rules()
    except Exception:  # noqa: BLE001 - the workers load (and report) it again themselves
        pass
    import gc

    gc.freeze()  # the workers share these objects: keep their collectors from copying the pages
