"""What the lint is given and what it gives back: a job, the options, a finding, a result.

Shared by the runner of one template (``lint_template``), the batch that caches and spreads the
jobs over workers (``lint``) and the cache (``speed.lint_cache``), which stores findings without
their file name (``RawFinding``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

FAILING_SEVERITIES = ("error", "warning")


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class LintJob:
    """One template to lint: the name it is reported under, its text and its region.

    ``policies``: whether the Guard policies apply too (they judge an env's literal settings, so
    not a template whose settings are parameters, like the Service Catalog product; the policies
    of what such a template lets a launcher choose, ``PRODUCT_RULE_IDS``, apply to every job).
    """

    file: str
    text: str
    region: str
    policies: bool = True
    # The values its parameter file gives (name, text as in parameters.json): cfn-lint checks the
    # template deployed with them, so a missing, misspelled or out-of-range parameter is a finding.
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LintOptions:
    """What decides which matches are findings; every field is part of the cache key.

    ``extra_inputs`` are files the lint result depends on beyond the template (policy files, for
    instance); their bytes are hashed into the key, a missing file hashes as missing.
    """

    failing_severities: tuple[str, ...] = FAILING_SEVERITIES
    include_checks: tuple[str, ...] = ()
    ignore_checks: tuple[str, ...] = ()
    mandatory_checks: tuple[str, ...] = ()
    extra_inputs: tuple[Path, ...] = ()
    # CloudFormation Guard rules checked after cfn-lint (an organisation's); their violations are
    # findings too.
    policy_files: tuple[Path, ...] = ()
    # The project's policies (lint_rules): off for a template whose settings are parameters.
    project_policies: bool = True


@dataclass(frozen=True)
class LintResult:
    """The findings of one job; ``cached`` when they came from the cache (``seconds`` is 0)."""

    job: LintJob
    findings: tuple[Finding, ...]
    cached: bool
    seconds: float


# A finding without its file name, (line, rule, severity, message): what a worker returns and
# what the cache stores.
RawFinding = tuple[int, str, str, str]


class ResultCache(Protocol):
    """Where a batch keeps results between builds (``speed.lint_cache.LintCache``): a result is
    reused only under a key that hashes everything it depends on (``context`` for the options and
    the code, ``key`` for one template under it)."""

    def context(self, options: LintOptions) -> str: ...

    def key(self, job: LintJob, context: str) -> str: ...

    def get(self, key: str, severities: Sequence[str]) -> tuple[RawFinding, ...] | None: ...

    def put(self, key: str, raws: Sequence[RawFinding]) -> None: ...

    def prune(self, used: Iterable[str]) -> None: ...
