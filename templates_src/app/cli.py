"""The command line: arguments, the order of the build's steps, exit codes, printing errors.

Exit status: see ``exit_codes``.

Steps: load and validate params, meanwhile the Service Catalog product (``product_step``: kept in
the cache by code digest, else built in a forked child) -> render every environment and check
that the product launches it as its own template (``workers``; with --no-lint the renders do not
wait for the product, only their checks do) -> lint each template with
cfn-lint and the Guard policies, cached (``checks``) -> compare (--check, --diff: ``compare``)
or write atomically (``emit``) -> summary (``report``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import NoReturn, TextIO

from ..facts.exit_codes import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from .. import __version__, catalog, stacksets
from ..config import budget
from ..checks import lint as checks, lint_template
from ..speed import lint_cache
from ..output import compare, emit, report
from . import failsafe as guards
from ..facts import paths
from ..render import files as render
from ..facts.hazards import REFUSED_BY_BUILD, REFUSED_BY_CHECK
from ..impact import assess as impact
from ..impact.deployed import Deployed, DeployedError
from ..facts.aws import DEFAULT_REGION
from ..speed.build_cache import BuildCache, ConfigResults, fingerprint
from ..config import DEFAULT_SETTINGS, EnvConfig, ParamsErrors, ProductSettings, load_environments, load_product_settings
from ..checks.guard import PROJECT_POLICIES, PolicyError, policy_files, validate_policies
from ..speed.product import ProductStep
from ..speed.workers import DeferredCheck, EnvCheck, render_all

ORGANISATION_POLICIES = PROJECT_POLICIES / "org"  # drop your organisation's .guard files here
CONSOLE_UPLOAD_LIMIT = 51_200  # bytes of a template body the console and CLI take without S3
RENDER_CACHE_ENTRY = "rendered"  # build_cache.ConfigResults: each env's files and launch check
CONSOLE_COMMAND = "rds-proxy-cfn"  # pyproject.toml [project.scripts]


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of this tool (argparse prints the whole usage).
        how = "python build.py" if self.prog == "build.py" else self.prog
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {how} --help)\n")


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
        # The console command (pip's [project.scripts] entry) or the build.py entry point.
        prog=CONSOLE_COMMAND if Path(sys.argv[0]).name == CONSOLE_COMMAND else "build.py",
        description="Generate RDS Proxy CloudFormation templates from per-environment params files.",
        epilog="other commands (each with its own --help): import ENV --from DIR (adopt a proxy made by hand); "
               "status ENV (how a deployed proxy is doing); artifact (build the users provisioner's code)",
    )
    parser.add_argument("envs", nargs="*", metavar="ENV", help="environments to build (default: all)")
    parser.add_argument("--params", default="params", metavar="DIR", help="params folder (default: params)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default: generated)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="build in memory and compare with the output folder; write nothing")
    mode.add_argument("--diff", action="store_true",
                      help="build in memory and print what would change in the output folder; write nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="with --diff: text (the impact in words, then unified diffs) or json (the impact "
                             "as one JSON document)")
    parser.add_argument("--exit-code", action="store_true",
                        help="with --diff: exit 1 when anything would change")
    parser.add_argument("--against", metavar="REV",
                        help="read the deployed templates from git revision REV's out folder (e.g. origin/main) "
                             "instead of the working tree's: the change impact, its refusals and "
                             "stack-policy-during-update.json are those of the change from REV")
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint and the Guard policies")
    parser.add_argument("--no-cache", action="store_true",
                        help="a cold build: lint every template afresh and build the Service Catalog product "
                             "anew; neither read nor write the caches "
                             f"(default location: .cache/rds-proxy-cfn/ beside the params folder, "
                             f"or ${lint_cache.CACHE_ENV_VAR})")
    parser.add_argument("--policies", action="append", default=[], metavar="DIR",
                        help="also enforce the .guard files in DIR (repeatable; policies/ and policies/org/ "
                             "always apply)")
    parser.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                        help="worker processes for rendering and linting (default: the CPUs available)")
    parser.add_argument("--version", action="version", version=f"rds-proxy-cfn {__version__}")
    args = parser.parse_args(argv)
    if not args.diff and (args.exit_code or args.format != "text"):
        parser.error("--format and --exit-code go with --diff")
    return args


def build_files(configs: Sequence[EnvConfig], workers: int = 1,
                settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, str]:
    """Every output file of the given environments (and the product built with ``settings``), by
    path relative to the out folder."""
    product = catalog.build_product(__version__, settings)
    if problems := stacksets.launch_problems(configs, product.body, settings):
        raise ParamsErrors(problems)
    files: dict[str, str] = render.render_shared()
    mismatches: dict[str, list[str]] = {}
    check = partial(catalog.launch_mismatches, product_body=product.body, settings=settings)
    for rendered in sorted(render_all(configs, workers, check), key=lambda r: r.index):
        files.update(rendered.files)
        mismatches[rendered.cfg.env] = rendered.checked or []
    offered = catalog_configs(configs, mismatches, settings)[0]
    files.update(catalog.render_catalog(offered, __version__, checked=True, shared=product.files, settings=settings))
    files.update(impact.update_policies(configs, files, [], None))  # as for a first deploy
    return files


def catalog_configs(configs: Sequence[EnvConfig], mismatches: Mapping[str, Sequence[str]] | None = None,
                    settings: ProductSettings = DEFAULT_SETTINGS) -> tuple[list[EnvConfig], list[str]]:
    """The environments the Service Catalog product (built with ``settings``) can launch, and a
    note for each one it can't (those still get their own template: the product is an extra way
    to deploy). ``mismatches``: what ``catalog.launch_mismatches`` found for each env, when the
    render workers ran it."""
    problems = catalog.launch_problems(configs, __version__, mismatches, settings)
    misfits = {error.file for error in problems}
    notes = [f"note: {error} (not offered through the Service Catalog product)" for error in problems]
    return [cfg for cfg in configs if cfg.source not in misfits], notes


def _refused_stack_sets(configs: Sequence[EnvConfig], product: catalog.Product, settings: ProductSettings,
                        stderr: TextIO) -> bool:
    """Report (and say True) when an env's stack set asks for an instance the product cannot be."""
    if problems := stacksets.launch_problems(configs, product.body, settings):
        report.problems(problems, "params", stderr)
        return True
    return False


