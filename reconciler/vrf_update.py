"""Pure: how selected plan changes become a VRF write, and what our routes must be afterwards.

PUT keeps every entry it does not change exactly where it was (foreign routes are never
reordered), replaces updated entries in place, drops deleted ones and appends new ones in
canonical order. PATCH deletes entries exactly as read, then adds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.addresses import IPAddress, IPNetwork
from reconciler.ownership import LiveState, to_avi
from reconciler.plan import Change

RawRoute = Mapping[str, Any]


@dataclass(frozen=True)
class PatchBodies:
    delete: list[RawRoute]
    add: list[dict[str, Any]]


def rebuilt_static_routes(
    static_routes: Sequence[RawRoute], live: LiveState, changes: Sequence[Change], cluster: str
) -> list[RawRoute]:
    replaced: dict[int, RawRoute | None] = {}
    appended: list[RawRoute] = []
    changed = {change.prefix for change in changes}
    for duplicate in live.duplicates:  # e.g. AKO's copy beside ours: would repeat a route_id
        if duplicate.route.prefix in changed:
            replaced[duplicate.index] = None
    for change in changes:
        index = live.ours[change.prefix].index if change.prefix in live.ours else None
        new = None if change.after is None else to_avi(change.after, cluster)
        if index is None:
            if new is not None:
                appended.append(new)
        else:
            replaced[index] = new
    kept = [
        replaced.get(i, entry) if i in replaced else entry for i, entry in enumerate(static_routes)
    ]
    return [entry for entry in kept if entry is not None] + appended


def patch_bodies(live: LiveState, changes: Sequence[Change], cluster: str) -> PatchBodies:
    changed = {change.prefix for change in changes}
    return PatchBodies(
        delete=[live.ours[c.prefix].raw for c in changes if c.prefix in live.ours]
        + [d.raw for d in live.duplicates if d.route.prefix in changed],
        add=[to_avi(c.after, cluster) for c in changes if c.after is not None],
    )


def expected_ours(
    live: LiveState, changes: Sequence[Change]
) -> dict[IPNetwork, tuple[IPAddress, str]]:
    """Our routes after the write: what verification reads back and compares."""
    expected = actual_ours(live)
    for change in changes:
        if change.after is None:
            expected.pop(change.prefix, None)
        else:
            expected[change.prefix] = (change.after.next_hop, change.after.route_id)
    return expected


def actual_ours(live: LiveState) -> dict[IPNetwork, tuple[IPAddress, str]]:
    return {prefix: (lr.route.next_hop, lr.route.route_id) for prefix, lr in live.ours.items()}
