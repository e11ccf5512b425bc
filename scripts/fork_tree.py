#!/usr/bin/env python3
"""Lay out a user's fork of this repository: a copy of the tree whose params/ holds other
environments than the examples, and whose generated/ is built from them.

    python scripts/fork_tree.py DEST [--params DIR]

DEST gets every file git tracks or would track (the working tree as it is, not the last
commit), params/ is replaced by DIR (default tests/fixtures/params/fork) and ``build.py``
rebuilds generated/. scripts/test then runs the suite in DEST: it must pass whatever params/
holds, since the tests exercise the generator on the examples under tests/fixtures/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORK_PARAMS = ROOT / "tests" / "fixtures" / "params" / "fork"
SKIPPED = (".git", ".venv*", ".cache", "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info")


def tree_files(root: Path = ROOT) -> list[Path]:
    """The files of the working tree git knows of or would add (not ignored ones)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: all but the usual litter
        ignore = shutil.ignore_patterns(*SKIPPED)
        return sorted(p.relative_to(root) for p in root.rglob("*")
                      if p.is_file() and not any(ignore(str(p.parent), [part]) for part in p.relative_to(root).parts))
    return sorted(Path(name) for name in listed.decode().split("\0") if name and (root / name).is_file())


def make_fork(dest: Path, params: Path = FORK_PARAMS) -> None:
    for name in tree_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    shutil.rmtree(dest / "params")
    shutil.copytree(params, dest / "params")
    subprocess.run([sys.executable, "build.py"], cwd=dest, check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="an empty or missing folder")
    parser.add_argument("--params", type=Path, default=FORK_PARAMS, help="the fork's params folder")
    args = parser.parse_args(argv)
    if args.dest.exists() and any(args.dest.iterdir()):
        parser.error(f"{args.dest} is not empty")
    make_fork(args.dest, args.params)
    envs = sorted(p.stem for p in (args.dest / "params").glob("[!_]*.yaml"))
    print(f"fork: {args.dest} with params/ {', '.join(envs)}; generated/ rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
