"""Cilium cluster-pool and multi-pool: the pod CIDRs are on the CiliumNode named like each Node.
The next hop is the Node's InternalIP; the CiliumNode's own InternalIP entries are candidates after
them, which only a node network ever chooses (its CiliumInternalIP is inside the pod range and is
never one)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reconciler.errors import brief
from reconciler.ipam.model import AddressOrigin, CniRead, NextHopCandidate, NodeIpam
from reconciler.ipam.raw import (
    Named,
    RawObject,
    Reader,
    by_name,
    cidr_list,
    dig,
    internal_ip_candidates,
    node_addresses,
)

_NO_CILIUM_NODE = "no CiliumNode of that name exists yet"

Addresses = tuple[NextHopCandidate, ...]
CiliumNodeReader = Callable[[str, Addresses, RawObject | None], NodeIpam]


def _with_cilium_nodes(read_node: CiliumNodeReader) -> Reader:
    """Each Node with its CiliumNode (or None); a CiliumNode naming no Node is a warning."""

    def read(nodes: Sequence[Named], cilium_nodes: Sequence[RawObject]) -> CniRead:
        by_node = dict(by_name(cilium_nodes, "CiliumNode"))
        strays = sorted(set(by_node) - {name for name, _ in nodes})
        return CniRead(
            tuple(
                read_node(name, _addresses(node, by_node.get(name)), by_node.get(name))
                for name, node in nodes
            ),
            tuple(
                f"CiliumNode {name}: no Node of that name exists; its CIDRs are not routed"
                for name in strays
            ),
        )

    return read


def _addresses(node: RawObject, cilium_node: RawObject | None) -> Addresses:
    return node_addresses(node) + internal_ip_candidates(
        dig(cilium_node, "spec", "addresses"),
        "ip",
        "CiliumNode spec.addresses",
        AddressOrigin.CILIUM_NODE,
    )


def _read_pod_cidrs(name: str, ips: Addresses, cilium_node: RawObject | None) -> NodeIpam:
    source = f"CiliumNode {name} spec.ipam.podCIDRs"
    if cilium_node is None:
        return NodeIpam(name, ips, (), source, ipam_missing=_NO_CILIUM_NODE)
    cidrs = dig(cilium_node, "spec", "ipam", "podCIDRs")
    if not cidrs:
        return NodeIpam(
            name,
            ips,
            (),
            source,
            ipam_missing="CiliumNode has no spec.ipam.podCIDRs (not allocated yet)",
        )
    return cidr_list(name, ips, cidrs, f"CiliumNode {name}", "spec.ipam.podCIDRs")


def _read_pools(name: str, ips: Addresses, cilium_node: RawObject | None) -> NodeIpam:
    """Multi-pool: every CIDR of every pool in spec.ipam.pools.allocated is routed."""
    field = "spec.ipam.pools.allocated"
    source = f"CiliumNode {name} {field}"
    if cilium_node is None:
        return NodeIpam(name, ips, (), source, ipam_missing=_NO_CILIUM_NODE)
    allocated = dig(cilium_node, "spec", "ipam", "pools", "allocated")
    if not isinstance(allocated, list):
        if allocated:
            invalid = f"CiliumNode {name}: {field} must be a list, got {brief(allocated)}"
            return NodeIpam(name, ips, (), source, ipam_invalid=invalid)
        allocated = []
    cidrs: list[str] = []
    fields: list[str] = []
    for index, entry in enumerate(allocated):
        if not isinstance(entry, Mapping):
            invalid = f"CiliumNode {name}: {field}[{index}] must be an object, got {brief(entry)}"
            return NodeIpam(name, ips, (), source, ipam_invalid=invalid)
        pool_cidrs = entry.get("cidrs") or []
        if not isinstance(pool_cidrs, list) or not all(isinstance(c, str) for c in pool_cidrs):
            invalid = (
                f"CiliumNode {name}: {field}[{index}].cidrs must be a list of strings, "
                f"got {brief(pool_cidrs)}"
            )
            return NodeIpam(name, ips, (), source, ipam_invalid=invalid)
        for position, cidr in enumerate(pool_cidrs):
            cidrs.append(cidr)
            fields.append(f"{field}[{index}].cidrs[{position}]")
    if not cidrs:
        missing = f"CiliumNode has no CIDR in {field} (no pool has allocated one yet)"
        return NodeIpam(name, ips, (), source, ipam_missing=missing)
    return NodeIpam(name, ips, tuple(cidrs), source, pod_cidr_fields=tuple(fields))


read_cluster_pool = _with_cilium_nodes(_read_pod_cidrs)
read_multi_pool = _with_cilium_nodes(_read_pools)
