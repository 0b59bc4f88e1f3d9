"""The route rules of reconciler/routes.py, one data case each, plus the id and sweep invariants."""

from __future__ import annotations

import ipaddress

import pytest
import yaml
from helpers import DATA, route, route_text, write_objects
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.ipam.read import read_cluster
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.routes import (
    ROUTE_ID_PATTERN,
    IpFamily,
    Route,
    _drop_conflicts,
    compute_routes,
    route_id,
)

CASES = yaml.safe_load((DATA / "route_cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_route_rule(case, tmp_path):
    source = SnapshotSource([write_objects(tmp_path / "cluster.yaml", case["objects"])])
    cluster = read_cluster(source, case.get("cniPlugin", "auto"), "kube-system")
    if "mode" in case:
        assert cluster.ipam.mode == case["mode"]
    committed = [route(text) for text in case.get("committed", [])]
    result = compute_routes(
        cluster.ipam,
        "c",
        IpFamily(case.get("ipFamily", "V4_V6")),
        committed,
        node_networks=[ipaddress.ip_network(n) for n in case.get("nodeNetworks", [])],
    )
    assert [route_text(r) for r in result.routes] == case["routes"]
    if "otherNextHops" in case:
        elsewhere = [c.describe() for c in result.other_next_hops]
        assert len(elsewhere) == len(case["otherNextHops"]), elsewhere
        for fragment, line in zip(case["otherNextHops"], elsewhere, strict=True):
            assert fragment in line, (fragment, line)
    for kind in ("warnings", "errors", "conflicts"):
        produced = getattr(result, kind)
        expected = case.get(kind, [])
        assert len(expected) <= len(produced), produced
        for fragment in expected:
            assert any(fragment in message for message in produced), (fragment, produced)
        if not expected:
            assert produced == (), produced


def test_route_id_is_deterministic_readable_and_charset_safe():
    v4 = ipaddress.ip_network("10.0.1.0/24")
    v6 = ipaddress.ip_network("fd00:10:244:1::/64")
    assert route_id("prod-a", v4) == "prod-a.10.0.1.0_24"
    assert route_id("prod-a", v6) == "prod-a.fd00-10-244-1--_64"
    assert ROUTE_ID_PATTERN.match(route_id("prod_a", v6))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 255), st.integers(14, 18), st.sampled_from("abc")), max_size=12
    )
)
def test_route_ids_are_unique_per_prefix_and_cluster(entries):
    prefixes = {ipaddress.ip_network(f"10.{a}.0.0/{m}", strict=False) for a, m, _ in entries}
    ids = {route_id(c, p) for p in prefixes for c in ("a", "a-b", "a_b")}
    assert len(ids) == 3 * len(prefixes)


def _overlapping_pairs(routes: list[Route]) -> set[int]:
    bad = set()
    for i, one in enumerate(routes):
        for j, other in enumerate(routes):
            if i != j and one.node != other.node and one.prefix.overlaps(other.prefix):
                bad.update((i, j))
    return bad


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 255),
            st.integers(14, 26),
            st.sampled_from(["w1", "w2", "w3"]),
        ),
        max_size=15,
    )
)
def test_conflict_sweep_matches_brute_force(entries):
    routes = []
    for second, third, mask, node_name in entries:
        network = ipaddress.ip_network(f"10.{second}.{third}.0/{mask}", strict=False)
        routes.append(
            Route(network, ipaddress.ip_address("192.0.2.1"), node_name, route_id("c", network))
        )
    accepted, _ = _drop_conflicts(routes)
    expected = [r for i, r in enumerate(routes) if i not in _overlapping_pairs(routes)]
    assert sorted(map(route_text, accepted)) == sorted(map(route_text, expected))
