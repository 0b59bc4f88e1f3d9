"""Turning raw API objects (wire JSON, as a live list or a kubectl dump gives them) into NodeIpam.

Kept pure so that the live cluster and an offline snapshot produce the same result by
construction: the adapters only fetch objects, this module reads them. One reader per CNI, each
giving the same plain data: per Node, its raw pod CIDRs (and the field each came from), its
InternalIPs, and the CNI's own next-hop candidates where the CNI publishes them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.errors import InputError, brief
from reconciler.ipam.model import (
    ANTREA_TRANSPORT_ANNOTATION,
    CALICO_IPV4_ANNOTATION,
    CALICO_IPV6_ANNOTATION,
    OVN_SUBNETS_ANNOTATION,
    ClusterIpam,
    IpamMode,
    NextHopCandidate,
    NodeIpam,
)
from reconciler.ipam.modes import CniEvidence, ModeDecision

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

POD_CIDRS_ANNOTATION = "ako.vmware.com/pod-cidrs"
# At most this many object names in one warning; the count is always complete.
_NAMES_SHOWN = 5

RawObject = Mapping[str, Any]


def collect_cluster_ipam(
    decision: ModeDecision,
    nodes: Sequence[RawObject],
    cilium_nodes: Sequence[RawObject] = (),
    *,
    block_affinities: Sequence[RawObject] = (),
    host_subnets: Sequence[RawObject] = (),
) -> ClusterIpam:
    named = _by_name(nodes, "Node")
    node_names = [name for name, _ in named]
    counts = {"nodes": len(nodes)}
    warnings: list[str] = []
    errors: list[str] = []
    mode = decision.mode
    if mode in (IpamMode.CILIUM_CLUSTER_POOL, IpamMode.CILIUM_MULTI_POOL):
        by_name = _cilium_nodes_by_name(cilium_nodes)
        reader = _from_cilium_node if mode is IpamMode.CILIUM_CLUSTER_POOL else _from_cilium_pools
        collected = [reader(name, node, by_name.get(name)) for name, node in named]
        warnings.extend(
            f"CiliumNode {name}: no Node of that name exists; its CIDRs are not routed"
            for name in sorted(set(by_name) - set(node_names))
        )
        counts["ciliumnodes"] = len(cilium_nodes)
    elif mode is IpamMode.CALICO_BLOCK_AFFINITY:
        blocks = _calico_blocks(block_affinities)
        collected = [_from_calico_blocks(name, node, blocks) for name, node in named]
        warnings.extend(blocks.warnings(set(node_names)))
        errors.extend(blocks.errors)
        counts["blockaffinities"] = len(block_affinities)
    elif mode is IpamMode.OPENSHIFT_HOST_SUBNET:
        subnets = _host_subnets(host_subnets)
        collected = [_from_host_subnets(name, node, subnets) for name, node in named]
        warnings.extend(
            f"HostSubnet host {host}: no Node of that name exists; its subnet is not routed"
            for host in sorted(set(subnets.by_node) - set(node_names))
        )
        errors.extend(subnets.errors)
        counts["hostsubnets"] = len(host_subnets)
    elif mode is IpamMode.OVN_KUBERNETES_ANNOTATION:
        collected = [_from_ovn_annotation(name, node) for name, node in named]
    elif mode is IpamMode.ANTREA_NODE:
        collected = [_from_antrea_node(name, node) for name, node in named]
    else:
        collected = [_from_node_spec(name, node) for name, node in named]
    return ClusterIpam(
        mode, decision.evidence, tuple(collected), tuple(warnings), counts, tuple(errors)
    )


def cni_evidence(nodes: Sequence[RawObject], served_crds: Iterable[str]) -> CniEvidence:
    """What auto-detection needs from the Nodes, which are read anyway: annotation counts."""
    annotations = [_annotations(node) for node in nodes]
    return CniEvidence(
        served_crds=tuple(served_crds),
        nodes=len(nodes),
        ovn_annotated=sum(OVN_SUBNETS_ANNOTATION in found for found in annotations),
        antrea_annotated=sum(ANTREA_TRANSPORT_ANNOTATION in found for found in annotations),
    )


def internal_ips(node: RawObject) -> tuple[str, ...]:
    addresses = _dig(node, "status", "addresses") or []
    return tuple(
        str(entry.get("address", "")).strip()
        for entry in addresses
        if isinstance(entry, Mapping) and entry.get("type") == "InternalIP"
    )


# -- Node spec (kubernetes host-scope, and Antrea's NodeIPAM) --------------------------------------


def _from_node_spec(name: str, node: RawObject) -> NodeIpam:
    ips = internal_ips(node)
    annotation = _annotations(node).get(POD_CIDRS_ANNOTATION)
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


def _from_antrea_node(name: str, node: RawObject) -> NodeIpam:
    """Pod CIDRs as in host-scope mode; the next hop from Antrea's transport addresses, where AKO
    takes the LAST IPv4 and the LAST IPv6 entry: listed last-first, the first of each family
    wins."""
    ipam = _from_node_spec(name, node)
    raw = _annotations(node).get(ANTREA_TRANSPORT_ANNOTATION)
    if raw is None:
        return ipam
    field = f"metadata.annotations[{ANTREA_TRANSPORT_ANNOTATION}]"
    entries = [entry.strip() for entry in str(raw).split(",")]
    candidates = tuple(
        NextHopCandidate(entry, f"{field}[{index}]")
        for index, entry in reversed(list(enumerate(entries)))
        if entry
    )
    return replace(ipam, next_hops=candidates)


# -- Cilium ----------------------------------------------------------------------------------------


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


def _from_cilium_pools(name: str, node: RawObject, cilium_node: RawObject | None) -> NodeIpam:
    """Multi-pool: every CIDR of every pool in spec.ipam.pools.allocated is routed."""
    ips = internal_ips(node)
    field = "spec.ipam.pools.allocated"
    source = f"CiliumNode {name} {field}"
    if cilium_node is None:
        return NodeIpam(name, ips, (), source, ipam_missing="no CiliumNode of that name exists yet")
    allocated = _dig(cilium_node, "spec", "ipam", "pools", "allocated")
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


def _cilium_nodes_by_name(cilium_nodes: Iterable[RawObject]) -> dict[str, RawObject]:
    return dict(_by_name(list(cilium_nodes), "CiliumNode"))


# -- Calico ----------------------------------------------------------------------------------------


class _CalicoBlocks:
    """BlockAffinities by node: only confirmed, not deleted blocks; duplicates collapse."""

    def __init__(self) -> None:
        self.by_node: dict[str, dict[str, str]] = {}  # node -> cidr -> field it came from
        self.invalid: dict[str, list[str]] = {}
        self.not_confirmed: list[str] = []
        self.deleted: list[str] = []
        self.errors: list[str] = []

    def warnings(self, node_names: set[str]) -> list[str]:
        found = [
            f"BlockAffinity spec.node {node}: no Node of that name exists; its "
            f"{len(blocks)} block(s) are not routed"
            for node, blocks in sorted(self.by_node.items())
            if node not in node_names
        ]
        skipped = len(self.not_confirmed) + len(self.deleted)
        if skipped:
            parts = [
                f"{len(names)} {what} ({_some(names)})"
                for what, names in (
                    ("not confirmed", self.not_confirmed),
                    ("deleted", self.deleted),
                )
                if names
            ]
            found.append(f"{skipped} BlockAffinity block(s) not routed: " + ", ".join(parts))
        return found


def _calico_blocks(block_affinities: Sequence[RawObject]) -> _CalicoBlocks:
    blocks = _CalicoBlocks()
    for name, block in _by_name(block_affinities, "BlockAffinity"):
        spec = block.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        state, deleted = spec.get("state"), spec.get("deleted")
        if deleted is True or (isinstance(deleted, str) and deleted.strip().lower() == "true"):
            blocks.deleted.append(name)
            continue
        if state != "confirmed":
            blocks.not_confirmed.append(f"{name} state {state!r}" if state else f"{name} no state")
            continue
        node = spec.get("node")
        if not isinstance(node, str) or not node:
            blocks.errors.append(
                f"BlockAffinity {name}: spec.node is missing or not a string; its block is "
                "not routed"
            )
            continue
        cidr = spec.get("cidr")
        if not isinstance(cidr, str) or not cidr.strip():
            blocks.invalid.setdefault(node, []).append(
                f"BlockAffinity {name}: spec.cidr is missing or empty"
            )
            continue
        blocks.by_node.setdefault(node, {}).setdefault(
            cidr.strip(), f"BlockAffinity {name} spec.cidr"
        )
    return blocks


def _from_calico_blocks(name: str, node: RawObject, blocks: _CalicoBlocks) -> NodeIpam:
    ips = internal_ips(node)
    next_hops = _calico_next_hops(node)
    source = f"BlockAffinity spec.node {name}"
    if name in blocks.invalid:
        invalid = "; ".join(blocks.invalid[name])
        return NodeIpam(name, ips, (), source, ipam_invalid=invalid, next_hops=next_hops)
    mine = blocks.by_node.get(name)
    if not mine:
        missing = "no confirmed BlockAffinity names this node (Calico has not given it a block)"
        return NodeIpam(name, ips, (), source, ipam_missing=missing, next_hops=next_hops)
    return NodeIpam(
        name,
        ips,
        tuple(mine),
        source,
        pod_cidr_fields=tuple(mine.values()),
        next_hops=next_hops,
    )


def _calico_next_hops(node: RawObject) -> tuple[NextHopCandidate, ...]:
    """Calico's node addresses, with the mask stripped ("192.168.10.11/24")."""
    annotations = _annotations(node)
    candidates = []
    for key in (CALICO_IPV4_ANNOTATION, CALICO_IPV6_ANNOTATION):
        value = str(annotations.get(key) or "").strip()
        if value:
            candidates.append(
                NextHopCandidate(value.split("/", 1)[0].strip(), f"metadata.annotations[{key}]")
            )
    return tuple(candidates)


