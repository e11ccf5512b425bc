"""The build's Service Catalog product: from the cache, or built in the background.

The product (its template and three files) depends on the code and on the product's settings
(``params/_product.yaml``: ``build_cache.settings_digest``), so it is kept in the cache folder
under both. When it is not there (a code or settings change, ``--no-cache``), a forked child
builds it while this process reads and validates the params and renders the envs: on 2 cores
that hides most of its ~0.15 s (benchmarks/README.md, (e)). The child is forked once the jinja
templates are loaded here (``before_build``), so it renders the users' SQL without compiling.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .. import __version__, catalog
from .build_cache import CodeCache
from ..config.product_settings import DEFAULT_SETTINGS, ProductSettings
from .background import Background

PRODUCT_CACHE_ENTRY = "service-catalog-product"


def _built(settings: ProductSettings) -> dict[str, Any]:
    return catalog.build_product(__version__, settings).to_json()


class ProductStep:
    """``start`` at the beginning of a build, ``product`` when the renders need it; ``cancel``
    when the build ends first (bad params). ``cache_dir`` None (--no-cache): build it, neither
    read nor write the cache. ``settings``: the product's (``_product.yaml``), read before.
    ``before_build``: called before a child is forked to build it."""

    def __init__(self, cache_dir: Path | None, settings: ProductSettings = DEFAULT_SETTINGS,
                 before_build: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self._store = CodeCache(cache_dir, settings.cache_key()) if cache_dir else None
        self._product = catalog.Product.from_json(self._store.load(PRODUCT_CACHE_ENTRY)) if self._store else None
        if self._product is None and before_build is not None:
            before_build()  # what the child should inherit (the compiled jinja templates)
        self._job = None if self._product else Background(partial(_built, settings))

    def product(self) -> catalog.Product:
        if self._product is None:
            assert self._job is not None
            built = catalog.Product.from_json(self._job.result())
            self._job = None
            # A garbled delivery: build it here.
            self._product = built or catalog.build_product(__version__, self.settings)
            if self._store:
                self._store.store(PRODUCT_CACHE_ENTRY, self._product.to_json())
        return self._product

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
