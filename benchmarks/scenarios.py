"""One scenario, printed as one JSON line (see measurement.py).

Every timed step is a fresh process of the installed `route-reconciler` entry point, as a
CronJob runs it: interpreter start, imports, the work, git's own processes. Its wall time, CPU
and peak RSS come from `wait4`, so they are that process's alone. A scenario runs up to three
times and keeps the fastest run; a slow one stops earlier so the whole suite stays within
minutes. Stand-ins run in processes of their own (standins.py). This process imports nothing
from the project and stays small: a child starts with its parent's peak RSS.

    scenarios.py SCENARIO --nodes N --cidrs 2 --workdir DIR [--snapshot FILE] [--foreign F]
                 [--profile FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from measurement import (
    APPLY_NOOP,
    APPLY_PATCH,
    APPLY_PATCH_ADD,
    APPLY_PATCH_MANY,
    APPLY_PUT,
    NOOP_RENDER,
    ONLINE,
    RENDER,
    RENDER_PLAN,
    Measurement,
    Process,
    run_process,
)
from standins import (
    AVI_PASSWORD,
    AVI_USERNAME,
    VRF_NAME,
    HttpRecord,
    avi_stand_in,
    kube_stand_in,
)

HERE = Path(__file__).resolve().parent
ENTRY_POINT = Path(sys.executable).parent / "route-reconciler"
CLUSTER, VRF = "bench", VRF_NAME  # as synthetic.py names them
MAX_RUNS = 3
RUN_BUDGET_S = 10.0  # no further run once this much time has gone into a scenario's runs
WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}
MANY = 100  # routes changed at once in APPLY_PATCH_MANY


@dataclass
class Run:
    """One timed run: its processes summed (wall, CPU; the largest peak RSS), a note for the
    table, and what the stand-in saw."""

    processes: list[Process]
    note: str = ""
    http: list[HttpRecord] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return sum(process.wall_s for process in self.processes)


@dataclass
class Job:
    scenario: str
    nodes: int
    cidrs_per_node: int
    workdir: Path
    snapshot: Path
    foreign: int
    profile: Path | None

    @property
    def routes(self) -> int:
        return self.nodes * self.cidrs_per_node


def cli(*args: str | Path, env: dict[str, str] | None = None, expect: tuple[int, ...]) -> Process:
    """One `route-reconciler` process; an unexpected exit code stops the benchmark."""
    process = run_process([str(ENTRY_POINT), *map(str, args)], env=env)
    if process.exit_code not in expect:
        sys.stderr.write(process.stdout + process.stderr)
        raise SystemExit(f"route-reconciler {args[0]} exited {process.exit_code}")
    return process


def profiled(profile: Path | None, *args: str | Path, env: dict[str, str] | None = None) -> None:
    """One more, unmeasured run of the command under cProfile."""
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), str(ENTRY_POINT)]
        run_process([*command, *map(str, args)], env=env)


def fastest(once: Callable[[], Run]) -> Run:
    """The fastest of up to 3 runs, the one least disturbed by other load."""
    runs = [once()]
    while len(runs) < MAX_RUNS and sum(run.wall_s for run in runs) < RUN_BUDGET_S:
        runs.append(once())
    return min(runs, key=lambda run: run.wall_s)


def git(repo: Path, *args: str) -> str:
    environment = {**os.environ, **GIT_IDENTITY}
    done = subprocess.run(["git", *args], cwd=repo, env=environment, capture_output=True)
    done.check_returncode()
    return done.stdout.decode()


def fresh_repo(workdir: Path) -> Path:
    """A routes repository with `main` and one commit, as a user's would be; local only."""
    repo = Path(tempfile.mkdtemp(prefix="repo-", dir=workdir))
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("routes\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "init")
    return repo


def render_args(job: Job, repo: Path, *source: str | Path) -> list[str | Path]:
    source = source or ("--snapshot", job.snapshot)
    return ["render", *source, "--cluster-name", CLUSTER, "--vrf", VRF, "--repo", repo, "--commit"]


def rendered_routes(process: Process, job: Job) -> None:
    """Fail loudly unless every node's routes came out: a benchmark of a render that dropped
    routes would measure the wrong thing."""
    found = re.search(r": (\d+) routes;", process.stdout)
    if found is None or int(found.group(1)) != job.routes:
        raise SystemExit(f"render wrote {found and found.group(1)} routes, expected {job.routes}")


def render(job: Job) -> Measurement:
    """`render --snapshot --commit` into a fresh repository."""

    def once() -> Run:
        process = cli(*render_args(job, fresh_repo(job.workdir)), expect=(2,))
        rendered_routes(process, job)
        return Run([process], f"{job.routes:,} routes added")

    best = fastest(once)
    profiled(job.profile, *render_args(job, fresh_repo(job.workdir)))
    return measurement(job, best)


def noop_render(job: Job) -> Measurement:
    """The cluster was rendered and committed: the same render again adds no commit."""
    repo = fresh_repo(job.workdir)
    cli(*render_args(job, repo), expect=(2,))
    commits = git(repo, "rev-list", "--all", "--count")

    def once() -> Run:
        process = cli(*render_args(job, repo), expect=(0,))
        rendered_routes(process, job)
        return Run([process], "no change")

    best = fastest(once)
    profiled(job.profile, *render_args(job, repo))
    result = measurement(job, best)
    result.new_commits = int(git(repo, "rev-list", "--all", "--count")) - int(commits)
    result.details += f"; new commits {result.new_commits}"
    return result


def avi_env(avi: dict[str, str]) -> dict[str, str]:
    return {
        "AVI_CONTROLLER": avi["url"],
        "AVI_USERNAME": AVI_USERNAME,
        "AVI_PASSWORD": AVI_PASSWORD,
    }


def render_plan(job: Job) -> Measurement:
    """`render --commit` into a fresh repository, then `plan` of the proposal against a VRF
    holding the routes of all but the newest 1% of nodes: two processes, summed."""
    applied_nodes = job.nodes - job.nodes // 100
    with avi_stand_in(applied_nodes, job.cidrs_per_node, foreign=0) as avi:
        env = avi_env(avi.info)
        plan = ["plan", "--cluster-name", CLUSTER, "--vrf", VRF, "--repo"]

        def once() -> Run:
            repo = fresh_repo(job.workdir)
            rendered = cli(*render_args(job, repo), expect=(2,))
            rendered_routes(rendered, job)
            avi.clear()
            planned = cli(*plan, repo, env=env, expect=(2,))
            changes = re.search(r"(\d+) reviewed change", planned.stdout)
            note = f"render {rendered.wall_s:.2f} s + plan {planned.wall_s:.2f} s "
            note += f"({changes.group(1) if changes else '?'} changes)"
            return Run([rendered, planned], note, avi.requests())

        best = fastest(once)
        repo = fresh_repo(job.workdir)
        cli(*render_args(job, repo), expect=(2,))
        profiled(job.profile, *plan, repo, env=env)
    return measurement(job, best)


def online_render(job: Job) -> Measurement:
    """The same cluster read page by page from the fake Kubernetes API over HTTP."""
    kubeconfig = job.workdir / f"kubeconfig-{job.nodes}x{job.cidrs_per_node}"
    with kube_stand_in(job.snapshot, kubeconfig) as kube:
        source = ("--kubeconfig", kubeconfig)

        def once() -> Run:
            kube.clear()
            process = cli(*render_args(job, fresh_repo(job.workdir), *source), expect=(2,))
            rendered_routes(process, job)
            lists = Counter(
                record.path.rsplit("/", 1)[-1] for record in kube.requests() if _is_list(record)
            )
            pages = ", ".join(f"{name} {count}" for name, count in sorted(lists.items()))
            return Run([process], f"list requests: {pages}", kube.requests())

        best = fastest(once)
        profiled(job.profile, *render_args(job, fresh_repo(job.workdir), *source))
    result = measurement(job, best)
    result.list_requests = dict(
        Counter(record.path.rsplit("/", 1)[-1] for record in best.http if _is_list(record))
    )
    return result


def _is_list(record: HttpRecord) -> bool:
    return record.method == "GET" and record.path.endswith(("/nodes", "/ciliumnodes"))


def write_manifest(job: Job, repo: Path, moved: list[int], added: int, nodes: int) -> None:
    """Commit on main the cluster's manifest, next hops moved and nodes added (a review)."""
    path = repo / "routes" / CLUSTER / f"{VRF}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(HERE / "synthetic.py"), "manifest", "--nodes", str(nodes)]
    command += ["--cidrs", str(job.cidrs_per_node), "--out", str(path), "--added", str(added)]
    subprocess.run([*command, "--moved", *map(str, moved)], check=True)
    git(repo, "add", "routes")
    git(repo, "commit", "-qm", "routes: reviewed")


def apply(job: Job) -> Measurement:
    """`apply` of a reviewed manifest to a VRF of our routes among many foreign ones: nothing
    to do, next hops moved (one route, or 100 at once), or one node added; a different change
    each run, each committed on main before the timed run."""
    patch = job.scenario in (APPLY_PATCH, APPLY_PATCH_MANY, APPLY_PATCH_ADD)
    args = ["apply", "--cluster-name", CLUSTER, "--vrf", VRF, "--write-mode"]
    args += ["patch" if patch else "put", "--repo"]
    with avi_stand_in(job.nodes, job.cidrs_per_node, job.foreign) as avi:
        env = avi_env(avi.info)
        repo = fresh_repo(job.workdir)
        write_manifest(job, repo, [], 0, job.nodes)
        cli(*args, repo, env=env, expect=(0, 2))  # records the applied state, writes nothing
        moved: list[int] = []
        added = 0

        def review_next_change() -> None:
            nonlocal added
            if job.scenario == APPLY_NOOP:
                return
            if job.scenario == APPLY_PATCH_ADD:
                added += 1
            else:
                count = MANY if job.scenario == APPLY_PATCH_MANY else 1
                step = 7919  # a prime: the changed routes spread over the VRF
                start = len(moved)
                moved.extend((start + i) * step % job.routes for i in range(count))
            write_manifest(job, repo, moved, added, job.nodes)

        def once() -> Run:
            review_next_change()
            avi.clear()
            process = cli(*args, repo, env=env, expect=(0,) if job.scenario == APPLY_NOOP else (2,))
            applied = re.search(r"applied (\d+) change", process.stdout + process.stderr)
            note = f"ours {job.routes:,} + foreign {job.foreign:,}; "
            note += f"{applied.group(1) if applied else 0} changes"
            return Run([process], note, avi.requests())

        best = fastest(once)
        review_next_change()
        profiled(job.profile, *args, repo, env=env)
    return measurement(job, best, routes=job.routes + job.foreign)


def measurement(job: Job, best: Run, routes: int | None = None) -> Measurement:
    by_method = Counter(record.method for record in best.http)
    writes = [r for r in best.http if r.method in WRITE_METHODS and r.path.startswith("/api/vrf")]
    is_apply = job.scenario.startswith("apply")
    methods = ", ".join(f"{method} {count}" for method, count in sorted(by_method.items()))
    return Measurement(
        scenario=job.scenario,
        nodes=job.nodes,
        cidrs_per_node=job.cidrs_per_node,
        routes=job.routes if routes is None else routes,
        wall_s=best.wall_s,
        cpu_s=sum(process.cpu_s for process in best.processes),
        peak_rss_mb=max(process.peak_rss_mb for process in best.processes),
        http_requests=len(best.http),
        bytes_to_avi=sum(r.body_bytes for r in best.http) if is_apply else None,
        details=f"{best.note}; HTTP {methods}" if methods else best.note,
        gets=by_method["GET"] if is_apply else None,
        writes=len(writes) if is_apply else None,
        write_bytes=sum(r.body_bytes for r in writes) if is_apply else None,
    )


SCENARIOS: dict[str, Callable[[Job], Measurement]] = {
    RENDER: render,
    NOOP_RENDER: noop_render,
    RENDER_PLAN: render_plan,
    ONLINE: online_render,
    APPLY_NOOP: apply,
    APPLY_PUT: apply,
    APPLY_PATCH: apply,
    APPLY_PATCH_MANY: apply,
    APPLY_PATCH_ADD: apply,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