def _build_cache(args: argparse.Namespace, params_dir: Path, policies: Sequence[Path],
                 cache_dir: Path | None) -> tuple[BuildCache | None, str]:
    """The cache of finished runs and this run's fingerprint (none with --no-cache)."""
    if cache_dir is None:
        return None, ""
    options = {"envs": sorted(set(args.envs)), "params": args.params, "no_lint": args.no_lint,
               "policies": [str(p) for p in policies]}
    key = fingerprint(params_dir, options, [*policies, *lint_template.cfnlintrc_files()])
    return BuildCache(cache_dir), key


def _policy_files(extra: Sequence[str]) -> tuple[Path, ...]:
    """The organisation's .guard files (policies/org/, --policies), enforced with a Guard engine.
    The project's own policies are cfn-lint rules (lint_rules): they need no engine."""
    folders = [*([ORGANISATION_POLICIES] if ORGANISATION_POLICIES.is_dir() else []),
               *(Path(folder) for folder in extra)]
    if not folders:
        return ()
    files = tuple(policy_files(*folders))
    validate_policies(files)
    return files


@guards.one_line_errors
def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
         templates: Callable[[], Mapping[str, bytes]] | None = None) -> int:
    """The build; ``argv`` None: the command line's. ``templates``: the jinja templates compiled
    elsewhere (``program.run`` has a child compile them while this module is imported), waited
    for when the renders need them."""
    try:
        return _main(argv, stdout, stderr, templates)
    except BrokenPipeError:
        # The reader went away (build.py --diff | head): end quietly. Python's documented recipe
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe): point stdout at devnull
        # so the interpreter's last flush does not fail again.
        if stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS


