#!/usr/bin/env python3
"""Check that every runtime dependency (``[project.dependencies]`` of pyproject.toml, with all
that they pull in) installs from wheels on every Python and platform the README promises.

For each (CPython version, platform) pip resolves the pinned requirements with
``--only-binary=:all:`` for that target, as ``pip download`` would, but with ``--dry-run`` so it
reads the wheels' metadata instead of downloading them (PyPI serves it apart, PEP 658), which
keeps the whole matrix to seconds. A target where some requirement has no wheel fails with pip's
message. Exit status: 0 all resolve, 1 some do not, 2 pip could not be run.

    python scripts/check_wheels.py            # the whole matrix
    python scripts/check_wheels.py -j 2       # fewer pips at once
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# pip expands a macOS tag to every older release of the same architecture (and universal2), but
# not a manylinux tag to older glibc tags: name the ones wheels are commonly tagged with.
PLATFORMS = {
    "linux-x86_64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "linux-aarch64": ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"),
    "macos-arm64": ("macosx_14_0_arm64",),
    "macos-x86_64": ("macosx_13_0_x86_64",),
}


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])


def requires_python(pyproject: Path = ROOT / "pyproject.toml") -> str:
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["requires-python"])


def resolve(python: str, platform: str, requirements: list[str]) -> tuple[bool, str]:
    """Whether pip finds a wheel for every requirement (and dependency) on that target."""
    with tempfile.TemporaryDirectory() as target:
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
                   "--target", target, "--disable-pip-version-check", "--no-input"]
        for tag in PLATFORMS[platform]:
            command += ["--platform", tag]
        proc = subprocess.run([*command, *requirements], capture_output=True, text=True, timeout=600)
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith("ERROR") and not line.startswith("ERROR: Ignored")]
    return proc.returncode == 0, "; ".join(errors) or proc.stderr.strip()[-300:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=4, help="pips at once (default 4)")
    args = parser.parse_args(argv)
    requirements = runtime_requirements()
    targets = [(python, platform) for python in PYTHONS for platform in PLATFORMS]
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda t: resolve(*t, requirements), targets))
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"check_wheels: cannot run pip: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for (python, platform), (ok, detail) in zip(targets, results):
        if not ok:
            failed += 1
            print(f"CPython {python} {platform}: no wheel: {detail}", file=sys.stderr)
    print(f"wheels: {len(targets) - failed} of {len(targets)} targets resolve from wheels only "
          f"(CPython {', '.join(PYTHONS)} x {', '.join(PLATFORMS)}; requires-python {requires_python()})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
