"""How long a command takes to start, whole process, imports included: `--help`, and the bundled
demo cluster rendered and checked from a snapshot (a few nodes, so the figure is the start).

    python benchmarks/startup.py            # 7 runs of each, the fastest kept
    python benchmarks/startup.py --runs 15

Each run is a fresh process of the installed `route-reconciler` script beside this Python (the
entry point a user types); the table gives its fastest wall time,
the CPU of that run (user + system of the child) and which heavy libraries it loaded (read from
`sys.modules` by a second, unmeasured process that runs the same command in-process). Printed
figures only: nothing here is a test, and the suite stays free of timings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = Path(sys.executable).parent / "route-reconciler"
SNAPSHOT = ROOT / "reconciler" / "examples" / "demo-cluster.yaml"
HEAVY = ("kubernetes", "requests", "urllib3", "git", "deepdiff", "yaml", "prometheus_client")
TARGET_SECONDS = 0.5  # the bar: --help and snapshot commands well under half a second


def commands(repo: Path) -> dict[str, list[str]]:
    snapshot = ["--cluster-name", "demo", "--snapshot", str(SNAPSHOT)]
    return {
        "route-reconciler --help": ["--help"],
        "render --snapshot (demo, 4 nodes)": ["render", *snapshot, "--repo", str(repo)],
        "check --snapshot (demo, 4 nodes)": ["check", *snapshot],
    }


def fastest(argv: list[str], runs: int) -> tuple[float, float]:
    """The fastest wall time of `runs` fresh processes, and the CPU of that one."""
    best = (float("inf"), 0.0)
    for _ in range(runs):
        before = os.times()
        started = time.perf_counter()
        subprocess.run(
            [str(ENTRY_POINT), *argv],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - started
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        best = min(best, (wall, cpu))
    return best


def loaded(argv: list[str]) -> list[str]:
    """The heavy libraries the command imports, seen from inside one run of it."""
    probe = (
        "import contextlib, io, json, sys\n"
        "from reconciler.cli import main\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        f"    main({argv!r})\n"
        f"print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(result.stdout.splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command; default 7")
    args = parser.parse_args()
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load}")
    print(f"{'command':<36} {'wall (s)':>9} {'CPU (s)':>8}  heavy libraries loaded")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="route-reconciler-startup-") as scratch:
        repo = Path(scratch) / "routes"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        for name, argv in commands(repo).items():
            wall, cpu = fastest(argv, args.runs)
            worst = max(worst, wall)
            print(f"{name:<36} {wall:>9.3f} {cpu:>8.3f}  {', '.join(loaded(argv)) or 'none'}")
    verdict = "pass" if worst < TARGET_SECONDS else "FAIL"
    print(f"{verdict}  each command starts in under {TARGET_SECONDS} s (slowest {worst:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
