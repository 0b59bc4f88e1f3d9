"""The CronJob's run, end to end: a fresh clone per run of a real bare remote, the fake
Kubernetes API, the fake GitHub API and the Avi stand-in, and a reviewer who merges."""

from __future__ import annotations

from pathlib import Path

import git
from helpers import cilium_node, node, route

from reconciler.cli import main
from reconciler.manifest import Manifest, manifest_path, render_manifest
from reconciler.sim.kube import FakeKubeApi

NODES = {"w1": "10.0.1.0/24", "w2": "10.0.2.0/24"}


def add_node(cluster: FakeKubeApi, name: str, cidr: str) -> None:
    cluster.apply(node(name, f"192.168.10.{name[1:]}"))
    cluster.apply(cilium_node(name, [cidr]))


def remove_node(cluster: FakeKubeApi, name: str) -> None:
    cluster.delete("Node", name)
    cluster.delete("CiliumNode", name)


class Job:
    def __init__(self, tmp_path, capsys, cluster, github, avi, remote):
        self.tmp_path, self.capsys, self.github, self.avi, self.remote = (
            tmp_path,
            capsys,
            github,
            avi,
            remote,
        )
        self.cluster = cluster
        self.kubeconfig = str(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        self.runs = 0

    def fresh_clone(self) -> str:
        """Each run starts from a fresh clone, like a CronJob pod."""
        self.runs += 1
        workdir = self.tmp_path / f"run-{self.runs}"
        git.Repo.clone_from(self.remote.working_dir, workdir)
        return str(workdir)

    def run(self, *extra: str) -> tuple[int, str]:
        return self.command("run", "--kubeconfig", self.kubeconfig, *extra)

    def command(self, name: str, *extra: str, github: bool = True) -> tuple[int, str]:
        """`route-reconciler <name>` in a fresh clone, with Avi and (unless told not to)
        GitHub configured."""
        repository = ["--github-repo", "acme/routes", "--github-api-url", self.github.url]
        code = main(
            [
                name,
                "--cluster-name",
                "c",
                "--repo",
                self.fresh_clone(),
                *(repository if github else []),
                "--avi-controller",
                self.avi.url,
                *extra,
            ]
        )
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    def merge(self, number: int) -> str:
        """A reviewer presses merge: main gets a merge commit of the proposal branch; its id."""
        reviewer = git.Repo.clone_from(self.remote.working_dir, self.tmp_path / f"review-{number}")
        reviewer.git.merge(
            "--no-ff", "-m", f"Merge pull request #{number}", "origin/route-reconciler/c"
        )
        reviewer.git.push("origin", "main")
        self.github.merge(number, reviewer.head.commit.hexsha)
        return reviewer.head.commit.hexsha

    def push_reviewed(self, *routes: str) -> str:
        """A manifest merged on main by hand, as a reviewer could; the commit."""
        self.runs += 1
        reviewer = git.Repo.clone_from(self.remote.working_dir, self.tmp_path / f"hand-{self.runs}")
        manifest = Manifest(
            "c", "global", "Default-Cloud", "cilium-cluster-pool", tuple(map(route, routes))
        )
        path = Path(reviewer.working_dir) / manifest_path("c", "global")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_manifest(manifest))
        reviewer.index.add([manifest_path("c", "global")])
        reviewer.index.commit("routes: merged by hand")
        reviewer.git.push("origin", "main")
        return reviewer.head.commit.hexsha

    def avi_routes(self) -> set[str]:
        return set(self.avi_next_hops())

    def avi_next_hops(self) -> dict[str, str]:
        return {
            f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}": r["next_hop"]["addr"]
            for r in self.avi.vrf("global")["static_routes"]
        }

    def edit_on_avi(self, prefix: str, next_hop: str) -> None:
        """Someone changes the next hop of a route on Avi by hand."""
        vrf = self.avi.vrf("global")
        routes = vrf["static_routes"]
        for entry in routes:
            if f"{entry['prefix']['ip_addr']['addr']}/{entry['prefix']['mask']}" == prefix:
                entry["next_hop"]["addr"] = next_hop
        self.avi.set_routes(vrf["uuid"], routes)

    def writes_to_github(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.github.requests if r.method != "GET"]


def applied_job(job: Job) -> str:
    """The proposal opened, merged and applied: Avi holds the cluster's routes. The merge
    commit."""
    code, out = job.run()
    assert code == 2 and "pull request #1 opened" in out, out
    merged = job.merge(1)
    code, out = job.run()
    assert code == 2 and "applied 2 change(s)" in out, out
    return merged
