"""The render-and-lint stage: every env rendered, and each template linted as soon as it exists.

Each env's launch check (whether the Service Catalog product launches it as its own template)
runs where the env is rendered, in the render workers: no env's provisioning file exists yet.
With lint, the product comes first: it is the longest template to lint, so it is linted while
the envs are rendered. Without, the renders start while it is still being built (with
--no-cache), and only their launch checks wait for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING

from .. import catalog, stacksets
from ..checks import lint as checks
from ..facts.aws import DEFAULT_REGION
from ..output import report
from ..render import files as render
from ..speed import Speed
from ..speed.workers import DeferredCheck, EnvCheck, Rendered
from .stopped import BadParams, LintFailed

if TYPE_CHECKING:
    from .pipeline import Loaded, Request


def render_and_lint(request: Request, loaded: Loaded, speed: Speed,
                    templates: Callable[[], Mapping[str, bytes]] | None) -> Renders:
    """Every env's files, launch check and summary row; raises ``LintFailed`` on any finding
    (with lint), ``BadParams`` when a stack set asks for what the product cannot be."""
    configs = loaded.configs
    stack_set_guide = (stacksets.GUIDE_TEMPLATE,) if any(cfg.stack_set is not None for cfg in configs) else ()
    use_templates(templates, stack_set_guide)
    check = _launch_check(loaded, request.args.no_lint)
    renders = Renders(request, loaded)
    jobs = renders.jobs(speed.render(configs, check, loaded.settings))
    try:
        if not request.args.no_lint:
            for row in renders.rows:
                row.lint = "passed"  # unless the lint reports otherwise
            findings = speed.lint(jobs, loaded.policies, renders.on_result)
            renders.progress.clear()
            if findings:
                raise LintFailed(findings)
        for _ in jobs:  # render whatever the lint did not ask for (all of it with --no-lint)
            pass
    finally:
        jobs.close()
        renders.progress.clear()
    speed.tidy(configs)
    return renders


def use_templates(templates: Callable[[], Mapping[str, bytes]] | None, extra: tuple[str, ...] = ()) -> None:
    """Every jinja template a build renders (and ``extra``) ready: ``render.prepare_templates``
    with those the program's child compiled (``templates``, waited for here)."""
    render.prepare_templates(extra, compiled=templates() if templates else None)


def _launch_check(loaded: Loaded, no_lint: bool) -> EnvCheck | DeferredCheck:
    step, settings = loaded.product, loaded.settings
    if no_lint:
        return DeferredCheck(
            fetch=lambda: step.product().body,
            run=lambda product_body, cfg, body: catalog.launch_mismatches(cfg, body, product_body, settings),
            applies=lambda cfg: catalog.fits_product(cfg, settings))
    refuse_stack_sets(loaded, step.product())
    return partial(catalog.launch_mismatches, product_body=step.product().body, settings=settings)


def refuse_stack_sets(loaded: Loaded, product: catalog.Product) -> None:
    """``BadParams`` when an env's stack set asks for an instance the product cannot be."""
    if problems := stacksets.launch_problems(loaded.configs, product.body, loaded.settings):
        raise BadParams(problems)


class Renders:
    """The renders as they come: every file, each env's launch check and summary row, and each
    template handed to the lint as soon as it exists (``jobs``; ``on_result`` takes the lint's
    results)."""

    def __init__(self, request: Request, loaded: Loaded) -> None:
        self.request, self.loaded = request, loaded
        self.rows = [report.Row(f"{cfg.env}: {request.out_shown}/{cfg.env}/ ({cfg.stack_name}, {cfg.region})")
                     for cfg in loaded.configs]
        self.progress = report.Progress(request.stdout, len(loaded.configs), request.start)
        self.files: dict[str, str] = render.render_shared()
        self.mismatches: dict[str, list[str]] = {}  # what each env's launch check found
        self.order: list[int] = []  # config index of each lint job in submission order; -1: no env's row

    def jobs(self, rendered: Iterable[Rendered]) -> Iterator[checks.LintJob]:
        """Render env after env, yielding each template to lint as soon as it exists."""
        if not self.request.args.no_lint:
            yield from self._catalog_jobs()
        for one in rendered:
            yield from self._taken(one)

    def _catalog_jobs(self) -> Iterator[checks.LintJob]:
        # The catalog's templates first: the product is the longest to lint, so it starts while
        # the environments are still being rendered. They are linted, but not held to the env
        # policies (the product's settings are parameters), only to those of what a launcher may
        # choose (policy_product: no weaker value without its recorded waiver), in one region (it
        # does not vary).
        configs, settings = self.loaded.configs, self.loaded.settings
        region = next((cfg.region for cfg in configs if catalog.fits_product(cfg, settings)), DEFAULT_REGION)
        for path in (catalog.PRODUCT_FILE, catalog.PORTFOLIO_FILE):
            self.order.append(-1)
            yield checks.LintJob(f"{self.request.out_shown}/{path}", self.loaded.product.product().files[path],
                                 region, policies=False)

    def _taken(self, rendered: Rendered) -> Iterator[checks.LintJob]:
        """One env's render kept; its template (and its stack set's) to lint."""
        cfg, row, shown = rendered.cfg, self.rows[rendered.index], self.request.out_shown
        self.files.update(rendered.files)
        self.mismatches[cfg.env] = rendered.checked or []
        text = rendered.files[f"{cfg.env}/{render.TEMPLATE_FILE}"]
        row.resources, row.template_bytes, row.seconds = rendered.resources, len(text.encode()), rendered.seconds
        if self.request.args.no_lint:
            self.progress.done(cfg.env, "rendered")
        self.order.append(rendered.index)
        deployed = json.loads(rendered.files[f"{cfg.env}/{render.PARAMETERS_FILE}"])
        yield checks.LintJob(f"{shown}/{cfg.env}/{render.TEMPLATE_FILE}", text, cfg.region,
                             parameters=tuple((p["ParameterKey"], p["ParameterValue"]) for p in deployed))
        if cfg.stack_set is not None:  # the stack set's template, in the region it is made in
            self.order.append(-1)
            path = f"{cfg.env}/{stacksets.STACK_SET_FILE}"
            yield checks.LintJob(f"{shown}/{path}", rendered.files[path], cfg.region, policies=False)

    def on_result(self, submitted: int, result: checks.LintResult) -> None:
        index = self.order[submitted]
        if index < 0:  # a catalog or stack set template: not an environment's row
            return
        row = self.rows[index]
        row.seconds += result.seconds
        outcome = f"{len(result.findings)} finding(s)" if result.findings else "passed"
        row.lint = "cached" if result.cached and not result.findings else outcome
        self.progress.done(self.loaded.configs[index].env, f"lint {row.lint} ({result.seconds:.2f} s)")
