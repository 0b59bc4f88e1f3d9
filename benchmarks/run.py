"""Benchmarks of route-reconciler, whole processes as a CronJob runs them: one table for 1,000 /
5,000 / 15,000 nodes and 10,000 / 60,000-route VRFs beside two floors, then the targets.

    python benchmarks/run.py             # everything (several minutes on 2 cores)
    python benchmarks/run.py --quick     # 1,000 and 5,000 nodes only
    python benchmarks/run.py --nodes 3000 --profile /tmp/route-reconciler-profiles

Each scenario runs in a process of its own (scenarios.py), which starts the command's processes
and measures each with wait4; this process imports nothing from the project and stays small,
since children inherit its peak RSS.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import io
import itertools
import math
import os
import platform
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from measurement import (
    APPLY_NOOP,
    APPLY_PATCH,
    APPLY_PATCH_ADD,
    APPLY_PATCH_MANY,
    APPLY_PUT,
    APPLY_SCENARIOS,
    NOOP_RENDER,
    ONLINE,
    RENDER,
    RENDER_PLAN,
    RENDER_SCENARIOS,
    Measurement,
    run_process,
)

HERE = Path(__file__).resolve().parent
FULL_SIZES = (1_000, 5_000, 15_000)
QUICK_SIZES = (1_000, 5_000)
# (nodes whose 2 routes each are ours, foreign routes): VRFs of 10,000 and 60,000 routes
APPLY_VRFS = ((1_000, 8_000), (5_000, 50_000))
TARGET_NODES = 5_000
FLOOR_JSON_YAML = "floor: json.loads + libyaml dump"
FLOOR_TYPED = "floor: typed decode + direct emit"
FLOORS = {FLOOR_JSON_YAML: "json-yaml", FLOOR_TYPED: "typed-direct"}
# The share of the json.loads + libyaml floor each scenario may take (issue 12).
FLOOR_SHARE = {RENDER: 0.5, NOOP_RENDER: 0.5, RENDER_PLAN: 0.7}
TARGET_RENDER_RSS_MB = 130.0
TARGET_APPLY_RSS_MB = 200.0
# CPU seconds of each apply scenario in the 60,000-route VRF before issue 12's work, measured with
# this harness on commit b229e0e (fastest of 3, load average 6.6 on 2 cores); apply may take a
# third of them.
APPLY_CPU_BEFORE = {APPLY_NOOP: 3.75, APPLY_PUT: 5.59, APPLY_PATCH: 6.11}
APPLY_CPU_SHARE = 1 / 3
LIST_PAGE_SIZE = 500
LINEAR_SLACK = 1.5  # CPU time per route may grow this much from one size to the next
FLOOR_RUNS = 3
SCENARIO_TIMEOUT_S = 1800
OUTSIDE_BENCHMARKS = r"^(?!.*/benchmarks/)"  # pstats filter: the project's and libraries' frames


@dataclass(frozen=True)
class Job:
    scenario: str
    nodes: int
    cidrs_per_node: int = 2
    foreign: int = 0

    @property
    def slug(self) -> str:
        name = re.sub(r"[^a-z0-9]+", "-", self.scenario.lower()).strip("-")
        return f"{name}-{self.nodes}x{self.cidrs_per_node}"


@dataclass(frozen=True)
class Verdict:
    target: str
    ok: bool | None  # None: not measured in this run
    observed: str
    rows: tuple[Measurement, ...] = ()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="1,000 and 5,000 nodes only")
    sizes.add_argument("--nodes", type=int, help="render scenarios at this node count only")
    parser.add_argument("--profile", type=Path, help="save a cProfile per scenario in this folder")
    args = parser.parse_args()
    node_counts = (args.nodes,) if args.nodes else QUICK_SIZES if args.quick else FULL_SIZES
    print_header()
    with tempfile.TemporaryDirectory(prefix="route-reconciler-bench-") as scratch:
        workdir = Path(scratch)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        results: list[Measurement] = []
        for nodes in node_counts:
            snapshot, routes = generate(workdir, nodes)
            results += [measure_floor(name, nodes, snapshot, routes) for name in FLOORS]
            results += [
                measure(Job(scenario, nodes), workdir, snapshot, args.profile)
                for scenario in RENDER_SCENARIOS
            ]
            snapshot.unlink()
        results += [
            measure(Job(scenario, nodes, foreign=foreign), workdir, None, args.profile)
            for nodes, foreign in APPLY_VRFS
            for scenario in APPLY_SCENARIOS
        ]
    print(f"load average after: {load_average()}")
    print_table(results)
    verdicts = evaluate(results)
    print_verdicts(verdicts)
    if args.profile:
        print_profiles(verdicts, args.profile)


def print_header() -> None:
    libyaml = yaml.__with_libyaml__ and hasattr(yaml, "CSafeDumper")
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) {sys.executable}"
    )
    print(
        f"PyYAML {yaml.__version__}, libyaml CSafeLoader/CSafeDumper: {'yes' if libyaml else 'NO'}"
    )
    print(f"CPUs: {os.cpu_count()} ({len(os.sched_getaffinity(0))} usable); {git}")
    print(f"code measured: {measured_code()}")
    print(f"bytecode: {compile_bytecode()}")
    print(f"load average before: {load_average()}")


def load_average() -> str:
    """Other work on the machine stretches wall times: judge the figures with this at hand."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def measured_package() -> Path:
    spec = importlib.util.find_spec("reconciler")
    if spec is None or spec.origin is None:
        raise SystemExit("the reconciler package is not importable: install the project first")
    return Path(spec.origin).parent


