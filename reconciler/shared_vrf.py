"""Foreign routes beside ours in a VRF that several clusters share: which block ours, which only
share a prefix with ours, which overlap ours. Pure.

Avi uses a labelled static route only on the Service Engines of SE groups that carry the same
label, and an unlabelled one on every SE group of the VRF. Our routes carry
`clustername=<cluster>`, and our SE groups carry exactly that label (`check` verifies it), so a
foreign route reaches our Service Engines only when it has no label or carries ours: only such a
route can take traffic from ours. Two clusters with identical pod CIDRs (TKG's 100.96.0.0/11,
Cilium's 10.0.0.0/8) therefore share one VRF, each cluster's route reaching its own SE group.
Route ids are unique in a VRF whatever the labels, so a foreign route holding one of our ids
always blocks ours.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.addresses import IPNetwork
from reconciler.ownership import LABEL_KEY, LiveState, describe_owner
from reconciler.prefixes import PrefixKey, nested_pairs, prefix_key
from reconciler.routes import Route

# At most this many of our prefixes are named in one overlap warning; the count is complete.
_SHOWN = 5


@dataclass(frozen=True)
class SharedPrefix:
    """One of our prefixes that labelled foreign routes hold too, and for whom."""

    prefix: IPNetwork
    shared_with: str


@dataclass(frozen=True)
class ForeignBeside:
    blocked: dict[IPNetwork, str]
    shared: tuple[SharedPrefix, ...]
    warnings: tuple[str, ...]


def reaches_our_service_engines(entry: Any, cluster: str) -> bool:
    """Unlabelled, or labelled with our label (in any shape but exactly ours, which would make
    it ours); labels that cannot be read count as reaching us, so they block. Called for every
    foreign route of a VRF, hence plain `dict` checks (what JSON gives) over `Mapping`."""
    labels = entry.get("labels") if isinstance(entry, dict) else None
    if not labels or not isinstance(labels, list):
        return True
    for label in labels:
        if not isinstance(label, dict) or not label.get("key"):
            return True
        if label.get("key") == LABEL_KEY and label.get("value") == cluster:
            return True
    return False


def foreign_beside(cluster: str, target: Sequence[Route], live: LiveState) -> ForeignBeside:
    blocked: dict[IPNetwork, str] = {}
    shared: list[SharedPrefix] = []
    for route in target:
        holder = live.foreign_ids.get(route.route_id)
        if holder is not None:
            blocked[route.prefix] = (
                f"Avi already has route id {route.route_id!r} on a foreign route "
                f"({describe_owner(holder)}); route ids are unique in a VRF, so ours cannot "
                "be written beside it"
            )
            continue
        beside = live.foreign.get(prefix_key(route.prefix), ())
        reaching = [entry for entry in beside if reaches_our_service_engines(entry, cluster)]
        if reaching:
            blocked[route.prefix] = (
                f"Avi already has this prefix as a foreign route ({describe_owner(reaching[0])}) "
                "that reaches our Service Engines; it is never overwritten"
            )
        elif beside:
            shared.append(
                SharedPrefix(route.prefix, "; ".join(_shared_with(entry) for entry in beside))
            )
    return ForeignBeside(blocked, tuple(shared), tuple(_overlaps(cluster, target, live)))


def _shared_with(entry: Mapping[str, Any]) -> str:
    labels = [label for label in entry["labels"] if isinstance(label, Mapping)]
    return "; ".join(
        f"cluster {label.get('value')} (its own SE group)"
        if label.get("key") == LABEL_KEY
        else f"a route labelled {label.get('key')}={label.get('value')} (only SE groups "
        "with that label use it)"
        for label in labels
    )


def _overlaps(cluster: str, target: Sequence[Route], live: LiveState) -> list[str]:
    """Foreign routes that reach our Service Engines and nest with ours at another length: for
    the addresses both cover, the longer prefix wins there, so one takes traffic of the other."""
    keys: list[PrefixKey] = [prefix_key(route.prefix) for route in target]
    reaching: list[Mapping[str, Any]] = []
    for key, entries in live.foreign.items():
        for entry in entries:
            if reaches_our_service_engines(entry, cluster):
                keys.append(key)
                reaching.append(entry)
    ours_by_foreign: dict[int, list[Route]] = {}
    for outer, inner in nested_pairs(keys):
        mine, theirs = sorted((outer, inner))
        if keys[outer] == keys[inner] or mine >= len(target) or theirs < len(target):
            continue  # the same prefix (blocked above), or two of ours, or two foreign routes
        ours_by_foreign.setdefault(theirs - len(target), []).append(target[mine])
    warnings = []
    for index, ours in ours_by_foreign.items():
        entry = reaching[index]
        named = ", ".join(str(route.prefix) for route in ours[:_SHOWN])
        more = f", ... {len(ours) - _SHOWN} more" if len(ours) > _SHOWN else ""
        warnings.append(
            f"the foreign route {_prefix_text(keys[len(target) + index])} "
            f"({describe_owner(entry)}) reaches our Service Engines and overlaps {len(ours)} "
            f"of our prefixes ({named}{more}) at another length: for the addresses both "
            "cover, the longer prefix wins there"
        )
    return warnings


def _prefix_text(key: PrefixKey) -> str:
    version, start, length = key
    network = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    return str(network((start, length)))
