"""The benchmark in its CI form: 3 environments, one repetition. It asserts nothing about time
(machines differ), only that every step runs, succeeds and is reported."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.cli


def test_benchmark_runs_with_three_environments() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--envs", "3", "--repeat", "1", "--quiet"],
        cwd=ROOT, capture_output=True, text=True,  # no timeout: under load it takes what it takes
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("machine: ")
    assert re.search(r"^ratios 3 envs: \(a\)/\(b\) = \d+\.\d\d, \(d\)/\(b\) = \d+\.\d\d$", out, re.M), out
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["3"])
    assert len(row) >= 11 and all(re.fullmatch(r"[\d.]+", cell) for cell in row[1::2][:4]), out
