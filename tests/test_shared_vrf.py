"""Two clusters with identical pod CIDRs behind one Avi VRF, over real HTTP against the Avi
stand-in, from render through review to apply: each cluster's routes carry its own label and
reach only its own SE group, so both are written side by side; a foreign route that reaches
every SE group (unlabelled) still blocks the prefix it holds."""

from __future__ import annotations

import pytest
from helpers import cilium_config, cilium_node, node, write_objects
from world import FOREIGN

from reconciler.cli import main
from reconciler.ownership import owner_label
from reconciler.preflight import se_group_findings
from reconciler.shared_vrf import reaches_our_service_engines
from reconciler.sim.avi import static_route

POD_CIDRS = ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]  # Cilium's default pool, in both
LEGACY = static_route("legacy-pods", "10.0.3.0/24", "10.1.1.7")  # unlabelled: every SE group


def snapshot(tmp_path, cluster: str, subnet: int) -> str:
    objects = [cilium_config()]
    for index, cidr in enumerate(POD_CIDRS, start=1):
        name = f"{cluster}{index}"
        objects += [node(name, f"192.168.{subnet}.{index}"), cilium_node(name, [cidr])]
    return str(write_objects(tmp_path / f"{cluster}.yaml", objects))


def run(capsys, world, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--repo", world.repo.working_dir])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def routes_of(world, cluster: str) -> dict[str, tuple[str, str]]:
    return {
        f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}": (
            r["next_hop"]["addr"],
            r["route_id"],
        )
        for r in world.static_routes()
        if r.get("labels") == owner_label(cluster)
    }


def test_two_clusters_with_identical_pod_cidrs_share_one_vrf(world, tmp_path, capsys):
    world.avi.set_routes(world.vrf_uuid, [*FOREIGN, LEGACY])
    for cluster, subnet in (("prod-a", 10), ("prod-b", 20)):
        dump = snapshot(tmp_path, cluster, subnet)
        code, _, err = run(
            capsys, world, "render", "--cluster-name", cluster, "--snapshot", dump, "--commit"
        )
        assert code == 2, err
        world.repo.git.merge("--no-edit", f"route-reconciler/{cluster}")  # the review
    world.repo.git.push("origin", "main")
    avi = ("--avi-controller", world.avi.url)

    code, out, err = run(capsys, world, "apply", "--cluster-name", "prod-a", *avi)
    assert code == 3, err
    assert "blocked: node prod-a3 10.0.3.0/24 via 192.168.10.3" in err
    assert "legacy-pods" in out and "reaches our Service Engines" in out

    code, out, _ = run(
        capsys, world, "plan", "--cluster-name", "prod-b", "--target", "reviewed", *avi
    )
    assert (
        "10.0.1.0/24  (none) -> 192.168.20.1  shared with cluster prod-a (its own SE group)" in out
    )

    code, out, err = run(capsys, world, "apply", "--cluster-name", "prod-b", *avi)
    assert code == 3, err
    assert "blocked: node prod-b3 10.0.3.0/24 via 192.168.20.3" in err

    assert routes_of(world, "prod-a") == {
        "10.0.1.0/24": ("192.168.10.1", "prod-a.10.0.1.0_24"),
        "10.0.2.0/24": ("192.168.10.2", "prod-a.10.0.2.0_24"),
    }
    assert routes_of(world, "prod-b") == {
        "10.0.1.0/24": ("192.168.20.1", "prod-b.10.0.1.0_24"),
        "10.0.2.0/24": ("192.168.20.2", "prod-b.10.0.2.0_24"),
    }
    foreign = [
        r
        for r in world.static_routes()
        if r.get("labels") not in (owner_label("prod-a"), owner_label("prod-b"))
    ]
    assert foreign == [*FOREIGN, LEGACY]
    assert world.static_routes()[: len(FOREIGN) + 1] == [*FOREIGN, LEGACY]  # in place

    world.avi.set_routes(world.vrf_uuid, [r for r in world.static_routes() if r != LEGACY])
    code, _, err = run(capsys, world, "apply", "--cluster-name", "prod-b", *avi)
    assert code == 2, err
    assert routes_of(world, "prod-b")["10.0.3.0/24"] == ("192.168.20.3", "prod-b.10.0.3.0_24")


@pytest.mark.parametrize(
    ("labels", "reaches"),
    [
        (None, True),
        ([], True),
        ([{"key": "clustername", "value": "c-eu"}], False),
        ([{"key": "owner", "value": "c"}], False),
        ([{"key": "clustername", "value": "c", "extra": 1}], True),  # ours in all but shape
        ([{"key": "", "value": "c"}], True),
        (["clustername=c-eu"], True),
        ("clustername=c-eu", True),
    ],
)
def test_which_foreign_routes_reach_our_service_engines(labels, reaches):
    entry = static_route("x", "10.0.1.0/24", "10.1.1.1")
    if labels is not None:
        entry["labels"] = labels
    assert reaches_our_service_engines(entry, "c") is reaches


def test_check_wants_our_se_groups_to_carry_exactly_our_label():
    """What makes sharing safe: our routes reach only SE groups labelled exactly for us."""
    groups = [
        {"name": "ours", "labels": owner_label("c")},
        {"name": "theirs", "labels": owner_label("c-eu")},
        {"name": "both", "labels": [*owner_label("c"), {"key": "owner", "value": "x"}]},
        {"name": "none"},
    ]
    assert [f.status for f in se_group_findings("c", groups)] == ["ok", "fail", "fail", "fail"]
