"""cfn-lint over every rendered template: cached, and in parallel worker processes.

Returns findings and prints nothing. cfn-lint is imported only when a template actually has to
be linted (the import costs most of a second), and its rules are loaded once per process.

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
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .policies.rules import RULES

# The cache lives in lint_cache; its names stay importable from here for the CLI and the tests.
from ..speed.lint_cache import (  # noqa: F401 - re-exported
    CACHE_ENV_VAR, CACHE_FORMAT, LintCache, _file_digest, cache_key, cfn_lint_versions, cfnlintrc_files,
    context_digest, default_cache_dir,
)

FAILING_SEVERITIES = ("error", "warning")

POLICY_SEVERITY = "error"  # a Guard violation fails the build like a cfn-lint error
# The project's policies as cfn-lint rules; their findings are reported under their Guard names.
PROJECT_RULES_MODULE = f"{__package__}.lint_rules"
PROJECT_RULE_IDS = tuple(rule.lint_id for rule in RULES)
# The policies of what a template lets a launcher choose: they judge the Service Catalog product
# too (a job without the project's policies), and find nothing in a template without parameters.
PRODUCT_RULE_IDS = tuple(rule.lint_id for rule in RULES if rule.product)
PRODUCT_POLICIES = frozenset(rule.qualified for rule in RULES if rule.product)

# Modules the fork server imports once, before it forks any lint worker.
_PRELOAD = ["cfnlint.config", "cfnlint.decode.decode", "cfnlint.runner", "templates_src.checks.lint"]
# Set only in the fork server's environment: importing this module there also loads the rules.
_PRELOAD_RULES_ENV = "_RDS_PROXY_CFN_PRELOAD_RULES"


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class LintJob:
    """One template to lint: the name it is reported under, its text and its region.

    ``policies``: whether the Guard policies apply too (they judge an env's literal settings, so
    not a template whose settings are parameters, like the Service Catalog product; the policies
    of what such a template lets a launcher choose, ``PRODUCT_RULE_IDS``, apply to every job).
    """

    file: str
    text: str
    region: str
    policies: bool = True
    # The values its parameter file gives (name, text as in parameters.json): cfn-lint checks the
    # template deployed with them, so a missing, misspelled or out-of-range parameter is a finding.
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LintOptions:
    """What decides which matches are findings; every field is part of the cache key.

    ``extra_inputs`` are files the lint result depends on beyond the template (policy files, for
    instance); their bytes are hashed into the key, a missing file hashes as missing.
    """

    failing_severities: tuple[str, ...] = FAILING_SEVERITIES
    include_checks: tuple[str, ...] = ()
    ignore_checks: tuple[str, ...] = ()
    mandatory_checks: tuple[str, ...] = ()
    extra_inputs: tuple[Path, ...] = ()
    # CloudFormation Guard rules checked after cfn-lint (an organisation's); their violations are
    # findings too.
    policy_files: tuple[Path, ...] = ()
    # The project's policies (lint_rules): off for a template whose settings are parameters.
    project_policies: bool = True


@dataclass(frozen=True)
class LintResult:
    """The findings of one job; ``cached`` when they came from the cache (``seconds`` is 0)."""

    job: LintJob
    findings: tuple[Finding, ...]
    cached: bool
    seconds: float


# A finding without its file name: what a worker returns and what the cache stores.
_Raw = tuple[int, str, str, str]


# --- linting ----------------------------------------------------------------------------------

_loaded_rules: dict[tuple[tuple[str, str | None], ...], Any] = {}


def _deployment_values(template: dict[str, Any], parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Parameter-file text as CloudFormation reads it: list types split at commas."""
    declared = template.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, value in parameters:
        kind = str((declared.get(name) or {}).get("Type", ""))
        values[name] = value.split(",") if kind.startswith("List<") or kind == "CommaDelimitedList" else value
    return values


