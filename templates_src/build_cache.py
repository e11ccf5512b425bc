"""The no-op --check: recognise "nothing changed since a build that passed" without rebuilding.

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
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
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
        listed.append((name, hashlib.sha256(path.read_bytes()).hexdigest()))
    return listed


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def fingerprint(params_dir: Path, options: dict[str, object], extra_files: Sequence[Path]) -> str:
    """Everything the output of a build depends on, hashed."""
    inputs = {
        "format": FORMAT,
        "python": sys.version,
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
        "params": _digest_files(_files(params_dir), params_dir),
        "package": _digest_files(_files(PACKAGE_DIR), PACKAGE_DIR),
        "extra": _digest_files(sorted(set(extra_files))),
        "options": options,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def tree_digest(out_dir: Path) -> str | None:
    """Every file of the out folder, path and bytes, hashed; None when there is no folder."""
    if not out_dir.is_dir():
        return None
    return hashlib.sha256(json.dumps(_digest_files(_files(out_dir), out_dir)).encode()).hexdigest()


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
