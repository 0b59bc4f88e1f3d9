"""Concurrent `route-reconciler` processes: two applies for one cluster and one for another
cluster on the same VRF, writing at the same time (the controller holds their PUTs), lose no
update and touch no foreign route; two runs on one checkout never interleave."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import git
from helpers import (
    cilium_config,
    cilium_node,
    finish,
    init_repo,
    node,
    route,
    start_cli,
    write_objects,
)
from world import FOREIGN

from reconciler.lock import file_lock
from reconciler.manifest import Manifest, manifest_path, render_manifest
from reconciler.ownership import owner_label
from reconciler.sim.avi import AviSim

PASSWORD = "race-avi-password"
HOLD_PUT_SECONDS = 1.0  # the controller holds each first PUT this long, so the writes overlap
start = partial(start_cli, avi_password=PASSWORD)

# (cluster c, cluster d) reviewed routes, round by round: adds, next-hop moves and removals
ROUNDS = [
    (
        ["10.0.1.0/24 192.168.10.11 w1", "10.0.2.0/24 192.168.10.12 w2"],
        ["10.8.1.0/24 192.168.20.11 x1"],
    ),
    (
        [
            "10.0.1.0/24 192.168.10.21 w1",
            "10.0.2.0/24 192.168.10.12 w2",
            "10.0.3.0/24 192.168.10.13 w3",
        ],
        ["10.8.1.0/24 192.168.20.11 x1", "10.8.2.0/24 192.168.20.12 x2"],
    ),
    (
        [
            "10.0.2.0/24 192.168.10.12 w2",
            "10.0.3.0/24 192.168.10.23 w3",
            "10.0.4.0/24 192.168.10.14 w4",
        ],
        ["10.8.2.0/24 192.168.20.22 x2", "10.8.3.0/24 192.168.20.13 x3"],
    ),
]


def remote_with_seed(tmp_path: Path) -> tuple[git.Repo, git.Repo]:
    """A bare remote whose main has one commit, and a clone that plays the reviewer."""
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    seed = init_repo(tmp_path / "seed")
    seed.create_remote("origin", remote.working_dir)
    seed.git.push("origin", "main")
    return remote, seed


def merge_reviewed(seed: git.Repo, manifests: dict[str, list[str]]) -> str:
    """Commit each cluster's manifest on main and push it, as a merged pull request does."""
    for cluster, routes in manifests.items():
        manifest = Manifest(
            cluster,
            "global",
            "Default-Cloud",
            "cilium-cluster-pool",
            tuple(route(text, cluster) for text in routes),
        )
        path = Path(seed.working_dir) / manifest_path(cluster, "global")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_manifest(manifest))
        seed.index.add([manifest_path(cluster, "global")])
    commit = seed.index.commit("routes reviewed")
    seed.git.push("origin", "main")
    return commit.hexsha


def routes_of(avi: AviSim, cluster: str) -> dict[str, tuple[str, str]]:
    return {
        f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}": (
            r["next_hop"]["addr"],
            r["route_id"],
        )
        for r in avi.vrf("global")["static_routes"]
        if r.get("labels") == owner_label(cluster)
    }


def expected(cluster: str, routes: list[str]) -> dict[str, tuple[str, str]]:
    return {
        str(r.prefix): (str(r.next_hop), r.route_id)
        for r in (route(text, cluster) for text in routes)
    }