# -- OpenShift SDN ---------------------------------------------------------------------------------


class _HostSubnets:
    def __init__(self) -> None:
        self.by_node: dict[str, dict[str, str]] = {}
        self.invalid: dict[str, list[str]] = {}
        self.errors: list[str] = []


def _host_subnets(host_subnets: Sequence[RawObject]) -> _HostSubnets:
    subnets = _HostSubnets()
    for name, item in _by_name(host_subnets, "HostSubnet"):
        host = item.get("host")
        if not isinstance(host, str) or not host:
            subnets.errors.append(
                f"HostSubnet {name}: host is missing or not a string; its subnet is not routed"
            )
            continue
        subnet = item.get("subnet")
        if not isinstance(subnet, str) or not subnet.strip():
            subnets.invalid.setdefault(host, []).append(
                f"HostSubnet {name}: subnet is missing or not a string"
            )
            continue
        subnets.by_node.setdefault(host, {}).setdefault(subnet.strip(), f"HostSubnet {name} subnet")
    return subnets


def _from_host_subnets(name: str, node: RawObject, subnets: _HostSubnets) -> NodeIpam:
    ips = internal_ips(node)
    source = f"HostSubnet host {name}"
    if name in subnets.invalid:
        return NodeIpam(name, ips, (), source, ipam_invalid="; ".join(subnets.invalid[name]))
    mine = subnets.by_node.get(name)
    if not mine:
        missing = "no HostSubnet names this node (OpenShift SDN has not given it a subnet)"
        return NodeIpam(name, ips, (), source, ipam_missing=missing)
    return NodeIpam(name, ips, tuple(mine), source, pod_cidr_fields=tuple(mine.values()))


