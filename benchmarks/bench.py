#!/usr/bin/env python3
"""Benchmark build.py against cfn-lint alone, on N synthetic environments.

    python benchmarks/bench.py                      # 3, 30 and 100 environments, 5 repetitions
    python benchmarks/bench.py --envs 3 --repeat 1  # the CI smoke form
    python benchmarks/bench.py --markdown           # also print the table for benchmarks/README.md

For each N it writes N valid params files to a temporary folder and times, as the median of the
repetitions (each a fresh process, as a user or a hook would run it):

  (a) python build.py --no-cache           full build with lint, always cold (no lint cache)
  (b) cfn-lint <the N templates>           cfn-lint alone, as a CLI, over the templates (a) wrote
  (c) python build.py --no-lint            generation only
  (e) python build.py --no-lint --no-cache generation only, reading and writing no cache at all
  (d) python build.py --check              nothing changed since the last build (warm lint cache)

and, in a separate untimed run of (a) and (b), the peak memory of the whole process tree (the
build forks workers): the largest sum of proportional set sizes (PSS: shared pages counted once)
and of resident set sizes (RSS: shared pages counted in every process) seen while sampling.
Machines differ, so the ratios (a)/(b) and (d)/(b) are what to compare with the targets. The
"load" column is the 1-minute load average when a size was done: other work on the machine slows
(a), which uses every CPU, more than (b), which uses one.

(b) is one cfn-lint process over all the templates in its default region (us-east-1): the
cheapest way to run cfn-lint over them, which (a) has to beat while linting each template in
its own region.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build.py"

ENGINES = ("MYSQL", "POSTGRESQL", "MYSQL", "SQLSERVER")
REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "us-west-2")
RETENTION_DAYS = (7, 14, 30, 90)

# The targets, as ratios to (b) (None: no target at that size).
TARGET_A_OVER_B = {30: 1.0, 100: 0.8}
TARGET_D_OVER_B = {30: 0.15}
TARGET_C_SECONDS = {30: 0.5}
TARGET_PEAK_MB = {100: 400}


# --- synthetic environments ---------------------------------------------------------------------


def env_params(i: int) -> str:
    """A valid params file; every name is distinct, so the cross-environment rules pass.

    Engines, regions, instance or cluster targets, database security groups and user counts vary
    with ``i``, so the templates differ the way real environments do.
    """
    engine = ENGINES[i % len(ENGINES)]
    cluster = engine != "SQLSERVER" and i % 3 == 0
    lines = [
        f"# Synthetic benchmark environment {i}",
        f"engine_family: {engine}",
        f"region: {REGIONS[(i // 2) % len(REGIONS)]}",
        "tags:",
        "  team: benchmark",
        "proxy:",
        f"  name: bench-{i:03d}",
        f"  log_retention_days: {RETENTION_DAYS[i % len(RETENTION_DAYS)]}",
        "network:",
        f"  vpc_id: vpc-{i:017x}",
        f"  subnet_ids: [subnet-{i:016x}1, subnet-{i:016x}2]",
        f"  client_security_group_ids: [sg-{i:016x}3]",
    ]
    if i % 2:
        lines.append(f"  database_security_group_id: sg-{i:016x}4")
    lines.append("target:")
    if cluster:
        lines += [f"  db_cluster_identifier: bench-{i:03d}-aurora", "  read_only_endpoint: true"]
    else:
        lines.append(f"  db_instance_identifier: bench-{i:03d}-db")
    lines += ["pool:", f"  max_connections_percent: {40 + i % 50}", "users:"]
    for user in range(1 + i % 3):
        lines += [f"  - username: user_{user}", f"    description: Synthetic user {user}"]
    if engine != "SQLSERVER" and i % 4 == 1:  # a quarter make their users with the provisioner
        lines += ["provisioner:",
                  f"  admin_secret_arn: arn:aws:secretsmanager:{REGIONS[(i // 2) % len(REGIONS)]}:111122223333:"
                  f"secret:rds!db-bench-{i:03d}-AbCdEf",
                  "  artifact_bucket: bench-artifacts",
                  f"  ca_bundle_sha256: {'ab' * 32}",
                  "  aws_apis_via: vpc_endpoints",
                  f"  endpoint_security_group_id: sg-{i:016x}5",
                  "  s3_prefix_list_id: pl-6da54004"]
    lines += ["waivers:", "  rotation: synthetic benchmark environment, never deployed"]  # generated, not rotated
    if not i % 2:  # the other half keeps egress to any address on the database port, waived
        lines += ["  world_egress: synthetic benchmark environment, never deployed"]
    if RETENTION_DAYS[i % len(RETENTION_DAYS)] < 365:  # under a year needs its reason (Control Tower)
        lines += ["  log_retention: synthetic benchmark environment, logs never read"]
    return "\n".join(lines) + "\n"


def write_envs(params_dir: Path, count: int) -> None:
    params_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (params_dir / f"env-{i:03d}.yaml").write_text(env_params(i), encoding="utf-8")


# --- measuring ----------------------------------------------------------------------------------


def cfn_lint_command(templates: list[Path]) -> list[str]:
    script = Path(sys.executable).parent / "cfn-lint"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "cfnlint"]
    return [*head, "--", *map(str, templates)]


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KB; (0, 0) once it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return pss, rss


@dataclass
class Run:
    seconds: float
    code: int
    out: str
    err: str
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0


def run(command: list[str], env: dict[str, str], sample_memory: bool = False) -> Run:
    """Run a command to completion; with sample_memory, the peak memory of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = [0, 0]
    if sample_memory and Path("/proc/self/smaps_rollup").exists():
        def sample() -> None:
            while proc.poll() is None:
                totals = [sum(values) for values in zip(*(_memory_kb(p) for p in _descendants(proc.pid)))] or [0, 0]
                peaks[:] = [max(peaks[0], totals[0]), max(peaks[1], totals[1])]
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if sample_memory and Path("/proc/self/smaps_rollup").exists():
        sampler.join()
    return Run(seconds, proc.returncode, out, err, peaks[0] / 1024, peaks[1] / 1024)


