"""`demo`: the whole loop on a bundled example cluster, with no cluster of your own.

The example is served by the project's fake Kubernetes API over HTTP on 127.0.0.1 and read
through the same client code as production, into a temporary git repository.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from importlib import resources
from pathlib import Path

import git

from reconciler import yamlio
from reconciler.changes import summarize
from reconciler.gitstore import GitStore
from reconciler.ipam.kube import KubeSource, api_client
from reconciler.render import RenderResult, RenderSettings, render
from reconciler.sim.kube import FakeKubeApi

CLUSTER = "demo"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("demo", help="run the whole loop on a bundled example cluster")
    parser.add_argument("--keep", metavar="DIR", help="keep the demo git repository in DIR")
    parser.set_defaults(run=run)


def example_objects() -> list[dict]:  # type: ignore[type-arg]
    text = resources.files("reconciler.examples").joinpath("demo-cluster.yaml").read_text()
    return list(yamlio.load(text)["items"])


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="route-reconciler-demo-") as scratch:
        workdir = Path(args.keep or scratch)
        repo_path = workdir / "routes-repo"
        _init_repo(repo_path)
        with FakeKubeApi(example_objects()) as cluster:
            kubeconfig = cluster.write_kubeconfig(workdir / "kubeconfig")
            source = KubeSource(api_client(str(kubeconfig)))
            store = GitStore(repo_path)
            settings = RenderSettings(cluster=CLUSTER, commit=True)
            _step(f"1. Render the example cluster served at {cluster.url}")
            first = render(source, store, settings)
            _report(first, repo_path)
            _step("2. The cluster changes: node w4 joins, node w2 leaves")
            _change_cluster(cluster)
            second = render(source, store, settings)
            _report(second, repo_path)
            _step("3. History of the proposal branch (the reviewed ref main is untouched)")
            print(git.Repo(repo_path).git.log("--oneline", settings.proposal_branch))
        if args.keep:
            print(f"\nrepository kept in {repo_path}")
    return 0


def _init_repo(path: Path) -> None:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "route-reconciler demo")
        config.set_value("user", "email", "demo@route-reconciler.invalid")
    (path / "README.md").write_text("Routes reviewed by route-reconciler.\n")
    repo.index.add(["README.md"])
    repo.index.commit("Start the routes repository")


def _change_cluster(cluster: FakeKubeApi) -> None:
    node = copy.deepcopy(next(o for o in example_objects() if o["metadata"]["name"] == "w1"))
    node["metadata"]["name"] = "w4"
    node["status"]["addresses"] = [{"type": "InternalIP", "address": "192.168.10.14"}]
    cluster.apply(node)
    cluster.apply(
        {
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumNode",
            "metadata": {"name": "w4"},
            "spec": {"ipam": {"podCIDRs": ["10.0.4.0/24"]}},
        }
    )
    cluster.delete("Node", "w2")
    cluster.delete("CiliumNode", "w2")


def _report(result: RenderResult, repo_path: Path) -> None:
    print(f"IPAM mode: {result.cluster.ipam.mode} ({'; '.join(result.cluster.ipam.evidence)})")
    print(f"--- {result.path}")
    print((repo_path / result.path).read_text(), end="")
    print(f"--- changes against {result.baseline}: {summarize(result.changes)}")
    for change in result.changes:
        print(f"  {change.describe()}")
    if result.commit:
        print(f"committed {result.commit[:12]} on route-reconciler/{CLUSTER}")


def _step(title: str) -> None:
    print(f"\n== {title}")
