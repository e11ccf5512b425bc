"""What makes a build fast without changing a byte of what it makes, behind one object: ``Speed``.

- The no-op --check: a fingerprint of every input, recorded with a digest of the out folder by
  each build that passed (``build_cache.BuildCache``; ``last_build``, ``record``).
- The Service Catalog product: kept by code and settings digest, else built in a forked child
  while the params are read (``product``, ``background``; ``Speed.product``).
- Each env's files and launch check: kept by config and code digest
  (``build_cache.ConfigResults``), else rendered by forked workers (``workers``; ``Speed.render``).
- Each template's lint result: kept by template and lint context (``lint_cache``), else linted
  by worker processes (``checks.lint``; ``Speed.lint``).

Without a cache folder (--no-cache) nothing is read or kept, and the workers still run.

``program`` imports ``speed.background``, so this package too, before the build's modules: its
child starts compiling the jinja templates only once that import is done. So nothing is
imported here but what annotations name; each method imports the modules behind it (already
loaded by then: the build imports them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    from ..checks.lint import Finding, LintJob, LintResult
    from ..config import EnvConfig, ProductSettings
    from .build_cache import ConfigResults
    from .product import ProductStep
    from .workers import DeferredCheck, EnvCheck, Rendered

RENDER_CACHE_ENTRY = "rendered"  # build_cache.ConfigResults: each env's files and launch check


class Speed:
    """The caches under ``cache_dir`` (None: none) and ``workers`` processes for rendering and
    linting. Made for one build by ``for_build``; ``Speed(None, n)`` is a cold build's."""

    def __init__(self, cache_dir: Path | None = None, workers: int = 1) -> None:
        self.cache_dir = cache_dir
        self.workers = workers
        self._fingerprint = ""
        self._kept: ConfigResults | None = None

    @classmethod
    def for_build(cls, params_dir: Path, options: Mapping[str, object], policies: Sequence[Path], *,
                  no_cache: bool, jobs: int | None) -> Speed:
        """The caches beside the params folder (``lint_cache.default_cache_dir``; none with
        ``no_cache``) and ``jobs`` workers (default: one per CPU available), with the fingerprint
        of this build's inputs taken now: the params folder, the code, ``policies`` and the
        .cfnlintrc files, and ``options`` (what of the command line can change the output)."""
        from ..checks.lint import available_cpus
        from .build_cache import fingerprint
        from ..checks.lint_template import cfnlintrc_files
        from .lint_cache import default_cache_dir

        speed = cls(None if no_cache else default_cache_dir(params_dir.resolve().parent), jobs or available_cpus())
        if speed.cache_dir is not None:
            speed._fingerprint = fingerprint(params_dir, dict(options), [*policies, *cfnlintrc_files()])
        return speed

    def last_build(self, out_dir: Path) -> dict[str, object] | None:
        """What the last build with these very inputs recorded (``environments``: how many it
        made), when the out folder is still exactly as it left it; else None."""
        from .build_cache import BuildCache

        return BuildCache(self.cache_dir).up_to_date(self._fingerprint, out_dir) if self.cache_dir else None

    def record(self, out_dir: Path, environments: int) -> None:
        """The out folder, as it is now, is what these inputs make (``last_build``)."""
        from .build_cache import BuildCache

        if self.cache_dir is not None:
            BuildCache(self.cache_dir).record(self._fingerprint, out_dir, environments)

    def product(self, settings: ProductSettings, before_build: Callable[[], None] | None = None) -> ProductStep:
        """The Service Catalog product built with ``settings``: read from the cache, else started
        in a forked child (``ProductStep.product`` waits for it, ``cancel`` stops it), after
        ``before_build()`` (what the child should inherit)."""
        from .product import ProductStep

        return ProductStep(self.cache_dir, settings, before_build)

    def render(self, configs: Sequence[EnvConfig], check: EnvCheck | DeferredCheck | None,
               settings: ProductSettings) -> Iterator[Rendered]:
        """Every env rendered and ``check``ed, each once, in no particular order (``index`` says
        which): recalled where its config and the code are those of a kept render, else rendered
        by the workers and kept. ``settings``: the product's, which the launch check depends on."""
        from .build_cache import ConfigResults
        from .workers import render_all

        if self.cache_dir is not None:
            self._kept = ConfigResults(self.cache_dir, RENDER_CACHE_ENTRY, max_entries=500,
                                       settings=settings.cache_key())
        return render_all(configs, self.workers, check, self._kept)

    def tidy(self, configs: Iterable[EnvConfig]) -> None:
        """Drop the oldest kept renders beyond the cache's size, never those of ``configs``."""
        if self._kept is not None:
            self._kept.prune(self._kept.key(cfg) for cfg in configs)

    def lint(self, jobs: Iterable[LintJob], policies: Sequence[Path],
             on_result: Callable[[int, LintResult], None]) -> list[Finding]:
        """``checks.lint`` of ``jobs`` (taken as they come) with the .guard files ``policies``,
        each result read from the lint cache or linted by the workers and kept; ``on_result``
        gets each with its job's place in the order of submission."""
        from ..checks import lint as checks
        from .lint_cache import LintCache

        cache = None if self.cache_dir is None else LintCache(self.cache_dir)
        options = checks.LintOptions(policy_files=tuple(policies))
        return checks.lint(checks.LintBatch(jobs, options, cache, self.workers, on_result))
