"""Antrea: pod CIDRs as in host-scope mode; the next hop from Antrea's transport addresses."""

from __future__ import annotations

from dataclasses import replace

from reconciler.ipam.host_scope import read_node_spec
from reconciler.ipam.model import AddressOrigin, NextHopCandidate, NodeIpam
from reconciler.ipam.raw import RawObject, annotations_of, per_node

TRANSPORT_ANNOTATION = "node.antrea.io/transport-addresses"


def _read_antrea_node(name: str, node: RawObject) -> NodeIpam:
    """AKO takes the LAST IPv4 and the LAST IPv6 entry of the annotation: listed last-first, the
    first of each family wins."""
    ipam = read_node_spec(name, node)
    raw = annotations_of(node).get(TRANSPORT_ANNOTATION)
    if raw is None:
        return ipam
    field = f"metadata.annotations[{TRANSPORT_ANNOTATION}]"
    entries = [entry.strip() for entry in str(raw).split(",")]
    candidates = tuple(
        NextHopCandidate(entry, f"{field}[{index}]", AddressOrigin.CNI)
        for index, entry in reversed(list(enumerate(entries)))
        if entry
    )
    return replace(ipam, addresses=candidates + ipam.addresses)


read_antrea = per_node(_read_antrea_node)
