"""Turning raw API objects (wire JSON, as a live list or a kubectl dump gives them) into NodeIpam.

Kept pure so that the live cluster and an offline snapshot produce the same result by
construction: the adapters only fetch objects, this module reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.errors import InputError
from reconciler.ipam.model import ClusterIpam, IpamMode, NodeIpam
from reconciler.ipam.modes import ModeDecision

POD_CIDRS_ANNOTATION = "ako.vmware.com/pod-cidrs"

RawObject = Mapping[str, Any]


def collect_cluster_ipam(
    decision: ModeDecision,
    nodes: Sequence[RawObject],
    cilium_nodes: Sequence[RawObject] = (),
) -> ClusterIpam:
    warnings: list[str] = []
    node_names = [_object_name(node, "Node", index) for index, node in enumerate(nodes)]
    if decision.mode is IpamMode.CILIUM_CLUSTER_POOL:
        by_name = _cilium_nodes_by_name(cilium_nodes)
        collected = [
            _from_cilium_node(name, node, by_name.get(name))
            for name, node in zip(node_names, nodes, strict=True)
        ]
        known = set(node_names)
        warnings.extend(
            f"CiliumNode {name}: no Node of that name exists; its CIDRs are not routed"
            for name in sorted(by_name)
            if name not in known
        )
    else:
        collected = [
            _from_node_spec(name, node) for name, node in zip(node_names, nodes, strict=True)
        ]
    counts = {"nodes": len(nodes)}
    if decision.mode is IpamMode.CILIUM_CLUSTER_POOL:
        counts["ciliumnodes"] = len(cilium_nodes)
    return ClusterIpam(decision.mode, decision.evidence, tuple(collected), tuple(warnings), counts)


def internal_ips(node: RawObject) -> tuple[str, ...]:
    addresses = _dig(node, "status", "addresses") or []
    return tuple(
        str(entry.get("address", "")).strip()
        for entry in addresses
        if isinstance(entry, Mapping) and entry.get("type") == "InternalIP"
    )


def _from_node_spec(name: str, node: RawObject) -> NodeIpam:
    ips = internal_ips(node)
    annotation = (_dig(node, "metadata", "annotations") or {}).get(POD_CIDRS_ANNOTATION)
    if annotation is not None:
        cidrs = tuple(item.strip() for item in str(annotation).split(",") if item.strip())
        source = f"Node {name} metadata.annotations[{POD_CIDRS_ANNOTATION}]"
        if cidrs:
            return NodeIpam(name, ips, cidrs, source)
    spec = node.get("spec") or {}
    plural = spec.get("podCIDRs")
    if plural:
        return _with_cidr_list(name, ips, plural, f"Node {name}", "spec.podCIDRs")
    if spec.get("podCIDR"):
        return NodeIpam(name, ips, (str(spec["podCIDR"]),), f"Node {name} spec.podCIDR")
    return NodeIpam(
        name,
        ips,
        (),
        f"Node {name} spec.podCIDRs",
        ipam_missing="spec.podCIDRs is empty (no pod CIDR allocated yet)",
    )


def _from_cilium_node(name: str, node: RawObject, cilium_node: RawObject | None) -> NodeIpam:
    ips = internal_ips(node)
    source = f"CiliumNode {name} spec.ipam.podCIDRs"
    if cilium_node is None:
        return NodeIpam(name, ips, (), source, ipam_missing="no CiliumNode of that name exists yet")
    cidrs = _dig(cilium_node, "spec", "ipam", "podCIDRs")
    if not cidrs:
        return NodeIpam(
            name,
            ips,
            (),
            source,
            ipam_missing="CiliumNode has no spec.ipam.podCIDRs (not allocated yet)",
        )
    return _with_cidr_list(name, ips, cidrs, f"CiliumNode {name}", "spec.ipam.podCIDRs")


def _cilium_nodes_by_name(cilium_nodes: Iterable[RawObject]) -> dict[str, RawObject]:
    by_name: dict[str, RawObject] = {}
    for index, cilium_node in enumerate(cilium_nodes):
        by_name[_object_name(cilium_node, "CiliumNode", index)] = cilium_node
    return by_name


def _object_name(obj: RawObject, kind: str, index: int) -> str:
    name = _dig(obj, "metadata", "name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} at list index {index}: metadata.name is missing or not a string")
    return name


def _with_cidr_list(name: str, ips: tuple[str, ...], value: Any, obj: str, field: str) -> NodeIpam:
    source = f"{obj} {field}"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return NodeIpam(name, ips, tuple(value), source)
    return NodeIpam(
        name,
        ips,
        (),
        source,
        ipam_invalid=f"{obj}: {field} must be a list of strings, got {value!r:.60}",
    )


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj
