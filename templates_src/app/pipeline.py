"""The build's stages, in order (``build``):

check the folders -> load (the product's settings, then the params; meanwhile the Service Catalog
product, from the cache or built in the background) -> render and lint (``rendering``: each env's
files and launch check as it is rendered, each template linted as soon as it exists) -> the
catalog (the product, and the envs it can launch) -> compare (--check, --diff) or write -> summary.

What makes them fast (the caches, the worker processes, the product built in the background) is
behind one object, ``speed.Speed``. A stage that ends the build raises ``Stopped`` (``stopped``),
which the command line reports (``cli``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TextIO

from .. import __version__, catalog, stacksets
from ..checks.guard import PROJECT_POLICIES, PolicyError, policy_files, validate_policies
from ..config import (DEFAULT_SETTINGS, EnvConfig, ParamsErrors, ProductSettings, budget, load_environments,
                      load_product_settings)
from ..facts import paths
from ..facts.hazards import REFUSED_BY_BUILD, REFUSED_BY_CHECK
from ..impact import assess as impact
from ..impact.deployed import Deployed, DeployedError
from ..output import compare, emit, report
from ..render import files as render
from ..speed import Speed
from ..speed.product import ProductStep
from . import failsafe, rendering
from ..facts.exit_codes import EXIT_OK
from .stopped import BadArguments, BadParams, BadPolicy, CannotRead, CannotWrite, NoEnvironments, Refused

ORGANISATION_POLICIES = PROJECT_POLICIES / "org"  # drop your organisation's .guard files here
CONSOLE_UPLOAD_LIMIT = 51_200  # bytes of a template body the console and CLI take without S3


@dataclass(frozen=True)
class Request:
    """What the command line asked for, and where to print."""

    args: argparse.Namespace
    stdout: TextIO
    stderr: TextIO
    start: float  # when the command started: the summary's time counts from it

    @property
    def params_dir(self) -> Path:
        return Path(self.args.params)

    @property
    def out_dir(self) -> Path:
        return Path(self.args.out)

    @property
    def out_shown(self) -> str:
        """The out folder as messages name it."""
        return self.args.out.rstrip("/") or "/"

    def scope(self, configs: Sequence[EnvConfig]) -> tuple[str, ...] | None:
        """The top-level folders of the out folder this build answers for (None: all of it)."""
        return tuple(cfg.env for cfg in configs) if self.args.envs else None


@dataclass(frozen=True)
class Loaded:
    """The build's inputs, validated."""

    settings: ProductSettings  # the Service Catalog product's (``_product.yaml``)
    configs: list[EnvConfig]
    product: ProductStep  # being built in the background, or read from the cache
    policies: tuple[Path, ...]  # the organisation's .guard files (none with --no-lint)
    deployed: Deployed  # what the out folder (or --against's revision of it) holds now


@dataclass(frozen=True)
class Built:
    """Every file of the build by path relative to the out folder, each env's summary row, and
    the notes that end the summary."""

    files: dict[str, str]
    rows: list[report.Row]
    notes: list[str]


def build(request: Request, templates: Callable[[], Mapping[str, bytes]] | None = None) -> int:
    """The build, stage after stage; its exit status. ``templates``: the jinja templates compiled
    elsewhere (``program``), waited for when the renders, or the product's child, need them.
    Raises ``Stopped``."""
    templates = cache(templates) if templates else None  # asked for by two stages, waited for once
    check_folders(request)
    policies, speed = prepare(request)
    # The no-op --check: nothing changed since a build that passed, so nothing to load or render.
    if request.args.check and not request.args.against and (done := speed.last_build(request.out_dir)):
        print(f"{request.out_shown} is up to date ({done['environments']} environment(s))", file=request.stdout)
        return EXIT_OK
    loaded = load(request, speed, policies, templates)
    renders = rendering.render_and_lint(request, loaded, speed, templates)
    built = add_catalog(request, loaded, renders)
    warn_of_large_templates(request, loaded, built)
    if request.args.check or request.args.diff:
        return compare_with_out(request, loaded, built, speed)
    write(request, loaded, built)
    speed.record(request.out_dir, len(loaded.configs))
    summarise(request, loaded, built)
    return EXIT_OK


def check_folders(request: Request) -> None:
    """Folders a build cannot use, or would destroy its own input with."""
    args = request.args
    for option, folder in (("--out", args.out), ("--params", args.params)):
        if reason := paths.problem(option, folder):
            raise BadArguments(reason)
    if failsafe.params_inside_out(request.params_dir, request.out_dir):
        raise BadArguments(f"the params folder {args.params!r} is inside the out folder {args.out!r}, which a "
                           "build replaces; keep params outside --out")


def prepare(request: Request) -> tuple[tuple[Path, ...], Speed]:
    """The .guard files to enforce, and the speed machinery with the fingerprint of the inputs."""
    args = request.args
    try:
        policies = () if args.no_lint else _policy_files(args.policies)
    except PolicyError as exc:
        raise BadPolicy(str(exc)) from None
    # What of the command line can change the output.
    options = {"envs": sorted(set(args.envs)), "params": args.params, "no_lint": args.no_lint,
               "policies": [str(p) for p in policies]}
    return policies, Speed.for_build(request.params_dir, options, policies, no_cache=args.no_cache, jobs=args.jobs)


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


def load(request: Request, speed: Speed, policies: tuple[Path, ...],
         templates: Callable[[], Mapping[str, bytes]] | None = None) -> Loaded:
    """The deployed state, the product's settings and every env's params, validated: every
    problem of the params folder at once. The product is started as soon as its settings are in
    (a child built in the background gets the jinja ``templates`` it renders the users' SQL with,
    rather than compiling its own)."""
    args = request.args
    try:
        deployed = Deployed.at_revision(request.out_dir, args.against) if args.against else \
            Deployed.folder(request.out_dir)
    except DeployedError as exc:
        raise BadArguments(str(exc)) from None
    shown_params = args.params.rstrip("/") or "/"
    # The product's settings first (a small file): the product is built from them.
    settings, settings_errors = load_product_settings(request.params_dir, shown_params)
    # The product, portfolio and factory files, built (unless cached) while the params are read.
    product = speed.product(settings, before_build=lambda: rendering.use_templates(templates)) \
        if not settings_errors else None
    try:
        configs = [dataclasses.replace(cfg, out_dir=paths.shown(args.out))  # what its guides' commands name
                   for cfg in load_environments(request.params_dir, shown_params, args.envs)]
    except ParamsErrors as exc:
        if product:
            product.cancel()
        raise BadParams(ParamsErrors([*settings_errors, *exc.errors]).errors) from None  # sorted, each once
    if settings_errors:
        raise BadParams(ParamsErrors(settings_errors).errors)
    assert product is not None
    if not configs:
        product.cancel()
        raise NoEnvironments(args.params)
    return Loaded(settings, configs, product, policies, deployed)


def add_catalog(request: Request, loaded: Loaded, renders: rendering.Renders) -> Built:
    """The Service Catalog files: the product, and a provisioning file for each env it can
    launch; a note for each it can't."""
    product = loaded.product.product()
    if request.args.no_lint:
        rendering.refuse_stack_sets(loaded, product)
    offered, notes = catalog_configs(loaded.configs, renders.mismatches, loaded.settings)
    renders.files.update(catalog.render_catalog(offered, __version__, checked=True, shared=product.files,
                                                settings=loaded.settings))
    return Built(renders.files, renders.rows, notes)


def warn_of_large_templates(request: Request, loaded: Loaded, built: Built) -> None:
    for row, cfg in zip(built.rows, loaded.configs):
        if row.template_bytes > CONSOLE_UPLOAD_LIMIT:
            print(f"warning: {request.out_shown}/{cfg.env}/{render.TEMPLATE_FILE} is {row.template_bytes:,} bytes, "
                  f"over the {CONSOLE_UPLOAD_LIMIT:,}-byte console upload limit: deploy it from S3",
                  file=request.stderr)


