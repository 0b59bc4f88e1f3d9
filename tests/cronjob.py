"""The CronJob's run, end to end: a fresh clone per run of a real bare remote, the fake
Kubernetes API, the fake GitHub API and the Avi stand-in, and a reviewer who merges."""

from __future__ import annotations

import git
from helpers import cilium_node, node

from reconciler.cli import main
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
        self.kubeconfig = str(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        self.runs = 0

    def fresh_clone(self) -> str:
        """Each run starts from a fresh clone, like a CronJob pod."""
        self.runs += 1
        workdir = self.tmp_path / f"run-{self.runs}"
        git.Repo.clone_from(self.remote.working_dir, workdir)
        return str(workdir)

    def run(self, *extra: str) -> tuple[int, str]:
        workdir = self.fresh_clone()
        code = main(
            [
                "run",
                "--cluster-name",
                "c",
                "--repo",
                workdir,
                "--kubeconfig",
                self.kubeconfig,
                "--github-repo",
                "acme/routes",
                "--github-api-url",
                self.github.url,
                "--avi-controller",
                self.avi.url,
                *extra,
            ]
        )
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    def merge(self, number: int) -> None:
        """A reviewer presses merge: main gets a merge commit of the proposal branch."""
        reviewer = git.Repo.clone_from(self.remote.working_dir, self.tmp_path / f"review-{number}")
        reviewer.git.merge(
            "--no-ff", "-m", f"Merge pull request #{number}", "origin/route-reconciler/c"
        )
        reviewer.git.push("origin", "main")
        self.github.merge(number, reviewer.head.commit.hexsha)

    def avi_routes(self) -> set[str]:
        return {
            f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}"
            for r in self.avi.vrf("global")["static_routes"]
        }
