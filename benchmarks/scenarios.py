"""One scenario in a fresh process, printed as one JSON line (see measurement.py).

A fresh process per scenario makes its peak RSS its own: ru_maxrss never goes down. Each
scenario runs up to three times and keeps the fastest run; a slow one stops earlier so the whole
suite stays within minutes. Stand-ins run in their own processes (standins.py).

    scenarios.py SCENARIO --nodes N --cidrs 2 --workdir DIR --snapshot FILE [--foreign F]
                 [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from measurement import (
    APPLY_NOOP,
    APPLY_PATCH,
    APPLY_PUT,
    NOOP_RENDER,
    OFFLINE,
    ONLINE,
    Measurement,
    peak_rss_mb,
)
from standins import AVI_PASSWORD, AVI_USERNAME, HttpRecord, avi_stand_in, kube_stand_in
from synthetic import CLUSTER, cluster_routes

from reconciler.apply import ApplySettings, Target, WriteMode, plan_against, reconcile_vrf
from reconciler.avi.client import AviClient, AviSettings
from reconciler.gitstore import GitStore
from reconciler.ipam.kube import KubeSource, api_client
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.policy import RoutePolicy
from reconciler.render import RenderResult, RenderSettings, render
from reconciler.routes import Route

MAX_RUNS = 3
RUN_BUDGET_S = 10.0  # no further run once this much time has gone into a scenario's runs
CLOUD = "Default-Cloud"
RENDER_SETTINGS = RenderSettings(cluster=CLUSTER, commit=True)
WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")
# libyaml's emitter; without libyaml (the header says so) the pure-Python one, as the project does
FLOOR_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
GIT_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]


@dataclass
class Run:
    """One timed run: its wall and CPU seconds, a note for the table, and what it sent over HTTP."""

    wall_s: float
    cpu_s: float
    note: str = ""
    http: list[HttpRecord] = field(default_factory=list)
    avi_bytes_sent: int | None = None


class Stopwatch:
    """Wall time, and this process's CPU time: the stand-ins' work shows only in wall time."""

    def __init__(self) -> None:
        self._wall_started = time.perf_counter()
        self._cpu_started = time.process_time()

    def wall(self) -> float:
        return time.perf_counter() - self._wall_started

    def cpu(self) -> float:
        return time.process_time() - self._cpu_started


@dataclass
class Job:
    scenario: str
    nodes: int
    cidrs_per_node: int
    workdir: Path
    snapshot: Path
    foreign: int
    profile: Path | None


def fastest(once: Callable[[], Run]) -> Run:
    """The fastest of up to 3 runs, the one least disturbed by other load; a slow scenario gets
    fewer runs so the suite stays within minutes."""
    runs = [once()]
    while len(runs) < MAX_RUNS and sum(run.wall_s for run in runs) < RUN_BUDGET_S:
        runs.append(once())
    return min(runs, key=lambda run: run.wall_s)


def best_of(once: Callable[[], Run], job: Job) -> tuple[Run, float]:
    """The fastest run and the peak RSS so far; with --profile, then one more run under cProfile
    (after reading the RSS, so the profiler's own memory does not count)."""
    best, rss = fastest(once), peak_rss_mb()
    if job.profile is not None:
        profiler = cProfile.Profile()
        profiler.runcall(once)
        profiler.dump_stats(job.profile)
    return best, rss


def fresh_repo(workdir: Path) -> Path:
    """A routes repository with `main` and one commit, as a user's would be."""
    repo = Path(tempfile.mkdtemp(prefix="repo-", dir=workdir))
    (repo / "README.md").write_text("routes\n")
    for command in (["init", "-q", "-b", "main"], ["add", "README.md"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *GIT_IDENTITY, *command], cwd=repo, check=True)
    return repo


def commit_count(repo: Path) -> int:
    output = subprocess.run(
        ["git", "rev-list", "--all", "--count"], cwd=repo, check=True, capture_output=True
    )
    return int(output.stdout)


def avi_client(url: str) -> AviClient:
    return AviClient(AviSettings(controller=url, username=AVI_USERNAME, password=AVI_PASSWORD))


def checked_render(source: SnapshotSource | KubeSource, repo: Path, job: Job) -> RenderResult:
    """Render, and fail loudly unless every node's routes came out: a benchmark of a render that
    dropped routes would measure the wrong thing."""
    result = render(source, GitStore(repo), RENDER_SETTINGS)
    expected = job.nodes * job.cidrs_per_node
    if len(result.manifest.routes) != expected or result.computation.errors:
        raise SystemExit(f"rendered {len(result.manifest.routes)} routes, expected {expected}")
    return result


def offline_render_and_plan(job: Job) -> Measurement:
    """`render --snapshot` into a fresh repo plus the three-way plan against a VRF that holds
    the routes applied before the newest 1% of nodes joined; then the floor on the same file."""
    target = Target(CLUSTER, "global", CLOUD)
    applied_nodes = job.nodes - job.nodes // 100
    rendered: list[Route] = []
    with avi_stand_in(applied_nodes, job.cidrs_per_node, foreign=0) as avi_server:

        def once() -> Run:
            repo = fresh_repo(job.workdir)
            avi_server.clear()
            stopwatch = Stopwatch()
            result = checked_render(SnapshotSource([job.snapshot]), repo, job)
            render_s = stopwatch.wall()
            with avi_client(avi_server.info["url"]) as avi:
                vrf_uuid = str(avi.find_vrf(avi_server.info["vrf"], CLOUD)["uuid"])
                routes = result.manifest.routes
                plan = plan_against(avi, vrf_uuid, target, None, routes, RoutePolicy())[2]
            wall_s, cpu_s = stopwatch.wall(), stopwatch.cpu()
            rendered[:] = result.manifest.routes
            note = (
                f"render {render_s:.2f} s + plan {wall_s - render_s:.2f} s "
                f"({len(plan.changes)} adds)"
            )
            return Run(wall_s, cpu_s, note, avi_server.requests(), avi.bytes_sent)

        best, rss = best_of(once, job)
    floor = fastest(lambda: _floor_once(job.snapshot, rendered))
    return _measurement(job, best, rss, routes=len(rendered), floor_s=floor.wall_s)


def _floor_once(snapshot: Path, routes: list[Route]) -> Run:
    """What the offline scenario cannot avoid: parse the input, write the output routes."""
    document = {
        "routes": [
            {
                "routeId": route.route_id,
                "prefix": str(route.prefix),
                "nextHop": str(route.next_hop),
                "node": route.node,
            }
            for route in routes
        ]
    }
    stopwatch = Stopwatch()
    json.loads(snapshot.read_bytes())
    yaml.dump(document, Dumper=FLOOR_DUMPER, sort_keys=False, default_flow_style=None, width=4096)
    return Run(stopwatch.wall(), stopwatch.cpu())


def online_render(job: Job) -> Measurement:
    """The same cluster read page by page from the fake API server through the real client."""
    kubeconfig = job.workdir / f"kubeconfig-{job.nodes}x{job.cidrs_per_node}"
    list_requests: dict[str, int] = {}
    with kube_stand_in(job.snapshot, kubeconfig) as kube_server:

        def once() -> Run:
            repo = fresh_repo(job.workdir)
            kube_server.clear()
            stopwatch = Stopwatch()
            with api_client(str(kubeconfig)) as api:
                source = KubeSource(api)
                checked_render(source, repo, job)
                wall_s, cpu_s = stopwatch.wall(), stopwatch.cpu()
            list_requests.update(source.list_requests)
            pages = ", ".join(f"{name} {count}" for name, count in source.list_requests.items())
            return Run(wall_s, cpu_s, f"list requests: {pages}", kube_server.requests())

        best, rss = best_of(once, job)
    measurement = _measurement(job, best, rss, routes=job.nodes * job.cidrs_per_node)
    measurement.list_requests = list_requests
    return measurement


def noop_render(job: Job) -> Measurement:
    """Render the unchanged cluster again with commit=True: it must add no commit."""
    repo = fresh_repo(job.workdir)
    checked_render(SnapshotSource([job.snapshot]), repo, job)
    new_commits = 0

    def once() -> Run:
        nonlocal new_commits
        before = commit_count(repo)
        stopwatch = Stopwatch()
        result = checked_render(SnapshotSource([job.snapshot]), repo, job)
        wall_s, cpu_s = stopwatch.wall(), stopwatch.cpu()
        new_commits += commit_count(repo) - before
        return Run(wall_s, cpu_s, f"commit {result.commit or 'none'}")

    best, rss = best_of(once, job)
    measurement = _measurement(job, best, rss, routes=job.nodes * job.cidrs_per_node)
    measurement.new_commits = new_commits
    measurement.details += f"; new commits {new_commits}"
    return measurement


def apply_change(job: Job) -> Measurement:
    """reconcile_vrf against a VRF of our routes among many foreign ones: nothing to do, or one
    route's next hop changed since the last apply (a different route each run)."""
    write_mode: WriteMode = "patch" if job.scenario == APPLY_PATCH else "put"
    settings = ApplySettings(Target(CLUSTER, "global", CLOUD), write_mode=write_mode)
    applied = cluster_routes(job.nodes, job.cidrs_per_node)
    vrf_routes = len(applied) + job.foreign
    with (
        avi_stand_in(job.nodes, job.cidrs_per_node, job.foreign) as avi_server,
        avi_client(avi_server.info["url"]) as avi,
    ):
        vrf_uuid = str(avi.find_vrf(avi_server.info["vrf"], CLOUD)["uuid"])
        changed_runs = 0

        def once() -> Run:
            nonlocal applied, changed_runs
            wanted = applied
            if job.scenario != APPLY_NOOP:
                changed_runs += 1
                wanted = _with_next_hop_moved(applied, changed_runs * 7919 % len(applied))
            avi_server.clear()
            sent_before = avi.bytes_sent
            stopwatch = Stopwatch()
            result = reconcile_vrf(avi, vrf_uuid, applied, wanted, settings)
            wall_s, cpu_s = stopwatch.wall(), stopwatch.cpu()
            applied = wanted
            note = f"ours {len(wanted):,} + foreign {job.foreign:,}; {len(result.applied)} changes"
            sent = avi.bytes_sent - sent_before
            return Run(wall_s, cpu_s, note, avi_server.requests(), sent)

        best, rss = best_of(once, job)
    return _measurement(job, best, rss, routes=vrf_routes)


def _with_next_hop_moved(routes: list[Route], index: int) -> list[Route]:
    """The node of route `index` got a new IP: its route's next hop moves by 65,536 addresses."""
    moved = replace(routes[index], next_hop=routes[index].next_hop + 65_536)
    return [*routes[:index], moved, *routes[index + 1 :]]


def _measurement(
    job: Job, best: Run, rss: float, *, routes: int, floor_s: float | None = None
) -> Measurement:
    by_method = Counter(record.method for record in best.http)
    writes = [r for r in best.http if r.method in WRITE_METHODS and r.path.startswith("/api/")]
    is_apply = job.scenario in (APPLY_NOOP, APPLY_PUT, APPLY_PATCH)
    methods = ", ".join(f"{method} {count}" for method, count in sorted(by_method.items()))
    return Measurement(
        scenario=job.scenario,
        nodes=job.nodes,
        cidrs_per_node=job.cidrs_per_node,
        routes=routes,
        wall_s=best.wall_s,
        cpu_s=best.cpu_s,
        peak_rss_mb=rss,
        http_requests=len(best.http),
        avi_bytes_sent=best.avi_bytes_sent,
        details=f"{best.note}; HTTP {methods}" if methods else best.note,
        gets=by_method["GET"] if is_apply else None,
        writes=len(writes) if is_apply else None,
        write_bytes=sum(r.body_bytes for r in writes) if is_apply else None,
        floor_s=floor_s,
    )


SCENARIOS: dict[str, Callable[[Job], Measurement]] = {
    OFFLINE: offline_render_and_plan,
    ONLINE: online_render,
    NOOP_RENDER: noop_render,
    APPLY_NOOP: apply_change,
    APPLY_PUT: apply_change,
    APPLY_PATCH: apply_change,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--cidrs", type=int, choices=(1, 2), default=2)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--snapshot", type=Path, help="the cluster file (render scenarios)")
    parser.add_argument("--foreign", type=int, default=0)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    job = Job(
        args.scenario,
        args.nodes,
        args.cidrs,
        args.workdir,
        args.snapshot,
        args.foreign,
        args.profile,
    )
    print(SCENARIOS[job.scenario](job).to_json())


if __name__ == "__main__":
    main()
