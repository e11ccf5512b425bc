"""The no-op --check: recognise "nothing changed since a build that passed" without rebuilding;
the cache of results that depend on the code (and settings that are no environment's, like the
product's ``_product.yaml``: ``CodeCache``) and of those that depend on the code and one
environment's config (``ConfigResults``).

A successful build or --check records a fingerprint of everything its output depends on (every
file of the params folder, every file of this package, the policy and .cfnlintrc files, the
versions of Python and of the libraries that shape or judge the output, and the options that
matter) together with a digest of the out folder as it then was. A later --check with the same
fingerprint that finds the out folder still matching that digest is up to date; anything else,
however small, takes the full path. Bytes are compared, never timestamps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from ..config.reading.safe_files import read_regular, walk

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FORMAT = "build-cache-v1"
# Distributions whose version can change what is generated or what passes.
DISTRIBUTIONS = ("troposphere", "awacs", "cfn-flip", "cfn-lint", "PyYAML", "Jinja2", "cfn-guard-rs")


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _digest_files(paths: Iterable[Path], root: Path | None = None) -> list[tuple[str, str]]:
    listed = []
    for path in paths:
        name = str(path.relative_to(root)) if root else str(path.resolve())
        try:
            data = path.read_bytes()
        except OSError as exc:  # an unreadable params file: the build reports it in its words
            data = f"unreadable: {exc.strerror}".encode()
        listed.append((name, hashlib.sha256(data).hexdigest()))
    return listed


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def installed_versions() -> dict[str, str]:
    """Normalised distribution name -> version, from the ``<name>-<version>.dist-info`` folders on
    sys.path (the first one wins, as for imports).

    The names of those folders say it all; importlib.metadata would say the same but costs ~12 ms
    to import (it parses METADATA files with the email package), on every build and no-op check.
    """
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            stem, dot, kind = folder.rpartition(".")
            if dot and kind in ("dist-info", "egg-info") and "-" in stem:
                name, _, version = stem.partition("-")
                versions.setdefault(_normalized(name), version.partition("-")[0])
    return versions


def _version(name: str) -> str | None:
    return installed_versions().get(_normalized(name))


def _code_inputs() -> dict[str, object]:
    return {
        "format": FORMAT,
        "python": sys.version,
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
        "package": _digest_files(_files(PACKAGE_DIR), PACKAGE_DIR),
    }


def _hash(inputs: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def fingerprint(params_dir: Path, options: dict[str, object], extra_files: Sequence[Path]) -> str:
    """Everything the output of a build depends on, hashed."""
    return _hash({
        **_code_inputs(),
        "params": _digest_files(_files(params_dir), params_dir),
        "extra": _digest_files(sorted(set(extra_files))),
        "options": options,
    })


def code_digest() -> str:
    """This package's files and the versions of Python and the libraries, hashed: everything
    an environment-independent output (the Service Catalog product) depends on."""
    return _hash(_code_inputs())


def tree_digest(out_dir: Path) -> str | None:
    """Every file of the out folder, path and bytes, hashed; None when there is no folder."""
    if not out_dir.is_dir():
        return None
    try:
        files, others = walk(out_dir)  # links and special files by kind, never read (config.safe_files)
        listed = [(path, hashlib.sha256(read_regular(out_dir / path)).hexdigest()) for path in files]
    except OSError:  # unreadable: no shortcut; the full path reports it
        return None
    return hashlib.sha256(json.dumps([listed, others]).encode()).hexdigest()


class BuildCache:
    """Fingerprint -> out-folder digest of runs that ended well. A cache that cannot be read or
    written behaves as an empty one: it only ever saves time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "builds-v1"

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def up_to_date(self, key: str, out_dir: Path) -> dict[str, object] | None:
        """The recorded run when ``out_dir`` is exactly as that run left it, else None."""
        try:
            record = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("tree") is None:
            return None
        return record if record["tree"] == tree_digest(out_dir) else None

    def record(self, key: str, out_dir: Path, environments: int) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self._path(key).with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"tree": tree_digest(out_dir), "environments": environments}))
            temporary.replace(self._path(key))
        except OSError:
            pass


def settings_digest(settings: str) -> str:
    """``code_digest`` and the text of settings an output depends on besides the code (the
    Service Catalog product's ``_product.yaml``, as ``ProductSettings.cache_key`` gives it)."""
    return _hash({"code": code_digest(), "settings": settings})


class CodeCache:
    """JSON values that depend on nothing but the code (``code_digest``) and, given ``settings``,
    on those settings too (``settings_digest``), by name: what every build would otherwise work
    out again although no env's params file can change it. A cache that cannot be read or
    written behaves as an empty one."""

    def __init__(self, folder: Path, settings: str | None = None) -> None:
        self.folder = folder / "code-v1"
        self.digest = code_digest() if settings is None else settings_digest(settings)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}-{self.digest}.json"

    def load(self, name: str) -> object | None:
        try:
            return json.loads(self._path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def store(self, name: str, value: object) -> None:
        """Keep ``value`` for this code, and drop what older code kept under the name."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self._path(name).with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
            temporary.replace(self._path(name))
            for older in self.folder.glob(f"{name}-*.json"):
                if older != self._path(name):
                    older.unlink(missing_ok=True)
        except OSError:
            pass


class ConfigResults:
    """JSON results of a pure function of one environment's validated config and the code, by
    name: ``get``/``put`` under a key hashing ``code_digest()`` (``settings_digest`` given
    ``settings``), the name and ``repr(cfg)`` (the frozen dataclasses' repr lists every field, so
    equal reprs are equal configs). Used for each env's rendered files and Service Catalog launch
    check (``workers.render_all``; the check depends on the product, so on its settings): the same
    until the env's params, the settings or the code change. A cache that cannot be read or
    written is an empty one; beyond ``max_entries`` the oldest entries not used by this build are
    dropped (``prune``)."""

    def __init__(self, folder: Path, name: str, max_entries: int = 2000, settings: str | None = None) -> None:
        self.folder = folder / f"{name}-v1"
        digest = code_digest() if settings is None else settings_digest(settings)
        self.salt = f"{digest}\n{name}\n"
        self.max_entries = max_entries

    def key(self, cfg: object) -> str:
        return hashlib.sha256(f"{self.salt}{cfg!r}".encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> object | None:
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: object) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f"{key}.{os.getpid()}.tmp"
            temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
            temporary.replace(self.folder / f"{key}.json")
        except (OSError, ValueError):  # ValueError: text JSON or UTF-8 cannot hold
            pass

    def prune(self, used: Iterable[str]) -> None:
        prune_oldest(self.folder, {f"{key}.json" for key in used}, self.max_entries)


def prune_oldest(folder: Path, keep: set[str], max_entries: int) -> None:
    """Delete the oldest ``*.json`` files of ``folder`` beyond ``max_entries``, except those named
    in ``keep``; a folder that cannot be listed or changed is left as it is (caches only)."""
    try:
        entries = list(folder.glob("*.json"))
        if len(entries) <= max_entries:
            return
        stale = sorted((path.stat().st_mtime_ns, path) for path in entries if path.name not in keep)
        for _, path in stale[: len(entries) - max_entries]:
            path.unlink(missing_ok=True)
    except OSError:
        pass