def _config(region: str, options: LintOptions, parameters: dict[str, Any] | None = None) -> Any:
    from cfnlint.config import ConfigMixIn

    kwargs: dict[str, Any] = {"regions": [region]}
    if parameters is not None:
        from cfnlint.context.parameters import ParameterSet

        kwargs["parameters"] = [ParameterSet(source=None, parameters=parameters)]
    for name in ("include_checks", "ignore_checks", "mandatory_checks"):
        if getattr(options, name):
            kwargs[name] = list(getattr(options, name))
    # Mandatory: no ignore_checks (a .cfnlintrc's included) can switch the policies off.
    kwargs["mandatory_checks"] = [*kwargs.get("mandatory_checks", []),
                                  *(PROJECT_RULE_IDS if options.project_policies else PRODUCT_RULE_IDS)]
    return ConfigMixIn(**kwargs)


def _rules() -> Any:
    """cfn-lint's rule collection, loaded once per process (per content of the .cfnlintrc files,
    whose append_rules and custom_rules decide which rules there are)."""
    key = tuple((str(path), _file_digest(path)) for path in cfnlintrc_files())
    rules = _loaded_rules.get(key)
    if rules is None:
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner import Runner

        # cfn-lint's rules and the project's policies as rules of its own (lint_rules).
        config = ConfigMixIn(regions=["us-east-1"], append_rules=[PROJECT_RULES_MODULE])
        rules = _loaded_rules[key] = Runner(config).rules
    return rules


def _options_for(job: LintJob, options: LintOptions) -> LintOptions:
    return options if job.policies else dataclasses.replace(options, policy_files=(), project_policies=False)


def _lint_text(text: str, region: str, options: LintOptions,
               parameters: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[_Raw, ...], float]:
    """The failing matches of one template (without file name), and the seconds it took."""
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    start = time.perf_counter()
    rules = _rules()
    template, matches = decode_str(text)
    if template is not None and not matches:
        values = _deployment_values(template, parameters) if parameters else None
        matches = list(run_template_by_data(template, _config(region, options, values), rules))
    raws = set()
    for match in matches:
        policy = getattr(match.rule, "policy", None)  # one of the project's policies (lint_rules)
        if match.rule.severity in options.failing_severities and (
                policy is None or options.project_policies or policy in PRODUCT_POLICIES):
            raws.add((match.linenumber, policy or match.rule.id, match.rule.severity, match.message))
    if options.policy_files and template is not None:
        from .guard import check_policies

        raws |= {(f.line, f"{f.policy}/{f.rule}", POLICY_SEVERITY, f"{f.message} ({f.path})" if f.path else f.message)
                 for f in check_policies(text, options.policy_files)}
    return tuple(sorted(raws)), time.perf_counter() - start


def _worker_init() -> None:
    _rules()  # as soon as the worker starts (a no-op when the fork server loaded them already)


def _with_file(job: LintJob, raws: Iterable[_Raw]) -> tuple[Finding, ...]:
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

    def __init__(self, options: LintOptions = LintOptions(), cache: LintCache | None = None, workers: int = 1,
                 on_result: Callable[[int, LintResult], None] | None = None) -> None:
        self.options = options
        self.cache = cache
        self.workers = max(1, workers)
        self.on_result = on_result or (lambda index, result: None)
        self._context = context_digest(options) if cache is not None else ""
        self._jobs: list[LintJob] = []
        self._results: dict[int, LintResult] = {}
        self._pending: list[tuple[int, LintJob, str]] = []
        self._server_started = False
        self._keys: list[str] = []

    def submit(self, job: LintJob) -> None:
        index = len(self._jobs)
        self._jobs.append(job)
        key = cache_key(job, self._context) if self.cache is not None else ""
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

    def _finish_one(self, index: int, job: LintJob, key: str, raws: tuple[_Raw, ...], seconds: float) -> None:
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
    cache: LintCache | None = None
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
        _rules()
    except Exception:  # noqa: BLE001 - the workers load (and report) it again themselves
        pass
    import gc

    gc.freeze()  # the workers share these objects: keep their collectors from copying the pages
