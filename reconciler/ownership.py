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

from reconciler.addresses import IPAddress, IPNetwork
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
    return _carries(entry, owner_label(cluster))


def _carries(entry: Any, label: list[dict[str, str]]) -> bool:
    """Whether ``entry``'s labels are exactly ``label``: compared on the entry as read, before
    anything in it is parsed, since most entries of a shared VRF are foreign."""
    if type(entry) is not dict and not isinstance(entry, Mapping):
        return False
    labels = entry.get("labels")
    return labels == label and isinstance(labels, list)


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
    """One pass: the label check first, then only ours are parsed; foreign entries are kept as
    read, keyed by a prefix the C library reads."""
    label = owner_label(cluster)
    ours: dict[IPNetwork, LiveRoute] = {}
    foreign: dict[PrefixKey, list[Mapping[str, Any]]] = {}
    foreign_ids: dict[str, Mapping[str, Any]] = {}
    duplicates: list[LiveRoute] = []
    warnings: list[str] = []
    our_form = f"{cluster}."
    for index, entry in enumerate(static_routes):
        if not _carries(entry, label):
            key = _foreign_key(entry)
            if key is not None:
                foreign.setdefault(key, []).append(entry)
            held = entry.get("route_id") if isinstance(entry, dict) else None
            if isinstance(held, str) and held.startswith(our_form):
                foreign_ids.setdefault(held, entry)
            continue
        parsed = parse_route(entry)
        if parsed is None:
            warnings.append(
                f"static_routes[{index}] route_id {entry.get('route_id')!r} is labelled "
                f"{LABEL_KEY}={cluster} but unreadable; left untouched"
            )
            continue
        prefix, next_hop = parsed
        live_id = _live_id(entry)
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


def held_routes(
    static_routes: Sequence[Any], cluster: str
) -> dict[IPNetwork, tuple[IPAddress, str]]:
    """Our readable routes, the first of each prefix, as classify would find them: what the
    answer to a write is checked against. Foreign entries are only skipped, never keyed."""
    label = owner_label(cluster)
    held: dict[IPNetwork, tuple[IPAddress, str]] = {}
    for entry in static_routes:
        if _carries(entry, label):
            parsed = parse_route(entry)
            if parsed is not None and parsed[0] not in held:
                held[parsed[0]] = (parsed[1], _live_id(entry))
    return held


def _live_id(entry: Mapping[str, Any]) -> str:
    return str(entry.get("route_id", ""))


def parse_route(entry: Mapping[str, Any]) -> tuple[IPNetwork, IPAddress] | None:
    """The prefix and next hop of one of our entries, or None when unreadable. Text in the
    C library's canonical form (what we write) is read by it; anything else by ``ipaddress``,
    whose verdict is the rule (host bits cleared, scope ids, the forms it refuses)."""
    return _parse_canonical(entry) or _parse_any(entry)


def _parse_canonical(entry: Mapping[str, Any]) -> tuple[IPNetwork, IPAddress] | None:
    prefix, next_hop = entry.get("prefix"), entry.get("next_hop")
    if type(prefix) is not dict or type(next_hop) is not dict:
        return None
    ip_addr, mask = prefix.get("ip_addr"), prefix.get("mask")
    if type(ip_addr) is not dict or type(mask) is not int:
        return None
    network, hop = _canonical(ip_addr.get("addr")), _canonical(next_hop.get("addr"))
    if network is None or hop is None or not 0 <= mask <= network[1]:
        return None
    network_type = ipaddress.IPv4Network if network[0] == 4 else ipaddress.IPv6Network
    address_type = ipaddress.IPv4Address if hop[0] == 4 else ipaddress.IPv6Address
    return network_type((network[2], mask), strict=False), address_type(hop[2])


def _canonical(text: Any) -> tuple[int, int, int] | None:
    """(version, bits, value) of an address whose text the C library writes back unchanged."""
    if type(text) is not str:
        return None
    try:
        version, bits, packed = _packed(text)
    except (ValueError, OSError):
        return None
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    if socket.inet_ntop(family, packed) != text:
        return None
    return version, bits, int.from_bytes(packed, "big")


def _parse_any(entry: Mapping[str, Any]) -> tuple[IPNetwork, IPAddress] | None:
    try:
        prefix = entry["prefix"]
        network = ipaddress.ip_network(
            f"{prefix['ip_addr']['addr']}/{int(prefix['mask'])}", strict=False
        )
        next_hop = ipaddress.ip_address(entry["next_hop"]["addr"])
    except (KeyError, TypeError, ValueError):
        return None
    return network, next_hop


def _packed(address: Any) -> tuple[int, int, bytes]:
    """The version, bit width and packed bytes of an address, read by the C library; raises
    TypeError, ValueError or OSError for anything it cannot read."""
    if ":" in address:
        return 6, 128, socket.inet_pton(socket.AF_INET6, address)
    return 4, 32, socket.inet_pton(socket.AF_INET, address)


def _foreign_key(entry: Any) -> PrefixKey | None:
    """The prefix of a foreign route, only to compare it with ours: parsed in C, since a shared
    VRF holds tens of thousands of them and none is ever rewritten."""
    try:
        prefix = entry["prefix"]
        address, mask = prefix["ip_addr"]["addr"], int(prefix["mask"])
        version, bits, packed = _packed(address)
    except (KeyError, TypeError, ValueError, OSError):
        return None
    if not 0 <= mask <= bits:
        return None
    value = int.from_bytes(packed, "big")
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