@dataclass
class Size:
    envs: int
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in "abcde"})
    peak_pss_mb: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    load: str = "?"  # the 1-minute load average when this size was done: other work on the machine

    def median(self, kind: str) -> float:
        return statistics.median(self.times[kind])

    def ratio(self, top: str, bottom: str) -> float:
        return self.median(top) / self.median(bottom)


def _expect(result: Run, what: str, codes: tuple[int, ...] = (0,)) -> Run:
    if result.code not in codes:
        sys.exit(f"bench: {what} failed with exit status {result.code}:\n{result.err[-4000:]}")
    return result


def _cache_state(cache: Path) -> dict[str, int]:
    """Every lint cache entry with its modification time: a no-op build changes none."""
    return {str(p): p.stat().st_mtime_ns for p in cache.rglob("*.json")} if cache.is_dir() else {}


def measure(envs: int, repeat: int, workdir: Path, progress) -> Size:
    params, out, cache = workdir / f"params-{envs}", workdir / f"out-{envs}", workdir / f"cache-{envs}"
    write_envs(params, envs)
    env = {**os.environ, "RDS_PROXY_CFN_CACHE_DIR": str(cache)}
    build = [sys.executable, str(BUILD), "--params", str(params), "--out", str(out)]
    templates = [out / f"env-{i:03d}" / "rds-proxy.yaml" for i in range(envs)]
    commands = {
        "a": build + ["--no-cache"],
        "b": cfn_lint_command(templates),
        "c": build + ["--no-lint"],
        "d": build + ["--check"],
        "e": build + ["--no-lint", "--no-cache"],
    }
    # The last build (with the lint cache) that (d) finds nothing changed since.
    _expect(run(build, env), f"build of {envs} environments")
    size = Size(envs)
    for rep in range(repeat):
        for kind, command in commands.items():
            before = _cache_state(cache)
            result = _expect(run(command, env), f"({kind}) at {envs} environments")
            if kind == "a" and (" lint cached " in result.out or " lint passed " not in result.out):
                sys.exit(f"bench: (a) at {envs} environments was not a cold build with lint:\n{result.out}")
            if kind == "d" and _cache_state(cache) != before:
                sys.exit(f"bench: (d) at {envs} environments linted again: it was not a no-op")
            size.times[kind].append(result.seconds)
            progress(f"  {envs} envs, repetition {rep + 1}/{repeat}: ({kind}) {result.seconds:.2f} s")
    for kind in "ab":
        result = _expect(run(commands[kind], env, sample_memory=True), f"({kind}) at {envs} environments")
        size.peak_pss_mb[kind], size.peak_rss_mb[kind] = result.peak_pss_mb, result.peak_rss_mb
    size.load = _load()
    return size


# --- reporting ----------------------------------------------------------------------------------


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        cfn_lint = version("cfn-lint")
    except Exception:  # noqa: BLE001 - only for the report
        cfn_lint = "?"
    return (f"{os.cpu_count()} CPU(s), {cpu}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; cfn-lint {cfn_lint}")


