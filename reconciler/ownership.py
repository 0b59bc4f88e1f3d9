"""Which live Avi routes are ours, and the conversion between Avi's JSON and our routes.

A live route is ours exactly when its single label is `clustername=<cluster>`: an exact match,
never a prefix match (AKO's `prod` vs `prod-eu` bug). Everything else is foreign and is never
modified or reordered. Ours in another id format (AKO's `<cluster>-<uuid>-<n>`) are adopted.
Which foreign routes can stand in the way of ours is shared_vrf.py's question.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.addresses import IPNetwork
from reconciler.prefixes import PrefixKey
from reconciler.routes import Route, route_id

LABEL_KEY = "clustername"


@dataclass(frozen=True)
class LiveRoute:
    """One of our routes as Avi holds it; `raw` is the entry exactly as read, for PATCH delete."""

    route: Route
    index: int
    raw: Mapping[str, Any]
    adopted: bool


@dataclass(frozen=True)
class LiveState:
    """`foreign`: every foreign route by its prefix, as read, in VRF order; `foreign_ids`: the
    first foreign route holding each route id of our form (`<cluster>.`), which ours would
    repeat."""

    ours: dict[IPNetwork, LiveRoute]
    foreign: dict[PrefixKey, list[Mapping[str, Any]]]
    duplicates: tuple[LiveRoute, ...]
    warnings: tuple[str, ...]
    foreign_ids: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def owner_label(cluster: str) -> list[dict[str, str]]:
    return [{"key": LABEL_KEY, "value": cluster}]


def is_ours(entry: Any, cluster: str) -> bool:
    """Anything that is not exactly ours, including an entry that is not an object, is foreign."""
    if not isinstance(entry, Mapping):
        return False
    labels = entry.get("labels")
    return isinstance(labels, list) and labels == owner_label(cluster)


def to_avi(route: Route, cluster: str) -> dict[str, Any]:
    kind = f"V{route.prefix.version}"
    return {
        "route_id": route.route_id,
        "prefix": {
            "ip_addr": {"addr": str(route.prefix.network_address), "type": kind},
            "mask": route.prefix.prefixlen,
        },
        "next_hop": {"addr": str(route.next_hop), "type": kind},
        "labels": owner_label(cluster),
    }


def classify(static_routes: Sequence[Mapping[str, Any]], cluster: str) -> LiveState:
    ours: dict[IPNetwork, LiveRoute] = {}
    foreign: dict[PrefixKey, list[Mapping[str, Any]]] = {}
    foreign_ids: dict[str, Mapping[str, Any]] = {}
    duplicates: list[LiveRoute] = []
    warnings: list[str] = []
    our_form = f"{cluster}."
    for index, entry in enumerate(static_routes):
        if not is_ours(entry, cluster):
            key = _foreign_key(entry)
            if key is not None:
                foreign.setdefault(key, []).append(entry)
            held = entry.get("route_id") if isinstance(entry, dict) else None
            if isinstance(held, str) and held.startswith(our_form):
                foreign_ids.setdefault(held, entry)
            continue
        parsed = _parse(entry)
        if parsed is None:
            warnings.append(
                f"static_routes[{index}] route_id {entry.get('route_id')!r} is labelled "
                f"{LABEL_KEY}={cluster} but unreadable; left untouched"
            )
            continue
        prefix, next_hop = parsed
        live_id = str(entry.get("route_id", ""))
        live = LiveRoute(
            Route(prefix, next_hop, "", live_id),
            index,
            entry,
            adopted=live_id != route_id(cluster, prefix),
        )
        if prefix in ours:
            duplicates.append(live)
            warnings.append(
                f"prefix {prefix} appears twice among our live routes (route ids "
                f"{ours[prefix].route.route_id!r}, {live.route.route_id!r})"
            )
        else:
            ours[prefix] = live
    return LiveState(ours, foreign, tuple(duplicates), tuple(warnings), foreign_ids)


def _parse(
    entry: Mapping[str, Any],
) -> tuple[IPNetwork, ipaddress.IPv4Address | ipaddress.IPv6Address] | None:
    try:
        prefix = entry["prefix"]
        network = ipaddress.ip_network(
            f"{prefix['ip_addr']['addr']}/{int(prefix['mask'])}", strict=False
        )
        next_hop = ipaddress.ip_address(entry["next_hop"]["addr"])
    except (KeyError, TypeError, ValueError):
        return None
    return network, next_hop


def _foreign_key(entry: Any) -> PrefixKey | None:
    """The prefix of a foreign route, only to compare it with ours: parsed in C, since a shared
    VRF holds tens of thousands of them and none is ever rewritten."""
    try:
        prefix = entry["prefix"]
        address, mask = prefix["ip_addr"]["addr"], int(prefix["mask"])
        family, version, bits = (
            (socket.AF_INET6, 6, 128) if ":" in address else (socket.AF_INET, 4, 32)
        )
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except (KeyError, TypeError, ValueError, OSError):
        return None
    if not 0 <= mask <= bits:
        return None
    return (version, value >> (bits - mask) << (bits - mask), mask)


def describe_owner(entry: Mapping[str, Any]) -> str:
    labels = entry.get("labels")
    labels = labels if isinstance(labels, list) else []
    owner = ", ".join(
        f"{label.get('key')}={label.get('value')}" for label in labels if isinstance(label, Mapping)
    )
    return f"route_id {entry.get('route_id')!r}" + (
        f" labelled {owner}" if owner else " without a label"
    )
