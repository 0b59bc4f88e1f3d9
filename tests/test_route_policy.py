"""Route-hijack policy: blocked at render, and again at apply for hand-edited, merged manifests."""

from __future__ import annotations

import ipaddress

import pytest
from helpers import cilium_config, cilium_node, init_repo, node, route, run_cli, write_objects

from reconciler.policy import RoutePolicy, violation

POOLS = RoutePolicy(
    pod_pools=(ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("fd00:10::/104")),
    node_networks=(
        ipaddress.ip_network("192.168.10.0/24"),
        ipaddress.ip_network("fd00:192:168:10::/64"),
    ),
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.0.1.0/24 192.168.10.11 w1", None),
        ("fd00:10::300/120 fd00:192:168:10::13 w3", None),
        ("0.0.0.0/0 192.168.10.11 w1", "is a default route"),
        ("::/0 fd00:192:168:10::13 w1", "is a default route"),
        ("10.0.0.0/7 192.168.10.11 w1", "shorter than the minimum prefix length /8"),
        ("fd00::/31 fd00:192:168:10::13 w1", "shorter than the minimum prefix length /32"),
        ("10.96.0.0/12 192.168.10.11 w1", "outside the pod pools"),
        ("10.1.0.0/24 192.168.10.11 w1", "outside the pod pools"),
        ("10.0.2.0/24 192.168.20.5 w1", "next hop 192.168.20.5 lies outside the node networks"),
    ],
)
def test_policy_rules(text, reason):
    found = violation(route(text), POOLS)
    assert (found is None) if reason is None else (reason in found)


def test_pools_come_from_cilium_config_unless_given():
    config = {
        "cluster-pool-ipv4-cidr": "10.0.0.0/16 10.1.0.0/16",
        "cluster-pool-ipv6-cidr": "fd00:10::/104",
    }
    derived = RoutePolicy().with_cilium_pools(config)
    assert [str(p) for p in derived.pod_pools] == ["10.0.0.0/16", "10.1.0.0/16", "fd00:10::/104"]
    assert POOLS.with_cilium_pools(config) is POOLS


def test_render_blocks_a_node_claiming_the_service_range(tmp_path, capsys):
    objects = [
        cilium_config(**{"cluster-pool-ipv4-cidr": "10.0.0.0/16"}),
        node("w1", "192.168.10.1"),
        cilium_node("w1", ["10.0.1.0/24"]),
        node("w2", "192.168.10.2"),
        cilium_node("w2", ["10.96.0.0/12"]),
    ]
    repo = init_repo(tmp_path / "repo")
    code, _, err = run_cli(
        capsys,
        "render",
        "--snapshot",
        str(write_objects(tmp_path / "c.yaml", objects)),
        "--cluster-name",
        "c",
        "--repo",
        repo.working_dir,
        "--commit",
    )
    assert code == 3
    assert (
        "blocked: node w2 10.96.0.0/12 via 192.168.10.2: route policy: 10.96.0.0/12 lies outside"
        in err
    )
    manifest = (tmp_path / "repo/routes/c/global.yaml").read_text()
    assert "10.0.1.0/24" in manifest and "10.96.0.0" not in manifest


def test_apply_blocks_a_hand_edited_merged_route_again(world):
    world.reviewed(
        "10.0.1.0/24 192.168.10.11 w1", "10.0.2.0/24 192.168.10.12 w2", "0.0.0.0/0 192.168.10.11 w1"
    )
    code, out, _ = world.cli("apply", "--allowed-pod-cidr", "10.0.0.0/16")
    assert code == 3
    assert (
        "blocked 0.0.0.0/0 via 192.168.10.11 (node w1): route policy: 0.0.0.0/0 is a default route"
        in out
    )
    assert set(world.ours()) == {"10.0.1.0/24", "10.0.2.0/24"}
    assert not world.repo.tags
    code, out, _ = world.cli("plan", "--target", "reviewed", "--allowed-pod-cidr", "10.0.0.0/16")
    assert "blocked 0.0.0.0/0" in out