# -- OVN-Kubernetes --------------------------------------------------------------------------------


def _from_ovn_annotation(name: str, node: RawObject) -> NodeIpam:
    """`{"default": "10.128.0.0/23"}` (before OpenShift 4.13) or `{"default": [...]}`."""
    ips = internal_ips(node)
    field = f"metadata.annotations[{OVN_SUBNETS_ANNOTATION}]"
    source = f"Node {name} {field}"
    raw = _annotations(node).get(OVN_SUBNETS_ANNOTATION)
    if raw is None:
        missing = f"annotation {OVN_SUBNETS_ANNOTATION} is not set (no subnet assigned yet)"
        return NodeIpam(name, ips, (), source, ipam_missing=missing)

    def invalid(problem: str) -> NodeIpam:
        return NodeIpam(
            name, ips, (), source, ipam_invalid=f"annotation {OVN_SUBNETS_ANNOTATION} {problem}"
        )

    try:
        value = json.loads(str(raw))
    except ValueError:
        return invalid(f"is not valid JSON: {brief(str(raw))}")
    if not isinstance(value, Mapping):
        return invalid(f"must be a JSON object with key 'default', got {brief(str(raw))}")
    if "default" not in value:
        return invalid(f"has no key 'default' (the cluster network): {brief(str(raw))}")
    default = value["default"]
    if isinstance(default, str):
        cidrs, fields = [default.strip()], [f"{field}.default"]
    elif isinstance(default, list) and all(isinstance(item, str) for item in default):
        cidrs = [item.strip() for item in default]
        fields = [f"{field}.default[{index}]" for index in range(len(default))]
    else:
        return invalid(f"key 'default' must be a string or a list of strings, got {brief(default)}")
    if not cidrs or not all(cidrs):
        return invalid(f"key 'default' is empty: {brief(default)}")
    return NodeIpam(name, ips, tuple(cidrs), source, pod_cidr_fields=tuple(fields))


# -- shared ----------------------------------------------------------------------------------------


def _by_name(objects: Sequence[RawObject], kind: str) -> list[tuple[str, RawObject]]:
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
    name = _dig(obj, "metadata", "name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} at list index {index}: metadata.name is missing or not a string")
    if len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        raise InputError(
            f"{kind} at list index {index}: metadata.name {brief(name)} is not a valid object name"
        )
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
        ipam_invalid=f"{obj}: {field} must be a list of strings, got {brief(value)}",
    )


def _annotations(node: RawObject) -> Mapping[str, Any]:
    annotations = _dig(node, "metadata", "annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f", ... {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj
