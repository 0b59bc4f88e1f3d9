"""Route-hijack policy: blocked at render, and again at apply for hand-edited, merged manifests."""

from __future__ import annotations

import ipaddress
from functools import partial

import pytest
from helpers import cilium_config, cilium_node, init_repo, node, route, run_cli, write_objects
from hypothesis import given
from hypothesis import strategies as st

from reconciler.addresses import never_a_pod_network
from reconciler.ipam.model import (
    AddressOrigin,
    ClusterIpam,
    IpamMode,
    NextHopCandidate,
    NodeIpam,
)
from reconciler.policy import RoutePolicy, blocked_reason, configured_violation, violation
from reconciler.routes import Route, compute_routes

POOLS = RoutePolicy(
    pod_pools=(ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("fd00:10::/104")),
    node_networks=(
        ipaddress.ip_network("192.168.10.0/24"),
        ipaddress.ip_network("fd00:192:168:10::/64"),
    ),
)


def v4_network(value: int, length: int) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network((value >> (32 - length) << (32 - length), length))


@given(
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), min_size=1, max_size=3),
    st.integers(-4, 4),
)
def test_pod_pools_hold_a_prefix_as_subnet_of_says(value, length, pools, near):
    """`near`: one more pool around the prefix, `near` bits shorter (or longer) than it."""
    prefix = v4_network(value, length)
    around = v4_network(value, max(0, min(32, length - near)))
    pod_pools = (*(v4_network(v, n) for v, n in pools), around)
    policy = RoutePolicy(pod_pools=pod_pools, min_prefix_v4=0)
    found = violation(Route(prefix, ipaddress.ip_address("192.168.0.1"), "w1", "c.x"), policy)
    inside = any(prefix.subnet_of(pool) for pool in policy.pod_pools)
    assert (found is not None and "outside the pod pools" in found) == (
        not inside and never_a_pod_network(prefix) is None
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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.0.0.0/8 127.0.0.1 w1", "next hop 127.0.0.1 lies in 127.0.0.0/8 (loopback)"),
        ("10.0.1.0/24 0.0.0.0 w1", "next hop 0.0.0.0 lies in 0.0.0.0/8 (unspecified"),
        ("10.0.1.0/24 224.0.0.5 w1", "next hop 224.0.0.5 lies in 224.0.0.0/4 (multicast)"),
        ("10.0.1.0/24 255.255.255.255 w1", "lies in 255.255.255.255/32 (limited broadcast)"),
        ("100.64.0.0/10 169.254.169.254 w1", "lies in 169.254.0.0/16 (link-local)"),
        ("fd00:10::/64 ::1 w1", "next hop ::1 lies in ::1/128 (loopback)"),
        ("fd00:10::/64 :: w1", "next hop :: lies in ::/128 (unspecified)"),
        ("fd00:10::/64 fe80::1 w1", "next hop fe80::1 lies in fe80::/10 (link-local)"),
        ("fd00:10::/64 ff02::5 w1", "next hop ff02::5 lies in ff00::/8 (multicast)"),
        ("fd00:10::/64 ::ffff:192.168.10.1 w1", "lies in ::ffff:0:0/96 (IPv4-mapped)"),
        ("fd00:10::/64 ::c0a8:a01 w1", "lies in ::/96 (IPv4-compatible, deprecated)"),
        ("::ffff:a00:0/104 fd00::1 w1", "::ffff:a00:0/104 overlaps ::ffff:0:0/96 (IPv4-mapped)"),
        ("127.0.0.0/8 192.168.10.11 w1", "127.0.0.0/8 overlaps 127.0.0.0/8 (loopback)"),
        ("127.0.0.0/24 192.168.10.11 w1", "overlaps 127.0.0.0/8 (loopback)"),
        ("224.0.0.0/4 192.168.10.11 w1", "overlaps 224.0.0.0/4 (multicast)"),
        ("0.0.0.0/8 192.168.10.11 w1", "overlaps 0.0.0.0/8 (unspecified"),
        ("96.0.0.0/3 192.168.10.11 w1", "96.0.0.0/3 overlaps 127.0.0.0/8 (loopback)"),
        ("169.254.0.0/24 192.168.10.11 w1", "overlaps 169.254.0.0/16 (link-local)"),
        ("fe80::/64 fd00::1 w1", "overlaps fe80::/10 (link-local)"),
        ("ff00::/8 fd00::1 w1", "overlaps ff00::/8 (multicast)"),
        ("0.0.0.0/0 192.168.10.11 w1", "0.0.0.0/0 is a default route"),
        # ordinary unicast that networks assign: documentation ranges, 240/4 (GKE pod ranges)
        ("192.0.2.0/24 198.51.100.7 w1", None),
        ("203.0.113.0/24 192.168.10.11 w1", None),
        ("2001:db8:1::/64 2001:db8::11 w1", None),
        ("240.10.0.0/16 240.0.0.7 w1", None),
        ("100.64.0.0/10 100.127.0.1 w1", None),
    ],
)
def test_what_can_never_be_a_route_is_blocked_without_any_settings(text, reason):
    found = violation(route(text), RoutePolicy())
    assert (found is None) if reason is None else (reason in found), found


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
    manifest = repo.git.show("route-reconciler/c:routes/c/global.yaml")
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
    assert "(1 reviewed route(s) pending)" in out  # the blocked route stays a reviewed change
    code, out, _ = world.cli("plan", "--target", "reviewed", "--allowed-pod-cidr", "10.0.0.0/16")
    assert "blocked 0.0.0.0/0" in out


def test_apply_blocks_what_can_never_be_a_route_without_any_settings(world):
    """With no allowedPodCidrs or nodeNetworks (the shipped examples) these once reached Avi."""
    world.reviewed(
        "10.0.0.0/8 127.0.0.1 w1",
        "100.64.0.0/10 169.254.169.254 w2",
        "::ffff:a00:0/104 fd00::1 w3",
        "192.168.0.0/24 192.168.10.14 w4",
    )
    code, _, err = world.cli("apply")
    assert code == 3
    for line in (
        "blocked: node w1 10.0.0.0/8 via 127.0.0.1: route policy: next hop 127.0.0.1 lies in "
        "127.0.0.0/8 (loopback), never a node's address",
        "blocked: node w2 100.64.0.0/10 via 169.254.169.254: route policy: next hop "
        "169.254.169.254 lies in 169.254.0.0/16 (link-local)",
        "blocked: node w3 ::ffff:a00:0/104 via fd00::1: route policy: ::ffff:a00:0/104 overlaps "
        "::ffff:0:0/96 (IPv4-mapped), never a pod network",
    ):
        assert line in err
    assert set(world.ours()) == {"192.168.0.0/24"}


@pytest.mark.parametrize(
    ("w2", "args", "reason"),
    [
        (
            node("w2", "192.168.10.2"),
            ("--min-prefix-length", "16"),
            "10.96.0.0/12 is shorter than the minimum prefix length /16",
        ),
        (
            node("w2", "192.168.10.2"),
            ("--allowed-pod-cidr", "10.0.0.0/16"),
            "10.96.0.0/12 lies outside the pod pools",
        ),
    ],
    ids=["prefix-shorter-than-the-minimum", "prefix-outside-the-pools"],
)
def test_a_policy_block_keeps_the_committed_route_through_git(tmp_path, capsys, w2, args, reason):
    """A blocked route once went missing from the commit: a policy block became a deletion."""

    def snapshot(name, *objects):
        return str(write_objects(tmp_path / name, [cilium_config(), *objects]))

    def render(cluster, *extra):
        return run_cli(
            capsys,
            "render",
            *("--snapshot", cluster, "--cluster-name", "c", "--repo", repo.working_dir),
            "--commit",
            *args,
            *extra,
        )

    repo = init_repo(tmp_path / "repo")
    w1 = [node("w1", "192.168.10.1"), cilium_node("w1", ["10.0.1.0/24"])]
    before = snapshot(
        "before.yaml", *w1, node("w2", "192.168.10.2"), cilium_node("w2", ["10.0.2.0/24"])
    )
    assert render(before)[0] == 2
    repo.git.merge("--ff-only", "route-reconciler/c")
    w2_cidr = "10.96.0.0/12"
    w3 = [node("w3", "192.168.10.3"), cilium_node("w3", ["10.0.3.0/24"])]
    after = snapshot("after.yaml", *w1, w2, cilium_node("w2", [w2_cidr]), *w3)
    code, _, err = render(after)
    assert code == 3
    assert f"route policy: {reason}" in err
    assert "node w2: keeps its 1 committed route(s)" in err
    committed = repo.git.show("route-reconciler/c:routes/c/global.yaml")
    assert (
        "{routeId: c.10.0.2.0_24, prefix: 10.0.2.0/24, nextHop: 192.168.10.2, node: w2}"
        in committed
    )
    assert "10.0.3.0/24" in committed and "10.96.0.0" not in committed


# Addresses and prefixes near every range addresses.py refuses, and ordinary ones.
NEAR_THE_EDGES = st.sampled_from(
    [
        "10.0.3.4",
        "127.0.0.1",
        "0.0.0.0",
        "169.254.169.254",
        "224.0.0.5",
        "255.255.255.255",
        "192.168.10.7",
        "::",
        "::1",
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "fd00:192:168:10::9",
    ]
)
PREFIXES = st.sampled_from(
    [
        "10.0.1.0/24",
        "10.0.0.0/8",
        "127.0.0.0/24",
        "0.0.0.0/0",
        "224.0.0.0/24",
        "169.254.0.0/16",
        "fd00:10::/112",
        "::/0",
        "::ffff:0:0/96",
        "fe80::/64",
        "ff00::/8",
        "2001:db8::/64",
    ]
)


@given(
    st.lists(
        st.tuples(st.lists(NEAR_THE_EDGES, max_size=3), st.lists(PREFIXES, max_size=3)),
        max_size=4,
    ),
    st.booleans(),
)
def test_render_checks_only_the_configured_policy_of_routes_that_can_be_right(nodes, networks):
    """Render skips addresses.py's checks in the policy (routes.py made those node errors): for
    every route it computes, the reason is the full check's."""
    policy = POOLS if networks else RoutePolicy(pod_pools=POOLS.pod_pools)
    ipam = ClusterIpam(
        IpamMode.KUBERNETES_HOST_SCOPE,
        (),
        tuple(
            NodeIpam(
                f"node-{index}",
                tuple(NextHopCandidate(a, "status.addresses", AddressOrigin.NODE) for a in ips),
                tuple(cidrs),
                "Node spec.podCIDRs",
            )
            for index, (ips, cidrs) in enumerate(nodes)
        ),
    )
    computed = compute_routes(
        ipam,
        "c",
        blocks=partial(blocked_reason, policy=policy, check=configured_violation),
        node_networks=policy.node_networks,
    )
    for found in computed.routes:
        assert blocked_reason(found, policy) is None
    for blocked in computed.blocked:
        assert blocked.reason == blocked_reason(blocked.route, policy)
