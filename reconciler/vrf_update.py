"""Pure: how selected plan changes become a VRF write, and what our routes must be afterwards.

PUT keeps every entry it does not change exactly where it was and as it was read, whatever its
shape (foreign routes, even a ``null``, are never dropped or reordered), replaces updated
entries in place, drops deleted ones and appends new ones in canonical order; it goes only with
the ``_last_modified`` read, the one thing that makes a concurrent write fail it. PATCH deletes
entries exactly as read, then adds: an update costs exactly two writes however many routes
change (an id can be added only once the entry holding it is gone), a pure addition or deletion
one.

A write keeps nothing of the VRF read: its PUT body is encoded at once, and the answer is checked
only against our routes as they must be. So a 60,000-route VRF is never held as objects twice
(the read and the controller's answer) beside its body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from reconciler.addresses import IPAddress, IPNetwork
from reconciler.errors import ApiError
from reconciler.json_body import EncodedJson, encoded
from reconciler.ownership import LiveState, to_avi
from reconciler.plan import Change

WriteMode = Literal["put", "patch"]

RawRoute = Mapping[str, Any]
_DELETED: Final = object()  # marks an entry of ours the write drops, unlike a foreign ``null``


@dataclass(frozen=True)
class PatchBodies:
    delete: list[RawRoute]
    add: list[dict[str, Any]]


@dataclass(frozen=True)
class VrfWrite:
    """One attempt's write: a PUT body, or the PATCH operations it needs in order; and our
    routes as the controller's answer must hold them."""

    changes: list[Change]
    expected: dict[IPNetwork, tuple[IPAddress, str]]
    put: EncodedJson | None = None
    patches: tuple[tuple[str, list[Any]], ...] = ()


def vrf_write(
    vrf_object: Mapping[str, Any],
    live: LiveState,
    changes: list[Change],
    cluster: str,
    vrf: str,
    mode: WriteMode,
) -> VrfWrite:
    expected = expected_ours(live, changes)
    if mode == "patch":
        bodies = patch_bodies(live, changes, cluster)
        operations = (("delete", list(bodies.delete)), ("add", list(bodies.add)))
        return VrfWrite(changes, expected, patches=tuple(op for op in operations if op[1]))
    static_routes = rebuilt_static_routes(
        vrf_object.get("static_routes") or [], live, changes, cluster
    )
    return VrfWrite(changes, expected, put=encoded(put_body(vrf_object, static_routes, vrf)))


def rebuilt_static_routes(
    static_routes: Sequence[Any], live: LiveState, changes: Sequence[Change], cluster: str
) -> list[Any]:
    """``static_routes`` as read, with the changes made; entries are whatever JSON Avi sent."""
    replaced: dict[int, object] = {}
    appended: list[object] = []
    changed = {change.prefix for change in changes}
    for duplicate in live.duplicates:  # e.g. AKO's copy beside ours: would repeat a route_id
        if duplicate.route.prefix in changed:
            replaced[duplicate.index] = _DELETED
    for change in changes:
        new = _DELETED if change.after is None else to_avi(change.after, cluster)
        if change.prefix in live.ours:
            replaced[live.ours[change.prefix].index] = new
        elif new is not _DELETED:
            appended.append(new)
    kept = [replaced.get(index, entry) for index, entry in enumerate(static_routes)]
    return [entry for entry in kept if entry is not _DELETED] + appended


def put_body(vrf_object: Mapping[str, Any], static_routes: list[Any], vrf: str) -> dict[str, Any]:
    """The VRF exactly as read but for ``static_routes``. Without the ``_last_modified`` read
    (or with an empty one) the controller could not refuse a PUT from a stale read, and every
    foreign route another writer added meanwhile would be lost: refused."""
    version = vrf_object.get("_last_modified")
    if isinstance(version, bool) or not isinstance(version, str | int) or version == "":
        raise ApiError(
            f"VRF {vrf}: the controller's answer has no _last_modified, so a PUT could "
            "overwrite another writer's change unnoticed; refusing to PUT (--write-mode patch "
            "sends only our changed routes)"
        )
    return {**vrf_object, "static_routes": static_routes}


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