def _main(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO,
          templates: Callable[[], Mapping[str, bytes]] | None) -> int:
    start = time.perf_counter()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "import":  # an env named "import" builds with: build.py --params params import
        from ..adopt import command as import_command  # its modules (adopt) only for it

        return import_command.run(argv[1:], stdout, stderr)
    if argv and argv[0] == "artifact":  # the provisioner's code, for provisioner.artifact_bucket
        from ..provisioner import artifact

        return artifact.main(list(argv[1:]))
    if argv and argv[0] == "status":  # is the deployed proxy healthy and as reviewed (boto3: the [status] extra)
        from ..status import command

        return command.run(argv[1:], stdout, stderr)
    args = parse_args(argv)
    out_dir = Path(args.out)
    out_shown = args.out.rstrip("/") or "/"
    params_dir = Path(args.params)
    for option, folder in (("--out", args.out), ("--params", args.params)):
        if reason := paths.problem(option, folder):
            print(f"build.py: error: {reason}", file=stderr)
            return EXIT_BAD_INPUT
    if guards.params_inside_out(params_dir, out_dir):
        print(f"build.py: error: the params folder {args.params!r} is inside the out folder {args.out!r}, which a "
              "build replaces; keep params outside --out", file=stderr)
        return EXIT_BAD_INPUT

    try:
        policies = () if args.no_lint else _policy_files(args.policies)
        cache_dir = None if args.no_cache else lint_cache.default_cache_dir(params_dir.resolve().parent)
        build_cache, fingerprint = _build_cache(args, params_dir, policies, cache_dir)
        deployed = Deployed.at_revision(out_dir, args.against) if args.against else Deployed.folder(out_dir)
        if args.check and build_cache and not args.against and (done := build_cache.up_to_date(fingerprint, out_dir)):
            print(f"{out_shown} is up to date ({done['environments']} environment(s))", file=stdout)
            return EXIT_OK
        shown_params = args.params.rstrip("/") or "/"
        # The product's settings first (a small file): the product is built from them.
        settings, settings_errors = load_product_settings(params_dir, shown_params)
        # The product, portfolio and factory files, built (unless cached) while the params are read.
        step = ProductStep(cache_dir, settings) if not settings_errors else None
        try:
            configs = [dataclasses.replace(cfg, out_dir=paths.shown(args.out))  # what its guides' commands name
                       for cfg in load_environments(params_dir, shown_params, args.envs)]
        except ParamsErrors as exc:
            if step:
                step.cancel()
            raise ParamsErrors([*settings_errors, *exc.errors]) from None  # every problem in one run
        if settings_errors:
            raise ParamsErrors(settings_errors)
        assert step is not None
    except ParamsErrors as exc:
        report.problems(exc.errors, "params", stderr)
        return EXIT_BAD_INPUT
    except PolicyError as exc:
        print(f"bad policy: {exc}; nothing was written", file=stderr)
        return EXIT_BAD_INPUT
    except DeployedError as exc:
        print(f"build.py: error: {exc}", file=stderr)
        return EXIT_BAD_INPUT
    if not configs:
        step.cancel()
        print(f"{args.params}: no environments (add <env>.yaml files)", file=stderr)
        return EXIT_BAD_INPUT

    processes = args.jobs or checks.available_cpus()
    progress = report.Progress(stdout, len(configs), start)
    rows = [report.Row(f"{cfg.env}: {out_shown}/{cfg.env}/ ({cfg.stack_name}, {cfg.region})") for cfg in configs]
    # Each env's launch check depends on the product, so on its settings: kept under them too.
    kept = ConfigResults(cache_dir, RENDER_CACHE_ENTRY, max_entries=500, settings=settings.cache_key()) \
        if cache_dir else None
    stack_set_guide = (stacksets.GUIDE_TEMPLATE,) if any(cfg.stack_set is not None for cfg in configs) else ()
    render.prepare_templates(stack_set_guide, compiled=templates() if templates else None)
    # No env's provisioning file yet: which envs the product can launch is checked as each env
    # is rendered, in the render workers. With lint, the product first: it is the longest
    # template to lint, so it is linted while the envs are rendered. Without, the renders start
    # while it is still being built (with --no-cache), and their launch checks wait for it.
    if args.no_lint:
        launch_check: EnvCheck | DeferredCheck = DeferredCheck(
            fetch=lambda: step.product().body,
            run=lambda product_body, cfg, body: catalog.launch_mismatches(cfg, body, product_body, settings))
    else:
        if _refused_stack_sets(configs, step.product(), settings, stderr):
            return EXIT_BAD_INPUT
        launch_check = partial(catalog.launch_mismatches, product_body=step.product().body, settings=settings)
    files: dict[str, str] = render.render_shared()
    mismatches: dict[str, list[str]] = {}
    order: list[int] = []  # config index of each lint job in submission order; -1 for the catalog's
    catalog_region = next((cfg.region for cfg in configs if catalog.fits_product(cfg, settings)), DEFAULT_REGION)

    def rendered_jobs() -> Iterator[checks.LintJob]:
        """Render env after env, yielding each template to lint as soon as it exists."""
        # The catalog's templates first: the product is the longest to lint, so it starts while
        # the environments are still being rendered. They are linted, but not held to the env
        # policies (the product's settings are parameters), only to those of what a launcher may
        # choose (policy_product: no weaker value without its recorded waiver), in one region (it
        # does not vary).
        for path in () if args.no_lint else (catalog.PRODUCT_FILE, catalog.PORTFOLIO_FILE):
            order.append(-1)
            yield checks.LintJob(f"{out_shown}/{path}", step.product().files[path], catalog_region, policies=False)
        for rendered in render_all(configs, processes, launch_check, kept):
            cfg, row = rendered.cfg, rows[rendered.index]
            files.update(rendered.files)
            mismatches[cfg.env] = rendered.checked or []
            text = rendered.files[f"{cfg.env}/{render.TEMPLATE_FILE}"]
            row.resources, row.template_bytes, row.seconds = rendered.resources, len(text.encode()), rendered.seconds
            if args.no_lint:
                progress.done(cfg.env, "rendered")
            order.append(rendered.index)
            deployed = json.loads(rendered.files[f"{cfg.env}/{render.PARAMETERS_FILE}"])
            yield checks.LintJob(f"{out_shown}/{cfg.env}/{render.TEMPLATE_FILE}", text, cfg.region,
                                 parameters=tuple((p["ParameterKey"], p["ParameterValue"]) for p in deployed))
            if cfg.stack_set is not None:  # the stack set's template, in the region it is made in
                order.append(-1)
                path = f"{cfg.env}/{stacksets.STACK_SET_FILE}"
                yield checks.LintJob(f"{out_shown}/{path}", rendered.files[path], cfg.region, policies=False)

    def on_result(submitted: int, result: checks.LintResult) -> None:
        index = order[submitted]
        if index < 0:  # a catalog template: not an environment's row
            return
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
            cache = None if cache_dir is None else lint_cache.LintCache(cache_dir)
            options = checks.LintOptions(policy_files=policies)
            findings = checks.lint(checks.LintBatch(jobs, options, cache, processes, on_result))
            progress.clear()
            if findings:
                for finding in findings:
                    print(finding, file=stderr)
                print(f"{len(findings)} cfn-lint or policy finding(s); nothing was written", file=stderr)
                return EXIT_FINDINGS
        for _ in jobs:  # render whatever the lint step did not ask for (all of it with --no-lint)
            pass
    finally:
        jobs.close()
        progress.clear()
    if kept:
        kept.prune(kept.key(cfg) for cfg in configs)
    product = step.product()
    if args.no_lint and _refused_stack_sets(configs, product, settings, stderr):
        return EXIT_BAD_INPUT
    offered, notes = catalog_configs(configs, mismatches, settings)
    files.update(catalog.render_catalog(offered, __version__, checked=True, shared=product.files, settings=settings))
    for row, cfg in zip(rows, configs):
        if row.template_bytes > CONSOLE_UPLOAD_LIMIT:
            print(f"warning: {out_shown}/{cfg.env}/{render.TEMPLATE_FILE} is {row.template_bytes:,} bytes, over the "
                  f"{CONSOLE_UPLOAD_LIMIT:,}-byte console upload limit: deploy it from S3", file=stderr)

    scope = tuple(cfg.env for cfg in configs) if args.envs else None
    try:
        if args.check or args.diff:
            impacts = impact.assess(configs, files, deployed)  # what updating each deployed stack does
            files.update(impact.update_policies(configs, files, impacts, deployed))
        if args.check:
            if refused := impact.refusals(impacts, REFUSED_BY_CHECK):
                return compare.refuse(refused, "", stderr)
            code = compare.check(files, out_dir, out_shown, scope, len(configs), stdout, stderr)
            if code == EXIT_OK and build_cache and not args.against:
                build_cache.record(fingerprint, out_dir, len(configs))
            return code
        if args.diff:
            return compare.diff(args.format == "json", args.exit_code, impacts, files, out_dir, out_shown, scope, stdout)
    except BrokenPipeError:
        raise  # the reader of --diff went away; not a problem with the out folder
    except OSError as exc:
        print(f"cannot read {out_shown}: {exc.filename or out_shown}: {exc.strerror or exc}", file=stderr)
        return EXIT_BAD_INPUT
    try:
        with emit.build_lock(out_dir, on_wait=lambda: print("waiting for another build to finish...", file=stderr)):
            # Under the lock: the impact on the out folder this build replaces, not on an earlier one.
            impacts = impact.assess(configs, files, deployed)
            if refused := impact.refusals(impacts, REFUSED_BY_BUILD):
                return compare.refuse(refused, "; nothing was written", stderr)
            files.update(impact.update_policies(configs, files, impacts, deployed))
            for line in [*impact.notices(impacts, REFUSED_BY_BUILD), *impact.unused_accepts(configs, impacts)]:
                print(line, file=stderr)
            emit.write_tree(files, out_dir, scope)
    except (emit.EmitError, OSError) as exc:
        if isinstance(exc, emit.EmitError) or not exc.strerror:
            detail = str(exc)
        else:
            detail = f"{exc.filename or out_shown}: {exc.strerror}"
        print(f"cannot write {out_shown}: {detail}", file=stderr)
        return EXIT_BAD_INPUT
    if build_cache:
        build_cache.record(fingerprint, out_dir, len(configs))
    for line in report.summary(rows, time.perf_counter() - start, report.is_terminal(stdout)):
        print(line, file=stdout)
    for line in budget.summary_lines(configs):  # one per database: what its proxies may open together
        print(line, file=stdout)
    for note in notes:
        print(note, file=stdout)
    return EXIT_OK
