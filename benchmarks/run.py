"""Benchmarks of route-reconciler at 1,000 / 5,000 / 15,000 nodes: one table, then the targets.

    python benchmarks/run.py             # everything (a few minutes on 2 cores)
    python benchmarks/run.py --quick     # 1,000 and 5,000 nodes only
    python benchmarks/run.py --nodes 3000 --profile /tmp/route-reconciler-profiles

Each scenario runs in its own process (scenarios.py) so its peak RSS is its own; this process
imports nothing from the project and stays small, since children inherit its ru_maxrss.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from measurement import (
    APPLY_NOOP,
    APPLY_PATCH,
    APPLY_PUT,
    APPLY_SCENARIOS,
    NOOP_RENDER,
    OFFLINE,
    ONLINE,
    RENDER_SCENARIOS,
    Measurement,
)

HERE = Path(__file__).resolve().parent
FULL_SIZES = (1_000, 5_000, 15_000)
QUICK_SIZES = (1_000, 5_000)
# (nodes whose 2 routes each are ours, foreign routes): VRFs of 10,000 and 60,000 routes
APPLY_VRFS = ((1_000, 8_000), (5_000, 50_000))
TARGET_NODES = 5_000
TARGET_WALL_S = 1.5
TARGET_FLOOR_RATIO = 3.0
TARGET_RSS_MB = 200.0
TARGET_PATCH_BYTES = 4_096
LIST_PAGE_SIZE = 500
LINEAR_SLACK = 1.5  # CPU time per route may grow this much from one size to the next
SCENARIO_TIMEOUT_S = 900
OUTSIDE_BENCHMARKS = r"^(?!.*/benchmarks/)"  # pstats filter: the project's and libraries' frames


@dataclass(frozen=True)
class Job:
    scenario: str
    nodes: int
    cidrs_per_node: int = 2
    foreign: int = 0

    def snapshot(self, snapshots: Mapping[tuple[int, int], Path]) -> Path | None:
        """The cluster file a render scenario reads; apply scenarios build their VRF instead."""
        if self.scenario not in RENDER_SCENARIOS:
            return None
        return snapshots[(self.nodes, self.cidrs_per_node)]

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
        snapshots = {
            (nodes, cidrs): generate(workdir, nodes, cidrs)
            for nodes in node_counts
            for cidrs in (2, 1)
        }
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        results = [
            measure(job, workdir, job.snapshot(snapshots), args.profile)
            for job in planned_jobs(node_counts)
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
    print(f"load average before: {load_average()}")


def load_average() -> str:
    """Other work on the machine stretches wall times: judge the figures with this at hand."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def measured_code() -> str:
    """Which reconciler the scenarios import (PYTHONPATH can point at a clean export of a commit),
    and its commit when it is a git checkout: other work may change the tree between runs."""
    spec = importlib.util.find_spec("reconciler")
    if spec is None or spec.origin is None:
        raise SystemExit("the reconciler package is not importable: install the project first")
    package = Path(spec.origin).parent
    git = ["git", "-C", str(package)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"{package} (not a git checkout)"
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return f"{package} at commit {head.stdout.strip()}, {len(changed)} uncommitted file(s) in it"


def generate(workdir: Path, nodes: int, cidrs: int) -> Path:
    path = workdir / f"cluster-{nodes}x{cidrs}.json"
    command = ["synthetic.py", "--nodes", str(nodes), "--cidrs", str(cidrs), "--out", str(path)]
    subprocess.run(
        [sys.executable, str(HERE / command[0]), *command[1:]],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    size_mb = path.stat().st_size / 1e6
    print(
        f"input: {nodes:,} nodes x {cidrs} CIDR(s): {path.name} {size_mb:.1f} MB "
        f"({size_mb * 1e3 / nodes:.1f} KB per node, Node + CiliumNode)"
    )
    return path


def planned_jobs(node_counts: Iterable[int]) -> list[Job]:
    counts = list(node_counts)
    jobs = [Job(OFFLINE, nodes, cidrs) for cidrs in (2, 1) for nodes in counts]
    jobs += [Job(ONLINE, nodes) for nodes in counts]
    jobs += [Job(NOOP_RENDER, nodes) for nodes in counts]
    jobs += [
        Job(scenario, nodes, foreign=foreign)
        for nodes, foreign in APPLY_VRFS
        for scenario in APPLY_SCENARIOS
    ]
    return jobs


def measure(job: Job, workdir: Path, snapshot: Path | None, profiles: Path | None) -> Measurement:
    print(
        f"running {job.scenario}, {job.nodes:,} nodes x {job.cidrs_per_node} ...",
        end=" ",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    command = [
        sys.executable,
        str(HERE / "scenarios.py"),
        job.scenario,
        "--nodes",
        str(job.nodes),
        "--cidrs",
        str(job.cidrs_per_node),
        "--foreign",
        str(job.foreign),
        "--workdir",
        str(workdir),
    ]
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


def print_table(results: list[Measurement]) -> None:
    header = (
        "scenario",
        "nodes",
        "CIDRs",
        "routes",
        "wall (s)",
        "our CPU (s)",
        "peak RSS (MB)",
        "HTTP requests",
        "bytes to Avi",
        "ours/floor",
        "details",
    )
    rows = [
        (
            row.scenario,
            f"{row.nodes:,}",
            str(row.cidrs_per_node),
            f"{row.routes:,}",
            f"{row.wall_s:.3f}",
            f"{row.cpu_s:.3f}",
            f"{row.peak_rss_mb:.0f}",
            str(row.http_requests),
            "-" if row.avi_bytes_sent is None else f"{row.avi_bytes_sent:,}",
            "-" if row.floor_ratio is None else f"{row.floor_ratio:.1f}x",
            row.details + ("" if row.floor_s is None else f"; floor {row.floor_s:.3f} s"),
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

    def rows(scenario: str, nodes: int | None = None, cidrs: int = 2) -> list[Measurement]:
        return [
            r
            for r in results
            if r.scenario == scenario and r.cidrs_per_node == cidrs and nodes in (None, r.nodes)
        ]

    verdicts: list[Verdict] = []
    offline = rows(OFFLINE, TARGET_NODES)
    verdicts.append(
        _verdict(
            f"offline render + plan < {TARGET_WALL_S} s",
            offline,
            lambda r: r.wall_s < TARGET_WALL_S,
            lambda r: f"{r.wall_s:.2f} s",
        )
    )
    verdicts.append(
        _verdict(
            f"offline render + plan within {TARGET_FLOOR_RATIO:.0f}x the floor",
            offline,
            lambda r: (r.floor_ratio or math.inf) <= TARGET_FLOOR_RATIO,
            lambda r: f"{r.floor_ratio or 0:.1f}x (floor {r.floor_s or 0:.2f} s)",
        )
    )
    at_target = [r for r in results if r.nodes == TARGET_NODES and r.cidrs_per_node == 2]
    verdicts.append(
        _verdict(
            f"peak RSS < {TARGET_RSS_MB:.0f} MB",
            at_target,
            lambda r: r.peak_rss_mb < TARGET_RSS_MB,
            lambda r: f"{r.scenario} {r.peak_rss_mb:.0f} MB",
        )
    )
    verdicts.append(
        _verdict(
            f"list requests <= ceil(N/{LIST_PAGE_SIZE}) per resource",
            rows(ONLINE),
            lambda r: all(
                count <= math.ceil(r.nodes / LIST_PAGE_SIZE) for count in r.list_requests.values()
            ),
            lambda r: (
                f"{r.nodes:,} nodes {r.list_requests} vs {math.ceil(r.nodes / LIST_PAGE_SIZE)}"
            ),
        )
    )
    for scenario in (APPLY_PUT, APPLY_PATCH):
        verdicts.append(
            _verdict(
                f"{scenario}, 60,000-route VRF: one GET + one write",
                rows(scenario, TARGET_NODES),
                lambda r: r.gets == 1 and r.writes == 1,
                lambda r: f"{r.gets} GET + {r.writes} write(s)",
            )
        )
    verdicts.append(
        _verdict(
            f"{APPLY_PATCH}, 60,000-route VRF: < {TARGET_PATCH_BYTES:,} bytes written",
            rows(APPLY_PATCH, TARGET_NODES),
            lambda r: (r.write_bytes or 0) < TARGET_PATCH_BYTES,
            lambda r: f"{r.write_bytes:,} bytes",
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
        for cidrs in (2, 1):
            verdicts.extend(_linear_growth(rows(scenario, cidrs=cidrs)))
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


def _linear_growth(rows: list[Measurement]) -> list[Verdict]:
    """CPU time per route must not grow by more than LINEAR_SLACK from one size to the next.

    CPU time of the measuring process, because other load on a small machine stretches wall
    time unevenly; the wall time growth is shown next to it.
    """
    ordered = sorted(rows, key=lambda r: r.nodes)
    verdicts = []
    for smaller, larger in itertools.pairwise(ordered):
        routes = larger.routes / smaller.routes
        growth = larger.cpu_s / smaller.cpu_s / routes
        verdicts.append(
            Verdict(
                f"roughly linear: {larger.scenario}, {larger.cidrs_per_node} CIDR(s), "
                f"{smaller.nodes:,} -> {larger.nodes:,} nodes",
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
    jobs = {
        Job(r.scenario, r.nodes, r.cidrs_per_node) for v in verdicts if not v.ok for r in v.rows
    }
    for job in sorted(jobs, key=lambda job: job.slug):
        path = profiles / f"{job.slug}.prof"
        report = io.StringIO()
        stats = pstats.Stats(str(path), stream=report).sort_stats("cumulative")
        stats.print_stats(OUTSIDE_BENCHMARKS, 10)
        print(f"\nProfile of {job.scenario}, {job.nodes:,} nodes x {job.cidrs_per_node} ({path}):")
        print(report.getvalue().split("\n\n", 2)[-1].rstrip())


if __name__ == "__main__":
    main()