HEADERS = ("envs", "(a) build+lint, cold", "(b) cfn-lint alone", "(c) --no-lint", "(e) --no-lint --no-cache",
           "(d) no-op --check",
           "(a)/(b)", "(d)/(b)", "(c) per env", "peak PSS (a)", "peak RSS (a)", "peak RSS (b)", "load")


def rows(sizes: list[Size]) -> list[tuple[str, ...]]:
    return [(
        str(s.envs), f"{s.median('a'):.2f} s", f"{s.median('b'):.2f} s", f"{s.median('c'):.2f} s",
        f"{s.median('e'):.2f} s", f"{s.median('d'):.2f} s", f"{s.ratio('a', 'b'):.2f}", f"{s.ratio('d', 'b'):.2f}",
        f"{s.median('c') / s.envs * 1000:.0f} ms", f"{s.peak_pss_mb.get('a', 0):.0f} MB",
        f"{s.peak_rss_mb.get('a', 0):.0f} MB", f"{s.peak_rss_mb.get('b', 0):.0f} MB", s.load,
    ) for s in sizes]


def text_table(sizes: list[Size]) -> str:
    table = [HEADERS, *rows(sizes)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in table)


def markdown_table(sizes: list[Size]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---:|" * len(HEADERS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(sizes)]
    return "\n".join(lines)


def target_lines(sizes: list[Size]) -> list[str]:
    lines = []
    for s in sizes:
        checks = []
        if s.envs in TARGET_A_OVER_B:
            checks.append(("(a)/(b)", s.ratio("a", "b"), TARGET_A_OVER_B[s.envs], ""))
        if s.envs in TARGET_D_OVER_B:
            checks.append(("(d)/(b)", s.ratio("d", "b"), TARGET_D_OVER_B[s.envs], ""))
        if s.envs in TARGET_C_SECONDS:
            checks.append(("(c)", s.median("c"), TARGET_C_SECONDS[s.envs], " s"))
            checks.append(("(e)", s.median("e"), TARGET_C_SECONDS[s.envs], " s"))
        if s.envs in TARGET_PEAK_MB:
            checks.append(("peak PSS (a)", s.peak_pss_mb.get("a", 0), TARGET_PEAK_MB[s.envs], " MB"))
        for what, value, limit, unit in checks:
            verdict = "met" if value <= limit else "MISSED"
            lines.append(f"target {s.envs} envs: {what} = {value:.2f}{unit}, at most {limit}{unit}: {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, nargs="+", default=[3, 30, 100], help="sizes (default: 3 30 100)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per size; medians are reported")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".cache",
                        help="where the temporary params and out folders go (default: .cache/ in this "
                             "repository, the disk a build writes to)")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    print(f"machine: {machine()}")
    # Byte-compile this package first: a machine that may write __pycache__ has it from the second
    # run on, but PYTHONDONTWRITEBYTECODE=1 (set in some containers) would make every timed run
    # compile the whole package again (~40 ms here).
    compileall.compile_dir(ROOT / "templates_src", quiet=1)
    load_before = _load()
    sizes = []
    # Not the system temporary folder by default: builds write into the repository, and /tmp can
    # be another kind of disk (on the machine of the recorded table, creating a file in /tmp took
    # 25 times as long as anywhere else on the same filesystem: ~0.1 s more per 30-env build).
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=args.workdir) as workdir:
        for envs in args.envs:
            progress(f"{envs} environments, {args.repeat} repetition(s)...")
            sizes.append(measure(envs, max(1, args.repeat), Path(workdir), progress))
    print(f"medians of {args.repeat} repetition(s); peak memory from one more run of (a) and (b); "
          f"load average (1 min) {load_before} before, {_load()} after")
    print(text_table(sizes))
    for s in sizes:
        print(f"ratios {s.envs} envs: (a)/(b) = {s.ratio('a', 'b'):.2f}, (d)/(b) = {s.ratio('d', 'b'):.2f}")
    for small, large in zip(sizes, sizes[1:]):
        added = large.envs - small.envs
        if added > 0:
            print(f"per added environment, {small.envs} -> {large.envs}: "
                  f"(c) {(large.median('c') - small.median('c')) / added * 1000:.1f} ms, "
                  f"(a) {(large.median('a') - small.median('a')) / added * 1000:.0f} ms, "
                  f"(b) {(large.median('b') - small.median('b')) / added * 1000:.0f} ms")
    for line in target_lines(sizes):
        print(line)
    if args.markdown:
        print()
        print(markdown_table(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
