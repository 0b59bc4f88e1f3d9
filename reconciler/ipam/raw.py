"""What every CNI reader shares: the reader signature, and reading raw API objects (wire JSON, as
a live list or a kubectl dump gives them) as hostile input.

Kept pure so that the live cluster and an offline snapshot produce the same result by
construction: the adapters only fetch objects, the readers read them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import InputError, brief
from reconciler.ipam.model import AddressOrigin, CniRead, NextHopCandidate, NodeIpam

RawObject = Mapping[str, Any]
# A Node (or CNI object) with its name, checked as the API server would check it.
Named = tuple[str, RawObject]
# A CNI's reader: the named Nodes, in name order, and the objects of the custom resource the CNI
# reads (none when it reads Nodes only).
Reader = Callable[[Sequence[Named], Sequence[RawObject]], CniRead]

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Mapping, with dict first: the exact type test answers for wire JSON without the ABC machinery,
# which a render would otherwise run tens of thousands of times.
_MAPPING = (dict, Mapping)
# At most this many object names in one warning; the count is always complete.
_NAMES_SHOWN = 5


def per_node(read_node: Callable[[str, RawObject], NodeIpam]) -> Reader:
    """The reader of a CNI that keeps everything on the Node itself."""

    def read(nodes: Sequence[Named], _objects: Sequence[RawObject]) -> CniRead:
        return CniRead(tuple(read_node(name, node) for name, node in nodes))

    return read


def by_name(objects: Sequence[RawObject], kind: str) -> list[Named]:
    """In name order, as the API lists them, so a kubectl dump in any order reads the same."""
    named = sorted(
        ((_object_name(obj, kind, index), obj) for index, obj in enumerate(objects)),
        key=lambda pair: pair[0],
    )
    for (name, _), (next_name, _) in itertools.pairwise(named):
        if name == next_name:
            raise InputError(f"{kind} {name}: metadata.name appears twice in one list")
    return named


def _object_name(obj: RawObject, kind: str, index: int) -> str:
    """Names reach messages and manifests: only what the API server itself would accept."""
    name = dig(obj, "metadata", "name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} at list index {index}: metadata.name is missing or not a string")
    if len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        raise InputError(
            f"{kind} at list index {index}: metadata.name {brief(name)} is not a valid object name"
        )
    return name


def node_addresses(node: RawObject) -> tuple[NextHopCandidate, ...]:
    """The Node's InternalIPs, as listed: every one is a next-hop candidate."""
    return internal_ip_candidates(
        dig(node, "status", "addresses"), "address", "status.addresses", AddressOrigin.NODE
    )


def internal_ip_candidates(
    addresses: Any, key: str, field: str, origin: AddressOrigin
) -> tuple[NextHopCandidate, ...]:
    """The `type: InternalIP` entries of an address list (a Node's `status.addresses`, a
    CiliumNode's `spec.addresses`), numbered among themselves: `InternalIP[1]` is the second."""
    entries = addresses if isinstance(addresses, list) else []
    found = [
        str(entry.get(key, "")).strip()
        for entry in entries
        if isinstance(entry, _MAPPING) and entry.get("type") == "InternalIP"
    ]
    return tuple(
        [
            NextHopCandidate(address, f"{field} InternalIP[{index}]", origin)
            for index, address in enumerate(found)
        ]
    )


def cidr_list(
    name: str, ips: tuple[NextHopCandidate, ...], value: Any, obj: str, path: str
) -> NodeIpam:
    """A field that must be a list of CIDR strings; anything else is invalid for this node."""
    source = f"{obj} {path}"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return NodeIpam(name, ips, tuple(value), source)
    return NodeIpam(
        name,
        ips,
        (),
        source,
        ipam_invalid=f"{obj}: {path} must be a list of strings, got {brief(value)}",
    )


def annotations_of(obj: RawObject) -> Mapping[str, Any]:
    found = dig(obj, "metadata", "annotations")
    return found if isinstance(found, _MAPPING) else {}


def some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f", ... {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, _MAPPING):
            return None
        obj = obj.get(key)
    return obj


@dataclass
class CidrsByNode:
    """CIDRs a CNI keeps in objects of its own (Calico blocks, OpenShift HostSubnets), grouped by
    the node each object names; duplicates collapse. An object whose CIDR is unreadable makes its
    node invalid; one that names no node at all is an error of its own."""

    by_node: dict[str, dict[str, str]] = field(default_factory=dict)  # node -> CIDR -> its field
    invalid: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, node: str, cidr: str, source: str) -> None:
        self.by_node.setdefault(node, {}).setdefault(cidr, source)

    def add_invalid(self, node: str, problem: str) -> None:
        self.invalid.setdefault(node, []).append(problem)

    def node_ipam(
        self,
        name: str,
        node: RawObject,
        source: str,
        missing: str,
        own_addresses: tuple[NextHopCandidate, ...] = (),
    ) -> NodeIpam:
        """`own_addresses`: the CNI's own next-hop candidates, ahead of the Node's InternalIPs."""
        ips = own_addresses + node_addresses(node)
        if name in self.invalid:
            invalid = "; ".join(self.invalid[name])
            return NodeIpam(name, ips, (), source, ipam_invalid=invalid)
        mine = self.by_node.get(name)
        if not mine:
            return NodeIpam(name, ips, (), source, ipam_missing=missing)
        return NodeIpam(name, ips, tuple(mine), source, pod_cidr_fields=tuple(mine.values()))
