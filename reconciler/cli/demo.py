"""`demo`: the whole loop on a bundled example cluster, with no cluster or controller of your own.

The example cluster is served by the project's fake Kubernetes API and the controller by the
Avi stand-in, both on 127.0.0.1; every step runs the real command, as a user would type it.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shlex
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import yamlio
from reconciler.errors import InputError

if TYPE_CHECKING:
    import git

    from reconciler.sim.avi import AviSim
    from reconciler.sim.kube import FakeKubeApi

CLUSTER = "demo"
BRANCH = f"route-reconciler/{CLUSTER}"
DEMO_PASSWORD = "demo-password"  # the stand-in's own throwaway credential


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "demo",
        help="run the whole loop on a bundled example cluster",
        description="Render a bundled four-node Cilium cluster (served by the fake Kubernetes API "
        "on 127.0.0.1) into a temporary git repository, plan it against the Avi stand-in, merge "
        "and apply it, then edit Avi by hand and change the cluster to show drift and a second "
        "reviewed change. Every step prints the command a user would type. Needs nothing of "
        "your own.",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the demo git repository in DIR")
    parser.set_defaults(run=run)


def example_objects() -> list[dict[str, Any]]:
    return list(_example("demo-cluster.yaml")["items"])


def example_seed() -> dict[str, Any]:
    """The controller's state before the demo: two foreign routes and one AKO wrote."""
    return dict(_example("avi-seed.yaml"))


def _example(name: str) -> Any:
    return yamlio.load(resources.files("reconciler.examples").joinpath(name).read_text())


def run(args: argparse.Namespace) -> int:
    from reconciler.cli import main
    from reconciler.sim.avi import AviSim
    from reconciler.sim.kube import FakeKubeApi

    with tempfile.TemporaryDirectory(prefix="route-reconciler-demo-") as scratch:
        workdir = Path(args.keep or scratch)
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"--keep {args.keep}: cannot create it ({error.strerror})") from None
        repo = _init_repo(workdir / "routes-repo")
        os.environ.update(AVI_USERNAME="admin", AVI_PASSWORD=DEMO_PASSWORD)
        with FakeKubeApi(example_objects()) as cluster, AviSim(password=DEMO_PASSWORD) as avi:
            avi.load_seed(example_seed())
            kubeconfig = str(cluster.write_kubeconfig(workdir / "kubeconfig"))
            common = ["--cluster-name", CLUSTER, "--repo", str(repo.working_dir)]
            render = ["render", *common, "--kubeconfig", kubeconfig, "--commit"]
            avi_args = [*common, "--avi-controller", avi.url]

            def command(*argv: str) -> int:
                print(f"$ route-reconciler {shlex.join(argv)}")
                return main(list(argv))

            _step(f"1. Render the example cluster (fake Kubernetes API at {cluster.url})")
            command(*render)
            _show_proposal(repo)
            _step("2. Plan the proposal against the controller (two foreign routes, one AKO route)")
            _show_vrf(avi, "Avi VRF global before")
            command("plan", *avi_args)
            _step("3. Review: the proposal branch is merged into main; apply the reviewed commit")
            _merge(repo)
            command("apply", *avi_args)
            _show_vrf(avi, "Avi VRF global after (foreign routes untouched, in place)")
            _step("4. Someone edits Avi by hand, and the cluster changes: w4 joins, w2 leaves")
            _drift(avi)
            _change_cluster(cluster)
            command(*render)
            command("plan", *avi_args)
            _merge(repo)
            command("apply", *avi_args)
            _step("5. Run apply again: nothing new is reviewed, so nothing is written")
            writes = len(avi.writes)
            command("apply", *avi_args)
            print(f"writes to Avi during the second run: {len(avi.writes) - writes}")
        if args.keep:
            print(f"\nrepository kept in {repo.working_dir}")
    return 0


def _init_repo(path: Path) -> git.Repo:
    import git

    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "route-reconciler demo")
        config.set_value("user", "email", "demo@route-reconciler.invalid")
    (path / "README.md").write_text("Routes reviewed by route-reconciler.\n")
    repo.index.add(["README.md"])
    repo.index.commit("Start the routes repository")
    return repo


def _show_proposal(repo: git.Repo) -> None:
    """render --commit wrote only the proposal branch; show the manifest as a reviewer sees it."""
    spec = f"{BRANCH}:routes/{CLUSTER}/global.yaml"
    print(f"$ git show {spec}")
    print(repo.git.show(spec))


def _merge(repo: git.Repo) -> None:
    """What pressing 'merge' on the pull request does to main."""
    repo.git.merge("--no-ff", "-q", "-m", f"Merge {BRANCH} (reviewed)", BRANCH)
    print(f"(merged {BRANCH} into main)")


def _drift(avi: AviSim) -> None:
    vrf = avi.vrf("global")
    hand_edited = {"addr": "192.168.10.99", "type": "V4"}
    edited_id = f"{CLUSTER}.10.0.3.0_24"
    routes = vrf["static_routes"]
    avi.set_routes(
        vrf["uuid"],
        [{**r, "next_hop": hand_edited} if r["route_id"] == edited_id else r for r in routes],
    )


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


def _show_vrf(avi: AviSim, title: str) -> None:
    print(f"{title}:")
    for route in avi.vrf("global")["static_routes"]:
        prefix = f"{route['prefix']['ip_addr']['addr']}/{route['prefix']['mask']}"
        labels = json.dumps(route.get("labels", []), separators=(",", ":"))
        print(
            f"  {route['route_id']:<46} {prefix:<18} via {route['next_hop']['addr']:<22} {labels}"
        )


def _step(title: str) -> None:
    print(f"\n== {title}")