def compare_with_out(request: Request, loaded: Loaded, built: Built, speed: Speed) -> int:
    """--check (stale files: exit 1) or --diff: the build against the out folder, with the impact
    on each deployed stack; nothing is written but the record of a --check that passed."""
    args, configs, files, out_shown = request.args, loaded.configs, built.files, request.out_shown
    try:
        impacts = impact.assess(configs, files, loaded.deployed)  # what updating each deployed stack does
        files.update(impact.update_policies(configs, files, impacts, loaded.deployed))
        if args.diff:
            return compare.diff(args.format == "json", args.exit_code, impacts, files, request.out_dir, out_shown,
                                request.scope(configs), request.stdout)
        if refused := impact.refusals(impacts, REFUSED_BY_CHECK):
            raise Refused(refused, "")
        code = compare.check(files, request.out_dir, out_shown, request.scope(configs), len(configs),
                             request.stdout, request.stderr)
    except BrokenPipeError:
        raise  # the reader of --diff went away; not a problem with the out folder
    except OSError as exc:
        raise CannotRead(f"{out_shown}: {exc.filename or out_shown}: {exc.strerror or exc}") from None
    if code == EXIT_OK and not args.against:
        speed.record(request.out_dir, len(configs))
    return code


def write(request: Request, loaded: Loaded, built: Built) -> None:
    """The out folder replaced by the build in one step, unless the update of a deployed stack
    has a hazard a build refuses; its notices on stderr."""
    configs, files, stderr = loaded.configs, built.files, request.stderr
    try:
        with emit.build_lock(request.out_dir, on_wait=lambda: print("waiting for another build to finish...",
                                                                    file=stderr)):
            # Under the lock: the impact on the out folder this build replaces, not on an earlier one.
            impacts = impact.assess(configs, files, loaded.deployed)
            if refused := impact.refusals(impacts, REFUSED_BY_BUILD):
                raise Refused(refused, "; nothing was written")
            files.update(impact.update_policies(configs, files, impacts, loaded.deployed))
            for line in [*impact.notices(impacts, REFUSED_BY_BUILD), *impact.unused_accepts(configs, impacts)]:
                print(line, file=stderr)
            emit.write_tree(files, request.out_dir, request.scope(configs))
    except (emit.EmitError, OSError) as exc:
        if isinstance(exc, emit.EmitError) or not exc.strerror:
            detail = str(exc)
        else:
            detail = f"{exc.filename or request.out_shown}: {exc.strerror}"
        raise CannotWrite(f"{request.out_shown}: {detail}") from None


def summarise(request: Request, loaded: Loaded, built: Built) -> None:
    """A line per env, what each database's proxies may open together, and the notes."""
    stdout = request.stdout
    for line in report.summary(built.rows, time.perf_counter() - request.start, report.is_terminal(stdout)):
        print(line, file=stdout)
    for line in budget.summary_lines(loaded.configs):  # one per database: what its proxies may open together
        print(line, file=stdout)
    for note in built.notes:
        print(note, file=stdout)


def build_files(configs: Sequence[EnvConfig], workers: int = 1,
                settings: ProductSettings = DEFAULT_SETTINGS) -> dict[str, str]:
    """Every output file of the given environments (and the product built with ``settings``), by
    path relative to the out folder: the build in memory, without caches or lint."""
    product = catalog.build_product(__version__, settings)
    if problems := stacksets.launch_problems(configs, product.body, settings):
        raise ParamsErrors(problems)
    files: dict[str, str] = render.render_shared()
    mismatches: dict[str, list[str]] = {}
    check = partial(catalog.launch_mismatches, product_body=product.body, settings=settings)
    for rendered in sorted(Speed(None, workers).render(configs, check, settings), key=lambda r: r.index):
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
