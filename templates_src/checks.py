"""cfn-lint over every rendered template, with one rule collection for the whole run.

Returns findings and prints nothing. cfn-lint is imported here only when linting is asked for
(it costs most of a second), and its rules are loaded once and shared by all templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
    """One template to lint: the name it is reported under, its text and its region."""

    file: str
    text: str
    region: str


def lint(jobs: Iterable[LintJob]) -> list[Finding]:
    """Every error and warning cfn-lint reports for the templates, sorted by file and line."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import Runner, run_template_by_data

    rules = None
    findings: list[Finding] = []
    for job in jobs:
        config = ConfigMixIn(regions=[job.region])
        if rules is None:
            rules = Runner(config).rules
        template, matches = decode_str(job.text)
        if template is not None and not matches:
            matches = list(run_template_by_data(template, config, rules))
        findings += [
            Finding(job.file, match.linenumber, match.rule.id, match.rule.severity, match.message)
            for match in matches
            if match.rule.severity in FAILING_SEVERITIES
        ]
    return sorted(set(findings))