def test_concurrent_applies_on_one_vrf_lose_no_update(tmp_path):
    remote, seed = remote_with_seed(tmp_path)
    checkouts = {
        name: git.Repo.clone_from(remote.working_dir, tmp_path / name).working_dir
        for name in ("c-first", "c-second", "d")
    }
    with AviSim(username="admin", password=PASSWORD) as avi:
        vrf_uuid = avi.vrf("global")["uuid"]
        avi.set_routes(vrf_uuid, FOREIGN)
        conflicts = 0
        for number, (routes_c, routes_d) in enumerate(ROUNDS):
            reviewed = merge_reviewed(seed, {"c": routes_c, "d": routes_d})
            avi.clear_requests()
            avi.delay(HOLD_PUT_SECONDS, method="PUT", count=3)
            processes = [
                start(
                    "apply",
                    "--cluster-name",
                    name[0],
                    "--repo",
                    checkout,
                    "--avi-controller",
                    avi.url,
                )
                for name, checkout in checkouts.items()
            ]
            results = finish(processes)
            where = f"round {number}: {[(code, err) for code, _, err in results]}"
            for code, _, _ in results:
                assert code in (0, 2), where  # a lost race to record the same commit included
            assert routes_of(avi, "c") == expected("c", routes_c), where
            assert routes_of(avi, "d") == expected("d", routes_d), where
            static_routes = avi.vrf("global")["static_routes"]
            foreign = [
                r
                for r in static_routes
                if r.get("labels") not in (owner_label("c"), owner_label("d"))
            ]
            assert foreign == FOREIGN, where
            assert len({r["route_id"] for r in static_routes}) == len(static_routes), where
            for cluster in ("c", "d"):
                tag = f"refs/tags/route-reconciler/applied/{cluster}/global"
                assert remote.commit(tag).hexsha == reviewed, where
            conflicts += sum(1 for r in avi.requests if r.method == "PUT" and r.status == 412)
    assert conflicts > 0, "the writes never overlapped: no PUT met a 412"


def cluster_snapshot(tmp_path: Path) -> list[str]:
    nodes = [node("w1", "192.168.10.11"), node("w2", "192.168.10.12")]
    cilium = [cilium_node("w1", ["10.0.1.0/24"]), cilium_node("w2", ["10.0.2.0/24"])]
    return [
        str(write_objects(tmp_path / "nodes.yaml", nodes + cilium)),
        str(write_objects(tmp_path / "cilium-config.yaml", [cilium_config()])),
    ]


def test_a_run_on_a_checkout_another_run_holds_is_refused(tmp_path):
    remote, _ = remote_with_seed(tmp_path)
    checkout = git.Repo.clone_from(remote.working_dir, tmp_path / "checkout")
    snapshots = cluster_snapshot(tmp_path)
    args = ["run", "--cluster-name", "c", "--repo", checkout.working_dir]
    args += [option for path in snapshots for option in ("--snapshot", path)]
    args += ["--no-propose", "--no-apply"]
    branch = "refs/heads/route-reconciler/c"

    with file_lock(Path(checkout.git_dir), "c"):
        [(code, _, err)] = finish([start(*args)])
    assert code == 3, err
    assert "another run for cluster c holds" in err and "not interleaving" in err, err
    assert branch not in {ref.path for ref in checkout.refs}  # it committed nothing

    results = finish([start(*args), start(*args)])
    codes = sorted(code for code, _, _ in results)
    where = [(code, err) for code, _, err in results]
    assert codes in ([0, 2], [2, 3]), where  # one commits; the other finds it done or is refused
    for code, _, err in results:
        if code == 3:
            assert "another run for cluster c holds" in err, where
    assert checkout.git.rev_list("--count", f"main..{branch}") == "1", where


RACE_WINNER_HOOK = """#!/bin/sh
# The first push is turned away because another apply recorded the same commit first: the tag
# is set to that commit, as that apply's record (here an older, lightweight one), and this push
# is declined.
if [ ! -e "$GIT_DIR/raced" ]; then
  touch "$GIT_DIR/raced"
  while read old new ref; do
    commit=$(git rev-parse "$new^{commit}")
    env -u GIT_QUARANTINE_PATH git update-ref "$ref" "$commit"
  done
  exit 1
fi
"""


def test_losing_the_applied_tag_push_race_to_an_identical_push_is_not_an_error(world):
    """Deterministic form of the tag race the concurrent applies above run into: the remote
    takes the other apply's record of the same commit first and turns ours away."""
    reviewed = world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    hook = Path(world.remote.git_dir) / "hooks" / "pre-receive"
    hook.write_text(RACE_WINNER_HOOK)
    hook.chmod(0o755)
    code, _, err = world.cli("apply")
    assert world.remote.commit("refs/tags/route-reconciler/applied/c/global").hexsha == reviewed
    assert set(world.ours()) == {"10.0.1.0/24"}
    assert code == 2, err
