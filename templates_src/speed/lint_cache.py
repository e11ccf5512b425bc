"""The lint cache: where results are kept and the key that decides when one may be reused.

A template's lint result is a pure function of its bytes, its region, the values of its
parameter file, whether the Guard policies apply, the cfn-lint installation, the rule options
and the input files (``.cfnlintrc`` files, policy files). The key hashes all of these, and the
source of the modules that produce findings, so any change is a miss: the cache can make a
build faster, never hide a finding.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..checks.lint_template import cfnlintrc_files, file_digest
from .build_cache import prune_oldest

if TYPE_CHECKING:
    from ..checks.lint_jobs import LintJob, LintOptions, RawFinding as _Raw

# Bump when the meaning of a cached entry changes. The source of the modules that produce
# findings is part of every key as well, so any edit to them invalidates the cache by itself.
CACHE_FORMAT = 1
CACHE_ENV_VAR = "RDS_PROXY_CFN_CACHE_DIR"
_PACKAGE = Path(__file__).resolve().parent.parent
# Every module whose code decides a finding: the lint runner, the rules' own modules, and this one.
_PRODUCERS = ("checks/lint.py", "checks/lint_template.py", "checks/guard.py", "checks/guard_engines.py",
              "speed/lint_cache.py", "checks/lint_rules.py", "checks/policies/rules.py", "checks/policies/walk.py",
              "checks/policies/registry.py", "checks/policies/product.py", "checks/policies/proxy.py",
              "checks/policies/iam.py", "checks/policies/network.py", "checks/policies/retention.py",
              "checks/policies/secrets.py")


# --- cache keys -------------------------------------------------------------------------------


def cfn_lint_versions() -> dict[str, str | None]:
    """The installed cfn-lint and the versions of the distributions it requires."""
    from importlib import metadata

    versions: dict[str, str | None] = {"cfn-lint": metadata.version("cfn-lint")}
    for requirement in metadata.requires("cfn-lint") or ():
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        if name:
            try:
                versions[name.group(0)] = metadata.version(name.group(0))
            except metadata.PackageNotFoundError:
                versions[name.group(0)] = None
    return versions


def _guard_version() -> str | None:
    """The Guard engine that runs policy files here, by name and version (None: there is none)."""
    from ..checks.guard import guard_engine

    engine = guard_engine()
    return f"{engine.name} {engine.version}" if engine else None


def context_digest(options: LintOptions) -> str:
    """Everything except the template and region that decides lint results, hashed."""
    inputs = [*cfnlintrc_files(), *options.extra_inputs, *options.policy_files]
    context = {
        "format": CACHE_FORMAT,
        "sources": {name: file_digest(_PACKAGE / name) for name in _PRODUCERS},
        "guard": _guard_version() if options.policy_files else None,
        "project_policies": options.project_policies,
        "python": ".".join(map(str, sys.version_info[:3])),
        "versions": cfn_lint_versions(),
        "failing_severities": sorted(options.failing_severities),
        "include_checks": list(options.include_checks),
        "ignore_checks": list(options.ignore_checks),
        "mandatory_checks": list(options.mandatory_checks),
        "inputs": [[str(Path(p).absolute()), file_digest(Path(p))] for p in inputs],
    }
    return hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()


def cache_key(job: LintJob, context: str) -> str:
    """The key of one template's result: the context, its region and its bytes."""
    template = hashlib.sha256(job.text.encode()).hexdigest()
    parameters = json.dumps(job.parameters)
    return hashlib.sha256(f"{context}\0{job.region}\0{job.policies}\0{parameters}\0{template}".encode()).hexdigest()


def default_cache_dir(project: Path) -> Path:
    """``$RDS_PROXY_CFN_CACHE_DIR``, else ``<project>/.cache/rds-proxy-cfn`` (ignored by git)."""
    override = os.environ.get(CACHE_ENV_VAR)
    return Path(override) if override else project / ".cache" / "rds-proxy-cfn"


class LintCache:
    """One small JSON file per key under ``<folder>/lint-v<format>/``; every failure is a miss.

    Entries are never updated, only added; once there are more than ``max_entries``, a build that
    adds some deletes the oldest ones it did not use itself (a deleted entry only costs a lint).
    """

    def __init__(self, folder: Path, max_entries: int = 2000) -> None:
        self.folder = Path(folder) / f"lint-v{CACHE_FORMAT}"
        self.max_entries = max_entries
        self.writable = True

    def context(self, options: LintOptions) -> str:
        """What decides every result of a lint with these options, hashed (``context_digest``)."""
        return context_digest(options)

    def key(self, job: LintJob, context: str) -> str:
        """The key of one template's result under ``context`` (``cache_key``)."""
        return cache_key(job, context)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str, severities: Sequence[str]) -> tuple[_Raw, ...] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("findings"), list):
                return None
            raws = []
            for item in data["findings"]:
                line, rule, severity, message = item
                if not (isinstance(line, int) and isinstance(rule, str) and isinstance(message, str)
                        and severity in severities):
                    return None
                raws.append((line, rule, severity, message))
            return tuple(raws)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, key: str, raws: Sequence[_Raw]) -> None:
        if not self.writable:
            return
        path = self._path(key)
        scratch = path.with_name(f".{key}.{os.getpid()}.tmp")
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True, exist_ok=True)
                # Keep the cache out of git wherever it is (as .pytest_cache does).
                (self.folder.parent / ".gitignore").write_text("# Created by rds-proxy-cfn.\n*\n", encoding="utf-8")
            scratch.write_text(json.dumps({"key": key, "findings": [list(r) for r in raws]}), encoding="utf-8")
            os.replace(scratch, path)
        except OSError:
            self.writable = False  # read-only or full: stop trying for this run
            try:
                scratch.unlink()
            except OSError:
                pass

    def prune(self, used: Iterable[str]) -> None:
        """Delete the oldest entries beyond ``max_entries``, except those of ``used`` keys."""
        prune_oldest(self.folder, {f"{key}.json" for key in used}, self.max_entries)
