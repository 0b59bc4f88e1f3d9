"""Safety property of apply: for any base, target and live VRF (foreign routes included),
apply without --heal writes exactly the reviewed (git) changes, apply with --heal makes our
routes equal the target, and foreign routes, and their order, never change.

Checked on the pure write computation with many examples, and over HTTP against the Avi
stand-in through the production client with fewer.
"""

from __future__ import annotations

import ipaddress

import pytest
from helpers import oracle_blocked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import ApplySettings, Target, reconcile_vrf
from reconciler.avi.client import AviClient, AviSettings
from reconciler.ownership import classify, is_ours, owner_label, to_avi
from reconciler.plan import selected_changes, three_way_plan
from reconciler.routes import Route, route_id
from reconciler.sim.avi import AviSim
from reconciler.vrf_update import actual_ours, rebuilt_static_routes

PREFIXES = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(6)]
FOREIGN_PREFIXES = [ipaddress.ip_network(f"172.16.{i}.0/24") for i in range(3)] + PREFIXES[:2]
HOPS = [ipaddress.ip_address(f"192.168.0.{i}") for i in (1, 2, 3)]
FOREIGN_LABELS = [
    None,
    [],
    [{"key": "clustername", "value": "c-eu"}],
    [{"key": "owner", "value": "c"}],
    [{"key": "clustername", "value": "cc"}],
]

routes_by_prefix = st.dictionaries(st.sampled_from(PREFIXES), st.sampled_from(HOPS), max_size=6)


def as_routes(chosen: dict) -> list[Route]:
    return [
        Route(p, hop, f"n{p.network_address.packed[2]}", route_id("c", p))
        for p, hop in chosen.items()
    ]


@st.composite
def vrf_states(draw):
    base = draw(st.one_of(st.none(), routes_by_prefix))
    target = draw(routes_by_prefix)
    live_ours = draw(
        st.dictionaries(
            st.sampled_from(PREFIXES), st.tuples(st.sampled_from(HOPS), st.booleans()), max_size=6
        )
    )
    # Several foreign routes may share a prefix (a shared VRF), and one may hold an id of ours.
    foreign = draw(
        st.lists(
            st.tuples(
                st.sampled_from(FOREIGN_PREFIXES),
                st.sampled_from(FOREIGN_LABELS),
                st.one_of(st.none(), st.sampled_from(PREFIXES)),
            ),
            max_size=5,
        )
    )
    entries = []
    for prefix, (hop, ako_id) in live_ours.items():
        entry = to_avi(Route(prefix, hop, "", route_id("c", prefix)), "c")
        if ako_id:
            entry["route_id"] = f"c-{prefix.network_address.packed[2]}-uuid-0"
        entries.append(entry)
    for index, (prefix, labels, id_of_ours) in enumerate(foreign):
        held = None if id_of_ours is None else route_id("c", id_of_ours)
        taken = {entry["route_id"] for entry in entries}
        entry = {
            "route_id": held if held and held not in taken else f"foreign-{index}",
            "prefix": {"ip_addr": {"addr": str(prefix.network_address), "type": "V4"}, "mask": 24},
            "next_hop": {"addr": "10.9.9.9", "type": "V4"},
        }
        if labels:
            entry["labels"] = labels
        entries.append(entry)
    order = draw(st.permutations(range(len(entries))))
    return (
        (None if base is None else as_routes(base)),
        as_routes(target),
        [entries[i] for i in order],
    )


def foreign_of(static_routes):
    return [entry for entry in static_routes if not is_ours(entry, "c")]


def prefixes_ahead_of_foreign(static_routes):
    """For each foreign route, the prefixes listed before it: Avi may evaluate in list order."""
    ahead, seen = {}, set()
    for entry in static_routes:
        prefix = (entry["prefix"]["ip_addr"]["addr"], entry["prefix"]["mask"])
        if not is_ours(entry, "c"):
            ahead[entry["route_id"]] = set(seen)
        seen.add(prefix)
    return ahead


def check_invariants(base, target, before, after, heal):
    assert foreign_of(after) == foreign_of(before)
    ahead_before = prefixes_ahead_of_foreign(before)
    for route_id_, ahead in prefixes_ahead_of_foreign(after).items():
        assert ahead <= ahead_before[route_id_], f"a route was placed before foreign {route_id_}"
    live = classify(before, "c")
    plan = three_way_plan("c", "global", base, target, live)
    result = actual_ours(classify(after, "c"))
    blocked = {b.route.prefix for b in plan.blocked}
    assert blocked == oracle_blocked(target, before)
    wanted = {r.prefix: (r.next_hop, r.route_id) for r in target if r.prefix not in blocked}
    if heal:
        expected = {p: v for p, v in actual_ours(live).items() if p in blocked} | wanted
        assert result == expected
        return
    applied = {c.prefix for c in plan.changes if c.origin == "git" and not c.conflict}
    for prefix in set(result) | set(actual_ours(live)) | set(wanted):
        source = wanted if prefix in applied else actual_ours(live)
        assert result.get(prefix) == source.get(prefix), prefix


@settings(max_examples=400, deadline=None)
@given(vrf_states(), st.booleans())
def test_write_computation_keeps_the_promise(state, heal):
    base, target, static_routes = state
    live = classify(static_routes, "c")
    plan = three_way_plan("c", "global", base, target, live)
    after = rebuilt_static_routes(static_routes, live, selected_changes(plan, heal), "c")
    check_invariants(base, target, static_routes, after, heal)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(vrf_states(), st.booleans(), st.sampled_from(["put", "patch"]))
def test_apply_over_http_keeps_the_promise(avi_sim, state, heal, write_mode):
    avi, client = avi_sim
    base, target, static_routes = state
    vrf_uuid = avi.vrf("global")["uuid"]
    avi.set_routes(vrf_uuid, static_routes)
    settings_ = ApplySettings(
        Target("c", "global", "Default-Cloud"),
        heal=heal,
        write_mode=write_mode,
        allow_mass_delete=True,
    )
    reconcile_vrf(client, vrf_uuid, base, target, settings_)
    check_invariants(base, target, static_routes, avi.vrf("global")["static_routes"], heal)


def test_labels_are_exact_ownership():
    assert is_ours({"labels": owner_label("c")}, "c")
    assert not is_ours({"labels": owner_label("c-eu")}, "c")
    assert not is_ours({"labels": [*owner_label("c"), {"key": "x", "value": "y"}]}, "c")
    assert not is_ours({}, "c")


@pytest.fixture(scope="module")
def avi_sim():
    with AviSim() as avi:
        client = AviClient(AviSettings(avi.url, "admin", "admin", backoff_base=0.001))
        yield avi, client
        client.close()
