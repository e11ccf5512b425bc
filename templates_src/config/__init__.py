"""Loading and validating params: files -> merged raw tree -> validated, resolved ``EnvConfig``.

``reading`` turns files into a raw tree with line marks, ``schema`` declares every key, ``rules``
validates, ``derive`` fills in the defaults that depend on other keys. ``product_settings`` is
params/_product.yaml (its keys and its rules); ``budget`` and ``stack_set_instances`` are facts
of validated configs (what proxies may open together, a stack set's instances as environments).
Nothing here imports a later stage.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from pathlib import Path

from ..facts.aws import ENV_NAME_PATTERN
from ..facts.paths import reserved_out_name
from .rules import cross_env, env as rules, stack_set as stack_set_rules
from . import derive
from . import product_settings
from .errors import KeyPath, ParamsError, ParamsErrors
from .reading.layers import DEFAULTS_FILE, ENGINE_DEFAULTS_FILES, ENGINE_FILE, Layers, load_layers
from .reading.merge import merge_documents
from .schema.model import EnvConfig
from .product_settings import DEFAULT_SETTINGS, PRODUCT_SETTINGS_FILE, ProductSettings
from .rules.single_key import INVALID, Validator
from .reading.yaml_loader import Document, load

# Files of the params folder that are not environments but would be ignored if misnamed
# (misnamed engine defaults, _defaults.mysql.yml, are reported by defaults.load_layers).
SPECIAL_FILES = (DEFAULTS_FILE, PRODUCT_SETTINGS_FILE)
READ_FILES = (DEFAULTS_FILE, *ENGINE_DEFAULTS_FILES, PRODUCT_SETTINGS_FILE)  # every _ file the build reads
PARAMS_SUFFIX = ".yaml"
_MISNAMED_SUFFIXES = (".yml", ".yaml")  # compared case-insensitively: dev.yml, dev.YAML

__all__ = ["DEFAULT_SETTINGS", "EnvConfig", "ParamsError", "ParamsErrors", "ProductSettings", "discover",
           "load_environments", "load_product_settings"]


def discover(params_dir: Path, shown_dir: str) -> tuple[list[str], list[ParamsError]]:
    """The environment names in a params folder, and problems with its file names."""
    try:
        entries = sorted(p.name for p in params_dir.iterdir())
    except OSError as exc:
        return [], [ParamsError(shown_dir, 0, 0, (), f"cannot read the params folder: {exc.strerror}")]
    names, errors = [], []
    for entry in entries:
        stem, dot, suffix = entry.rpartition(".")
        misnamed = not entry.endswith(PARAMS_SUFFIX) and f"{dot}{suffix}".lower() in _MISNAMED_SUFFIXES
        misnamed_special = misnamed and stem + PARAMS_SUFFIX in SPECIAL_FILES  # _defaults.yml would be ignored
        shown = f"{shown_dir}/{entry}"
        if entry.startswith("_") and not misnamed_special:
            # A file whose settings would never apply (_default.yaml, _Product.yaml, _defaults.yaml.bak);
            # the engine defaults' misnames are load_layers' to report.
            if entry not in READ_FILES and not ENGINE_FILE.fullmatch(entry) and not (params_dir / entry).is_dir():
                close = difflib.get_close_matches(entry.lower(), READ_FILES, n=1, cutoff=0.8)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                errors.append(ParamsError(shown, 0, 0, (), f"not a file the build reads{hint}; of the _ files it reads "
                                                            f"only {', '.join(READ_FILES)} (rename or remove it)"))
            continue
        if entry.startswith("."):
            continue
        if misnamed:
            errors.append(ParamsError(shown, 0, 0, (), f"params files end in {PARAMS_SUFFIX}; rename it to "
                                                        f"{stem}{PARAMS_SUFFIX}"))
        elif entry.endswith(PARAMS_SUFFIX):
            env = entry[: -len(PARAMS_SUFFIX)]
            if reserved := reserved_out_name(env):
                errors.append(ParamsError(shown, 0, 0, (), reserved))
            elif re.fullmatch(ENV_NAME_PATTERN, env):  # not re.match: its $ matches before a final newline
                names.append(env)
            else:
                errors.append(ParamsError(shown, 0, 0, (), f"{env!r} is not a valid environment name "
                                                            f"(lowercase letter first, then a-z, 0-9, -)"))
    return sorted(names), errors  # by name: dev before dev-reports (dev-reports.yaml sorts first)


def _locator(doc: Document):
    def locate(path: KeyPath) -> tuple[str, int, int]:
        for end in range(len(path), 0, -1):
            mark = doc.marks.get(path[:end])
            if mark is not None:
                return mark.file, mark.line, mark.col
        return doc.file, 1, 1

    return locate


def _load_one(env: str, shown: str, path: Path, layers: Layers) -> tuple[EnvConfig | None, list[ParamsError], Document]:
    doc, errors = load(path, shown, path.parent)
    if doc.data is None:  # not a params tree at all (unreadable, not YAML, not a mapping)
        return None, errors, doc
    # The loader's problems (a YAML 1.1 boolean, a tag) leave REPORTED values behind: validation
    # goes on around them, so the file's other problems come out in the same run.
    merged = merge_documents(layers.under(doc), doc)
    validator = Validator(_locator(merged))
    built = validator.build(EnvConfig, merged.data, ())
    if built is INVALID or errors:
        return None, errors + validator.errors, merged
    cfg = dataclasses.replace(built, env=env, source=shown)
    rules.check(cfg, validator.error)  # exposure_rules' too (rules.RULES lists them)
    # The stack set's rules, and every rule again on each stack instance (not while the env itself
    # has problems: each would come back once per instance).
    stack_set_rules.check(cfg, validator.error, None if validator.errors else rules.check)
    if validator.errors:
        return None, validator.errors, merged
    return derive.resolve(cfg), [], merged


def load_environments(params_dir: Path, shown_dir: str, wanted: Sequence[str] = ()) -> list[EnvConfig]:
    """Every wanted environment (all when none is named), validated and resolved.

    Raises ParamsErrors with every problem found, across all files, sorted by file and line.
    """
    names, errors = discover(params_dir, shown_dir)
    for env in wanted:
        if env not in names:
            errors.append(ParamsError(f"{shown_dir}/{env}{PARAMS_SUFFIX}", 0, 0, (),
                                      f"no such environment {env!r} (have: {', '.join(names) or 'none'})"))
    layers, defaults_errors, broken = load_layers(params_dir, shown_dir)
    if broken:  # every environment would be judged against a broken base
        raise ParamsErrors(errors + defaults_errors)
    errors += defaults_errors  # values they reported are REPORTED in every env: no second message
    # Each layer on its own terms too, so that a bad value every env overrides today is reported
    # before an env relies on it (an env's build reports the same error once: ParamsErrors merges).
    for layer in layers.documents():
        checker = Validator(_locator(layer), partial=True)
        checker.build(EnvConfig, layer.data, ())
        errors += checker.errors

    building = list(dict.fromkeys(wanted or names))
    configs, neighbours, docs = [], [], {}
    for env in [*building, *(name for name in names if name not in building)]:
        shown = f"{shown_dir}/{env}{PARAMS_SUFFIX}"
        cfg, env_errors, doc = _load_one(env, shown, params_dir / f"{env}{PARAMS_SUFFIX}", layers)
        if env in building:
            errors += env_errors
        if cfg is not None:
            (configs if env in building else neighbours).append(cfg)
            docs[env] = doc
    # Environments not built this time still share accounts and databases with those that are:
    # their valid configs take part in the cross-environment rules (first, so that a clash is
    # reported on the environment being built); their own problems are not this build's.
    errors += cross_env.check([*neighbours, *configs], lambda cfg, path: _locator(docs[cfg.env])(path),
                              report_on={cfg.env for cfg in configs})
    if errors:
        raise ParamsErrors(errors)
    return configs


def load_product_settings(params_dir: Path, shown_dir: str) -> tuple[ProductSettings, list[ParamsError]]:
    """The Service Catalog product's settings (``params/_product.yaml``; without it the secure
    values only), and every problem with the file. Loaded like ``_defaults.yaml``: the same
    reader (line marks, no tags, size limits), the same validator (unknown keys, types)."""
    shown = f"{shown_dir}/{PRODUCT_SETTINGS_FILE}"
    path = params_dir / PRODUCT_SETTINGS_FILE
    if not (path.exists() or path.is_symlink()):  # a dangling link is refused by the reader, not skipped
        return dataclasses.replace(DEFAULT_SETTINGS, source=shown), []
    doc, errors = load(path, shown, params_dir)
    if doc.data is None:
        return dataclasses.replace(DEFAULT_SETTINGS, source=shown), errors
    validator = Validator(_locator(doc))
    built = validator.build(ProductSettings, doc.data, ())
    if built is INVALID or errors:
        return dataclasses.replace(DEFAULT_SETTINGS, source=shown), errors + validator.errors
    settings = dataclasses.replace(built, source=shown)
    product_settings.check(settings, doc.data, validator.error)
    return settings, validator.errors