def measured_code() -> str:
    """Which reconciler the scenarios import (PYTHONPATH can point at a clean export of a commit),
    and its commit when it is a git checkout: other work may change the tree between runs."""
    package = measured_package()
    git = ["git", "-C", str(package)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"{package} (not a git checkout)"
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return f"{package} at commit {head.stdout.strip()}, {len(changed)} uncommitted file(s) in it"


def compile_bytecode() -> str:
    """Compiled as `pip install` leaves an installed package (the image's): an editable install
    in an environment with PYTHONDONTWRITEBYTECODE set (python images set it) would otherwise
    compile every module again in every process, about 0.1 s of each command."""
    package = measured_package()
    compiled = compileall.compile_dir(package, quiet=1, workers=0)
    return f"{package} compiled{'' if compiled else ' (with errors)'}, as pip install leaves it"


def generate(workdir: Path, nodes: int) -> tuple[Path, Path]:
    """The cluster's snapshot and, for the floors, the routes render writes for it."""
    snapshot, routes = workdir / f"cluster-{nodes}.json", workdir / f"routes-{nodes}.json"
    for what, path in (("snapshot", snapshot), ("routes", routes)):
        command = [sys.executable, str(HERE / "synthetic.py"), what, "--nodes", str(nodes)]
        subprocess.run([*command, "--out", str(path)], check=True)
    size_mb = snapshot.stat().st_size / 1e6
    print(
        f"input: {nodes:,} nodes x 2 CIDRs: {snapshot.name} {size_mb:.1f} MB "
        f"({size_mb * 1e3 / nodes:.1f} KB per node, Node + CiliumNode)"
    )
    return snapshot, routes


def measure_floor(name: str, nodes: int, snapshot: Path, routes: Path) -> Measurement:
    """The fastest of FLOOR_RUNS whole processes of floors.py."""
    command = [sys.executable, str(HERE / "floors.py"), FLOORS[name], str(snapshot), str(routes)]
    best = min((run_process(command) for _ in range(FLOOR_RUNS)), key=lambda run: run.wall_s)
    if best.exit_code != 0:
        raise SystemExit(f"{name} failed: {best.stderr}")
    return Measurement(name, nodes, 2, nodes * 2, best.wall_s, best.cpu_s, best.peak_rss_mb)


def measure(job: Job, workdir: Path, snapshot: Path | None, profiles: Path | None) -> Measurement:
    print(f"running {job.scenario}, {job.nodes:,} nodes ...", end=" ", file=sys.stderr, flush=True)
    started = time.perf_counter()
    command = [sys.executable, str(HERE / "scenarios.py"), job.scenario]
    command += ["--nodes", str(job.nodes), "--cidrs", str(job.cidrs_per_node)]
    command += ["--foreign", str(job.foreign), "--workdir", str(workdir)]
    if snapshot is not None:
        command += ["--snapshot", str(snapshot)]
    if profiles is not None:
        command += ["--profile", str(profiles / f"{job.slug}.prof")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_S)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{job.scenario} at {job.nodes:,} nodes failed (exit {done.returncode})")
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return Measurement.from_json(done.stdout.strip().splitlines()[-1])


def floor_of(results: list[Measurement], row: Measurement, name: str) -> Measurement | None:
    return next((r for r in results if r.scenario == name and r.nodes == row.nodes), None)


def ratio(results: list[Measurement], row: Measurement, name: str) -> float | None:
    if row.scenario not in RENDER_SCENARIOS:
        return None
    floor = floor_of(results, row, name)
    return None if floor is None else row.wall_s / floor.wall_s


def print_table(results: list[Measurement]) -> None:
    header = (
        "scenario",
        "nodes",
        "routes",
        "wall (s)",
        "CPU (s)",
        "peak RSS (MB)",
        "HTTP requests",
        "bytes to Avi",
        "÷ floor",
        "÷ typed floor",
        "details",
    )

    def times(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    rows = [
        (
            row.scenario,
            f"{row.nodes:,}",
            f"{row.routes:,}",
            f"{row.wall_s:.3f}",
            f"{row.cpu_s:.3f}",
            f"{row.peak_rss_mb:.0f}",
            str(row.http_requests),
            "-" if row.bytes_to_avi is None else f"{row.bytes_to_avi:,}",
            times(ratio(results, row, FLOOR_JSON_YAML)),
            times(ratio(results, row, FLOOR_TYPED)),
            row.details,
        )
        for row in results
    ]
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    numeric = set(range(1, len(header) - 1))

    def line(cells: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
                for i, cell in enumerate(cells)
            )
            + " |"
        )

    print()
    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for cells in rows:
        print(line(cells))


def evaluate(results: list[Measurement]) -> list[Verdict]:
    """The issue's targets on 2 cores, 5,000 nodes x 2 CIDRs (10,000 routes)."""

    def rows(scenario: str, nodes: int | None = None) -> list[Measurement]:
        return [r for r in results if r.scenario == scenario and nodes in (None, r.nodes)]

    verdicts: list[Verdict] = []
    for scenario, share in FLOOR_SHARE.items():
        verdicts.append(
            _verdict(
                f"{scenario} <= {share}x the json.loads + libyaml floor (wall)",
                rows(scenario, TARGET_NODES),
                lambda r, share=share: (ratio(results, r, FLOOR_JSON_YAML) or math.inf) <= share,
                lambda r: (
                    f"{ratio(results, r, FLOOR_JSON_YAML) or 0:.2f}x: {r.wall_s:.2f} s vs "
                    f"{(floor_of(results, r, FLOOR_JSON_YAML) or r).wall_s:.2f} s; CPU "
                    f"{r.cpu_s:.2f} s vs {(floor_of(results, r, FLOOR_JSON_YAML) or r).cpu_s:.2f} s"
                ),
            )
        )
    verdicts.append(
        _verdict(
            f"render peak RSS <= {TARGET_RENDER_RSS_MB:.0f} MB",
            rows(RENDER, TARGET_NODES),
            lambda r: r.peak_rss_mb <= TARGET_RENDER_RSS_MB,
            lambda r: f"{r.peak_rss_mb:.0f} MB",
        )
    )
    for scenario in (APPLY_PUT, APPLY_PATCH):
        verdicts.append(
            _verdict(
                f"{scenario}, 60,000-route VRF: peak RSS <= {TARGET_APPLY_RSS_MB:.0f} MB",
                rows(scenario, TARGET_NODES),
                lambda r: r.peak_rss_mb <= TARGET_APPLY_RSS_MB,
                lambda r: f"{r.peak_rss_mb:.0f} MB",
            )
        )
    for scenario, before in APPLY_CPU_BEFORE.items():
        verdicts.append(
            _verdict(
                f"{scenario}, 60,000-route VRF: CPU <= 1/3 of {before:.2f} s (before)",
                rows(scenario, TARGET_NODES),
                lambda r, before=before: r.cpu_s <= before * APPLY_CPU_SHARE,
                lambda r: f"{r.cpu_s:.2f} s",
            )
        )
    writes = {APPLY_PUT: 1, APPLY_PATCH: 2, APPLY_PATCH_MANY: 2, APPLY_PATCH_ADD: 1}
    for scenario, expected in writes.items():
        verdicts.append(
            _verdict(
                f"{scenario}: {expected} write(s)",
                rows(scenario),
                lambda r, expected=expected: r.writes == expected,
                lambda r: f"{r.routes:,} routes: {r.writes} write(s), {r.write_bytes:,} bytes",
            )
        )
    verdicts.append(
        _verdict(
            f"list requests <= ceil(N/{LIST_PAGE_SIZE}) per resource",
            rows(ONLINE),
            lambda r: all(
                count <= math.ceil(r.nodes / LIST_PAGE_SIZE) for count in r.list_requests.values()
            ),
            lambda r: f"{r.nodes:,} nodes {r.list_requests}",
        )
    )
    verdicts.append(
        _verdict(
            "no-op apply: zero writes",
            rows(APPLY_NOOP),
            lambda r: r.writes == 0,
            lambda r: f"{r.routes:,} routes: {r.writes} writes",
        )
    )
    verdicts.append(
        _verdict(
            "no-op render: zero commits",
            rows(NOOP_RENDER),
            lambda r: r.new_commits == 0,
            lambda r: f"{r.nodes:,} nodes: {r.new_commits} commits",
        )
    )
    for scenario in RENDER_SCENARIOS:
        verdicts.extend(_linear_growth(rows(scenario)))
    return verdicts


def _verdict(
    target: str,
    rows: list[Measurement],
    passes: Callable[[Measurement], bool],
    observe: Callable[[Measurement], str],
) -> Verdict:
    if not rows:
        return Verdict(target, None, "not measured in this run")
    failing = tuple(r for r in rows if not passes(r))
    return Verdict(target, not failing, "; ".join(observe(r) for r in rows), failing)


def _linear_growth(rows: Iterable[Measurement]) -> list[Verdict]:
    """CPU time per route must not grow by more than LINEAR_SLACK from one size to the next;
    CPU, because other load on a small machine stretches wall time unevenly."""
    ordered = sorted(rows, key=lambda r: r.nodes)
    verdicts = []
    for smaller, larger in itertools.pairwise(ordered):
        routes = larger.routes / smaller.routes
        growth = larger.cpu_s / smaller.cpu_s / routes
        verdicts.append(
            Verdict(
                f"roughly linear: {larger.scenario}, {smaller.nodes:,} -> {larger.nodes:,} nodes",
                growth <= LINEAR_SLACK,
                f"routes x{routes:.1f}: CPU x{larger.cpu_s / smaller.cpu_s:.1f} (per route "
                f"x{growth:.2f}), wall x{larger.wall_s / smaller.wall_s:.1f}",
                () if growth <= LINEAR_SLACK else (larger,),
            )
        )
    return verdicts


def print_verdicts(verdicts: list[Verdict]) -> None:
    print(f"\nTargets (2 cores, {TARGET_NODES:,} nodes x 2 CIDRs unless stated):")
    for verdict in verdicts:
        status = {True: "pass", False: "FAIL", None: "n/a "}[verdict.ok]
        print(f"  {status}  {verdict.target}: {verdict.observed}")


def print_profiles(verdicts: list[Verdict], profiles: Path) -> None:
    """Top 10 cumulative functions of every scenario behind a failing target."""
    jobs = {Job(r.scenario, r.nodes) for v in verdicts if not v.ok for r in v.rows}
    for job in sorted(jobs, key=lambda job: job.slug):
        path = profiles / f"{job.slug}.prof"
        if not path.exists():
            continue
        report = io.StringIO()
        stats = pstats.Stats(str(path), stream=report).sort_stats("cumulative")
        stats.print_stats(OUTSIDE_BENCHMARKS, 10)
        print(f"\nProfile of {job.scenario}, {job.nodes:,} nodes ({path}):")
        print(report.getvalue().split("\n\n", 2)[-1].rstrip())


if __name__ == "__main__":
    main()
