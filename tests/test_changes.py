"""The change list compared in C first is the one deepdiff alone made."""

from __future__ import annotations

import ipaddress

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.changes import RouteChange, route_changes
from reconciler.routes import Route, route_sort_key

PREFIXES = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(6)] + [
    ipaddress.ip_network(f"fd00:{i}::/64") for i in range(3)
]
HOPS = {4: ["192.168.0.1", "192.168.0.2"], 6: ["fd00::1", "fd00::2"]}


@st.composite
def routes(draw):
    chosen = draw(st.lists(st.sampled_from(PREFIXES), unique=True, max_size=6))
    return [
        Route(
            prefix,
            ipaddress.ip_address(draw(st.sampled_from(HOPS[prefix.version]))),
            draw(st.sampled_from(["w1", "w2", "w 1", "w"])),
            draw(st.sampled_from(["c.a", "1 c.a", "c.b"])),
        )
        for prefix in chosen
    ]


def deepdiff_changes(before, after):
    """The implementation route_changes replaced: deepdiff over every route."""
    old = {str(route.prefix): route for route in before}
    new = {str(route.prefix): route for route in after}

    def comparable(routes):
        return {p: f"{r.next_hop} {r.node} {r.route_id}" for p, r in routes.items()}

    diff = DeepDiff(comparable(old), comparable(new), view="tree", threshold_to_diff_deeper=0)
    prefixes = {
        str(item.path(output_format="list")[0])
        for kind in ("dictionary_item_added", "dictionary_item_removed", "values_changed")
        for item in diff.get(kind, ())
    }
    changes = [
        RouteChange(
            "added" if p not in old else "removed" if p not in new else "changed",
            old.get(p),
            new.get(p),
        )
        for p in prefixes
    ]
    return sorted(changes, key=lambda change: route_sort_key(change.route))


@settings(max_examples=300, deadline=None)
@given(routes(), routes(), st.booleans())
def test_route_changes_are_deepdiffs(before, after, overlap):
    if overlap:  # most routes in both: the common case of a render
        after = before[: len(before) // 2] + after
        after = list({route.prefix: route for route in after}.values())
    assert route_changes(before, after) == deepdiff_changes(before, after)
