"""Why a build ended before its end: one exception type per reason, raised by the stages
(``pipeline``) and each reported in its words, with its exit status, by the command line
(``cli.report_stop``)."""

from __future__ import annotations

from collections.abc import Sequence


class Stopped(Exception):
    """The build ended early; the subclass says why."""


class BadArguments(Stopped):
    """An option that cannot be used as given (a folder, a revision): ``str()`` says why."""


class BadPolicy(Stopped):
    """A policy file that cannot be enforced: ``str()`` says why."""


class NoEnvironments(Stopped):
    """The params folder (``str()``, as given) holds no environment."""


class CannotRead(Stopped):
    """The out folder (or the revision's) cannot be read: ``str()`` names it and says why."""


class CannotWrite(Stopped):
    """The out folder cannot be written: ``str()`` names it and says why."""


class BadParams(Stopped):
    """Problems in the params folder, every one of them, in the order to report them."""

    def __init__(self, errors: Sequence[object]) -> None:
        super().__init__(errors)
        self.errors = errors


class LintFailed(Stopped):
    """cfn-lint or policy findings."""

    def __init__(self, findings: Sequence[object]) -> None:
        super().__init__(findings)
        self.findings = findings


class Refused(Stopped):
    """Hazards of updating a deployed stack that this command refuses; ``consequence`` follows
    the count ("; nothing was written")."""

    def __init__(self, lines: Sequence[str], consequence: str) -> None:
        super().__init__(lines, consequence)
        self.lines, self.consequence = lines, consequence
