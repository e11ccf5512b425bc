"""The command line: arguments, progress, exit codes and the printing of every error.

Exit status: 0 success; 1 lint findings or stale output (--check); 2 bad input (params,
arguments, an out folder that cannot be written).

Speed: environments are rendered in worker processes when there are many, and each template
is linted only when the lint cache does not already know its result (see ``checks``); the lint
of the first unknown template starts while the rest are still being rendered.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TextIO

from . import __version__, checks, emit, render
from .config import EnvConfig, ParamsErrors, load_environments
from .stack import build_template

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

# Rendering is spread over worker processes from this many environments on (below it, forking
# costs more than it saves).
PARALLEL_RENDER_MIN_ENVS = 8
# On a terminal, progress lines appear once a build has run this long.
PROGRESS_AFTER_SECONDS = 1.0
POLICIES_DIR = "policies"


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of this tool (argparse prints the whole usage).
        self.exit(EXIT_BAD_INPUT, f"build.py: error: {message} (see python build.py --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _ArgumentParser(
        prog="build.py",
        description="Generate RDS Proxy CloudFormation templates from per-environment params files.",
    )
    parser.add_argument("envs", nargs="*", metavar="ENV", help="environments to build (default: all)")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default: generated)")
    parser.add_argument("--check", action="store_true",
                        help="build in memory and compare with the output folder; write nothing")
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint")
    parser.add_argument("--no-cache", action="store_true",
                        help="lint every template afresh: neither read nor write the lint cache "
                             f"(default location: .cache/rds-proxy-cfn/ beside the params folder, "
                             f"or ${checks.CACHE_ENV_VAR})")
    parser.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                        help="worker processes for rendering and linting (default: the CPUs available)")
    parser.add_argument("--version", action="version", version=f"rds-proxy-cfn {__version__}")
    return parser.parse_args(argv)


@dataclass
class _Rendered:
    index: int
    cfg: EnvConfig
    files: dict[str, str]
    resources: int
    seconds: float


def _render_one(index: int, cfg: EnvConfig) -> _Rendered:
    start = time.perf_counter()
    template = build_template(cfg)
    files = render.render_env(cfg, template)
    return _Rendered(index, cfg, files, len(template.resources), time.perf_counter() - start)


def _fork_renderer(configs: Sequence[EnvConfig], share: Sequence[int]) -> tuple[int, int]:
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
                rendered = _render_one(index, configs[index])
                results.append(pickle.dumps((index, rendered.files, rendered.resources, rendered.seconds),
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


def _render_all(configs: Sequence[EnvConfig], workers: int = 1) -> Iterator[_Rendered]:
    """Every environment rendered, each once, in no particular order (``index`` says which).

    With several workers and many environments, this process renders one share and forked
    children render the others (they inherit the loaded configs and modules); whatever a child
    fails to deliver is rendered here, so an error in it surfaces here with its traceback.
    """
    count = min(workers, len(configs))
    if count < 2 or len(configs) < PARALLEL_RENDER_MIN_ENVS or not hasattr(os, "fork"):
        for index, cfg in enumerate(configs):
            yield _render_one(index, cfg)
        return

    shares = [range(first, len(configs), count) for first in range(count)]
    children: list[tuple[int, int, Sequence[int]]] = []
    # Objects that exist now live through the build: freezing them keeps the collector from
    # scanning them again and again (and, in the children, from copying the pages they share).
    gc.freeze()
    for share in shares[1:]:
        try:
            children.append((*_fork_renderer(configs, share), share))
        except OSError:
            shares[0] = [*shares[0], *share]  # cannot fork: render that share here
    try:
        for index in shares[0]:
            yield _render_one(index, configs[index])
        while children:
            pid, read, share = children[0]
            delivered = set()
            with os.fdopen(read, "rb") as pipe:
                children[0] = (pid, -1, share)
                try:
                    while True:
                        index, files, resources, seconds = pickle.load(pipe)
                        delivered.add(index)
                        yield _Rendered(index, configs[index], files, resources, seconds)
                except (EOFError, pickle.UnpicklingError, ValueError, TypeError):
                    pass
            _reap(pid)
            children.pop(0)
            for index in share:
                if index not in delivered:
                    yield _render_one(index, configs[index])
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


def build_files(configs: Sequence[EnvConfig], workers: int = 1) -> dict[str, str]:
    """Every output file of the given environments, by path relative to the out folder."""
    files: dict[str, str] = render.render_shared()
    for rendered in sorted(_render_all(configs, workers), key=lambda r: r.index):
        files.update(rendered.files)
    return files


def _policy_files(project: Path) -> tuple[Path, ...]:
    """Files under ``policies/`` beside the params folder: inputs of the lint cache key."""
    folder = project / POLICIES_DIR
    return tuple(sorted(p for p in folder.rglob("*") if p.is_file())) if folder.is_dir() else ()


@dataclass
class _Row:
    """One environment's line of the summary."""

    prefix: str
    resources: int = 0
    template_bytes: int = 0
    seconds: float = 0.0
    lint: str = "skipped"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """On a terminal, one line per environment as it is finished, rewritten in place.

    Shown only on long builds: nothing appears during the first PROGRESS_AFTER_SECONDS.
    """

    def __init__(self, stream: TextIO, total: int, start: float) -> None:
        self.stream, self.total, self.start = stream, total, start
        self.enabled = _is_terminal(stream)
        self.count, self.shown = 0, False

    def done(self, env: str, what: str) -> None:
        self.count += 1
        if self.enabled and time.perf_counter() - self.start >= PROGRESS_AFTER_SECONDS:
            width = len(str(self.total))
            self.stream.write(f"\r\033[K[{self.count:>{width}}/{self.total}] {env}: {what}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def _summary(rows: Sequence[_Row], seconds: float, terminal: bool) -> list[str]:
    """The summary table: a line per environment starting ``<env>: ``, then a total on a terminal."""
    width = max(len(row.prefix) for row in rows)
    lines = [
        f"{row.prefix:<{width}}  {row.resources:>3} resources  {row.template_bytes:>7,} bytes  "
        f"lint {row.lint:<7}  {row.seconds:5.2f} s"
        for row in rows
    ]
    if terminal:
        outcomes = {}
        for row in rows:
            outcomes[row.lint] = outcomes.get(row.lint, 0) + 1
        lint = ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items()))
        lines.append(f"{len(rows)} environment(s): {sum(r.resources for r in rows)} resources, "
                     f"{sum(r.template_bytes for r in rows):,} template bytes, lint {lint}, {seconds:.2f} s")
    return lines


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    start = time.perf_counter()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args.out)
    out_shown = args.out.rstrip("/") or "/"
    params_dir = Path(args.params)

    try:
        configs = load_environments(params_dir, args.params.rstrip("/") or "/", args.envs)
    except ParamsErrors as exc:
        for error in exc.errors:
            print(error, file=stderr)
        print(f"{len(exc.errors)} problem(s) in params; nothing was written", file=stderr)
        return EXIT_BAD_INPUT
    if not configs:
        print(f"{args.params}: no environments (add <env>.yaml files)", file=stderr)
        return EXIT_BAD_INPUT

    workers = args.jobs or checks.available_cpus()
    progress = _Progress(stdout, len(configs), start)
    rows = [_Row(f"{cfg.env}: {out_shown}/{cfg.env}/ ({cfg.stack_name}, {cfg.region})") for cfg in configs]
    files: dict[str, str] = render.render_shared()

    order: list[int] = []  # config index of each lint job, in the order they are submitted

    def rendered_jobs() -> Iterator[checks.LintJob]:
        """Render env after env, yielding each template to lint as soon as it exists."""
        for rendered in _render_all(configs, workers):
            cfg, row = rendered.cfg, rows[rendered.index]
            files.update(rendered.files)
            text = rendered.files[f"{cfg.env}/{render.TEMPLATE_FILE}"]
            row.resources, row.template_bytes, row.seconds = rendered.resources, len(text.encode()), rendered.seconds
            if args.no_lint:
                progress.done(cfg.env, "rendered")
            order.append(rendered.index)
            yield checks.LintJob(f"{out_shown}/{cfg.env}/{render.TEMPLATE_FILE}", text, cfg.region)

    def on_result(submitted: int, result: checks.LintResult) -> None:
        index = order[submitted]
        row = rows[index]
        row.seconds += result.seconds
        outcome = f"{len(result.findings)} finding(s)" if result.findings else "passed"
        row.lint = "cached" if result.cached and not result.findings else outcome
        progress.done(configs[index].env, f"lint {row.lint} ({result.seconds:.2f} s)")

    jobs = rendered_jobs()
    try:
        if not args.no_lint:
            for row in rows:
                row.lint = "passed"  # unless the lint reports otherwise
            project = params_dir.resolve().parent
            cache = None if args.no_cache else checks.LintCache(checks.default_cache_dir(project))
            options = checks.LintOptions(extra_inputs=_policy_files(project))
            findings = checks.lint(checks.LintBatch(jobs, options, cache, workers, on_result))
            progress.clear()
            if findings:
                for finding in findings:
                    print(finding, file=stderr)
                print(f"{len(findings)} cfn-lint finding(s); nothing was written", file=stderr)
                return EXIT_FINDINGS
        for _ in jobs:  # render whatever the lint step did not ask for (all of it with --no-lint)
            pass
    finally:
        jobs.close()
        progress.clear()

    scope = tuple(cfg.env for cfg in configs) if args.envs else None
    if args.check:
        stale = emit.stale_files(files, out_dir, scope)
        for problem in stale:
            print(f"{out_shown}/{problem}", file=stderr)
        if stale:
            print(f"{len(stale)} file(s) out of date; run: python build.py", file=stderr)
            return EXIT_FINDINGS
        print(f"{out_shown} is up to date ({len(configs)} environment(s))", file=stdout)
        return EXIT_OK

    try:
        with emit.build_lock(out_dir, on_wait=lambda: print("waiting for another build to finish...", file=stderr)):
            emit.write_tree(files, out_dir, scope)
    except (emit.EmitError, OSError) as exc:
        detail = str(exc) if isinstance(exc, emit.EmitError) else f"{exc.filename or out_shown}: {exc.strerror}"
        print(f"cannot write {out_shown}: {detail}", file=stderr)
        return EXIT_BAD_INPUT
    for line in _summary(rows, time.perf_counter() - start, _is_terminal(stdout)):
        print(line, file=stdout)
    return EXIT_OK
