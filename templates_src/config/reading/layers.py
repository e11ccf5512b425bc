"""The layers of defaults under each environment: ``_defaults.yaml`` (every env), then
``_defaults.<engine>.yaml`` (the envs of that engine family: ``_defaults.postgresql.yaml``), then
the env's own file. Each layer is deep-merged over the one below (mappings key by key, lists
replace whole), so an env's value wins over its engine's, which wins over the global one.

The engine an env belongs to is its own ``engine_family``, else the global default's: the
engine layer cannot choose it (it is the file's name), so ``engine_family`` in one is refused.
Nor may a layer say ``example``: it marks one shipped example's own file, and from a layer it
would mark every env merged over it, a user's own among them, as an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ...facts.aws import EngineFamily
from ..errors import ParamsError
from .merge import merge_documents
from .yaml_loader import Document, load

DEFAULTS_FILE = "_defaults.yaml"
EXAMPLE_KEY = "example"  # EnvConfig.example
ENGINE_FILE = re.compile(r"_defaults\.([^.]+)\.ya?ml", re.IGNORECASE)


def engine_defaults_file(engine: EngineFamily) -> str:
    return f"_defaults.{engine.value.lower()}.yaml"


ENGINE_DEFAULTS_FILES = tuple(engine_defaults_file(e) for e in EngineFamily)


@dataclass
class Layers:
    """The defaults documents of one params folder."""

    common: Document | None = None
    by_engine: dict[EngineFamily, Document] = field(default_factory=dict)

    def documents(self) -> list[Document]:
        """Every layer, the global one first."""
        return [*([self.common] if self.common else []), *self.by_engine.values()]

    def under(self, env: Document) -> Document | None:
        """The defaults to merge under ``env``: the global ones with its engine's over them."""
        engine = _engine_of(env) or (_engine_of(self.common) if self.common else None)
        layer = self.by_engine.get(engine) if engine else None
        if layer is None:
            return self.common
        return merge_documents(self.common, layer) if self.common else layer


def _engine_of(doc: Document) -> EngineFamily | None:
    value = doc.data.get("engine_family") if isinstance(doc.data, dict) else None
    return next((e for e in EngineFamily if e.value == value), None)


def load_layers(params_dir: Path, shown_dir: str) -> tuple[Layers, list[ParamsError], bool]:
    """The folder's defaults, their problems, and whether a layer is unusable (not a mapping,
    unreadable: every env of it would be judged against a broken base)."""
    layers, errors, broken = Layers(), [], False
    if (params_dir / DEFAULTS_FILE).exists():
        shown = f"{shown_dir}/{DEFAULTS_FILE}"
        layers.common, found = load(params_dir / DEFAULTS_FILE, shown, params_dir)
        errors += found
        broken |= layers.common.data is None
        errors += _example_in_layer(layers.common, shown)
    try:
        entries = sorted(p.name for p in params_dir.iterdir())
    except OSError:
        entries = []  # discover reports the folder
    known = {f: e for e, f in zip(EngineFamily, ENGINE_DEFAULTS_FILES)}
    for entry in entries:
        match = ENGINE_FILE.fullmatch(entry)
        if not match:
            continue
        shown = f"{shown_dir}/{entry}"
        if entry not in known:
            lowered = f"_defaults.{match.group(1).lower()}.yaml"
            hint = f"rename it to {lowered}" if lowered in known else \
                f"the engine files are {', '.join(ENGINE_DEFAULTS_FILES)}"
            errors.append(ParamsError(shown, 0, 0, (), f"not a defaults file of an engine family; {hint}"))
            continue
        doc, found = load(params_dir / entry, shown, params_dir)
        errors += found
        if doc.data is None:
            broken = True
            continue
        if "engine_family" in doc.data:
            mark = doc.marks.get(("engine_family",))
            errors.append(ParamsError(shown, mark.line if mark else 1, mark.col if mark else 1, ("engine_family",),
                                      f"an engine's defaults apply to its envs (this file's name says "
                                      f"{known[entry].value}); remove it"))
        errors += _example_in_layer(doc, shown)
        layers.by_engine[known[entry]] = doc
    return layers, errors, broken


def _example_in_layer(doc: Document, shown: str) -> list[ParamsError]:
    if not isinstance(doc.data, dict) or EXAMPLE_KEY not in doc.data:
        return []
    mark = doc.marks.get((EXAMPLE_KEY,))
    return [ParamsError(shown, mark.line if mark else 1, mark.col if mark else 1, (EXAMPLE_KEY,),
                        "only an env's own file may say it is a shipped example: here it would mark every env "
                        "merged over this file; remove it")]
