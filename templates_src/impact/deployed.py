"""Where the deployed templates are read from: the out folder (what is committed), or with
``--against REV`` the out folder as git revision REV has it (``git show REV:<out>/<env>/...``),
so a pull request's CI reviews exactly the change from its base branch.

Git runs without a shell, with the revision resolved to a commit first
(``git rev-parse --verify --end-of-options``), so a revision is never read as an option, and
with paths built here from the out folder's place in the repository and the build's own file
names.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..facts.paths import MARKER_FILE
from ..config.reading.safe_files import read_regular

_GIT_TIMEOUT = 60  # seconds for one git command
_REGULAR_MODES = ("100644", "100755")


class DeployedError(Exception):
    """A revision or repository that cannot be read (one line, exit 2)."""


@dataclass
class Deployed:
    """The deployed state: ``read(path)`` gives a file of the out folder (path relative to it) or
    None when it has no such file; ``shown`` names it for messages."""

    out_dir: Path
    revision: str | None = None
    shown: str = ""
    _repo: Path | None = None
    _prefix: PurePosixPath | None = None
    _commit: str = ""
    _files: dict[str, str] = field(default_factory=dict)   # path under the out folder -> mode

    @classmethod
    def folder(cls, out_dir: Path) -> "Deployed":
        return cls(out_dir, shown=str(out_dir))

    @classmethod
    def at_revision(cls, out_dir: Path, revision: str) -> "Deployed":
        if not revision or revision.startswith("-") or any(ord(c) < 32 or c == "\x7f" for c in revision):
            raise DeployedError(f"--against {revision!r}: not a git revision")
        where = out_dir.resolve()
        start = next((p for p in (where, *where.parents) if p.is_dir()), Path("/"))
        top = _git(start, "rev-parse", "--show-toplevel", error=f"--against: {start} is not in a git repository")
        repo = Path(top.strip())
        try:
            prefix = PurePosixPath(where.relative_to(repo.resolve()).as_posix())
        except ValueError:
            raise DeployedError(f"--against: the out folder {out_dir} is not inside the git repository {repo}") from None
        commit = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
                      error=f"--against {revision}: not a revision of the git repository at {repo}").strip()
        listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}/" if str(prefix) != "." else ".",
                       error=f"--against {revision}: cannot list {prefix} in it")
        files = {}
        for entry in filter(None, listing.split("\0")):
            meta, path = entry.split("\t", 1)
            relative = PurePosixPath(path).relative_to(prefix) if str(prefix) != "." else PurePosixPath(path)
            files[relative.as_posix()] = meta.split(" ", 1)[0]
        return cls(out_dir, revision, f"{revision}:{prefix}", repo, prefix, commit, files)

    def has_marker(self) -> bool:
        """A folder without the build's marker was not written by a build: nothing in it is deployed."""
        if self.revision is None:
            return (self.out_dir / MARKER_FILE).is_file()
        return MARKER_FILE in self._files

    def read(self, path: str) -> bytes | None:
        """The file's bytes; None when it is not there. OSError for a link or special file."""
        if self.revision is None:
            try:
                return read_regular(self.out_dir / path, self.out_dir)
            except (FileNotFoundError, NotADirectoryError):
                return None
        mode = self._files.get(path)
        if mode is None:
            return None
        if mode not in _REGULAR_MODES:
            raise OSError(f"{self.shown}/{path} is not a regular file in {self.revision}")
        assert self._repo is not None and self._prefix is not None
        blob = PurePosixPath(path) if str(self._prefix) == "." else self._prefix / path
        result = subprocess.run(["git", "-C", str(self._repo), "cat-file", "blob", f"{self._commit}:{blob}"],
                                capture_output=True, timeout=_GIT_TIMEOUT, check=False)
        if result.returncode != 0:
            raise OSError(f"cannot read {blob} in {self.revision}: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout


def _git(cwd: Path, *args: str, error: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, timeout=_GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeployedError(f"{error} (git: {exc})") from None
    if result.returncode != 0:
        raise DeployedError(error)
    return result.stdout.decode("utf-8", errors="surrogateescape")
