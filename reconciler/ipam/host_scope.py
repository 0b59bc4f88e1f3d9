"""Host-scope IPAM (kube-controller-manager's node CIDRs, Cilium `ipam: kubernetes`, Antrea's
NodeIPAM): the pod CIDRs are on the Node itself, and AKO's annotation overrides them.

Cilium in `ipam: kubernetes` mode takes a family `spec.podCIDRs` lacks from the pod-CIDR
annotation on the Node; that fallback is read only when Cilium's own configuration chose the
mode, so a cluster without Cilium never takes a stray annotation for a pod range.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from reconciler.ipam.model import NodeIpam
from reconciler.ipam.raw import RawObject, annotations_of, cidr_list, node_addresses, per_node

POD_CIDRS_ANNOTATION = "ako.vmware.com/pod-cidrs"
# Per family, the annotation Cilium reads, then its older spelling, in Cilium's own order.
CILIUM_POD_CIDR_ANNOTATIONS = {
    4: ("network.cilium.io/ipv4-pod-cidr", "io.cilium.network.ipv4-pod-cidr"),
    6: ("network.cilium.io/ipv6-pod-cidr", "io.cilium.network.ipv6-pod-cidr"),
}


def read_node_spec(name: str, node: RawObject) -> NodeIpam:
    """AKO's annotation (comma-separated) if it names a CIDR, else spec.podCIDRs, else the
    singular spec.podCIDR of clusters that predate dual-stack."""
    return _ako_annotation(name, node) or _spec(name, node)


def read_cilium_node_spec(name: str, node: RawObject) -> NodeIpam:
    """As `read_node_spec`; unless AKO's annotation decides, a family the spec has no CIDR of
    comes from Cilium's pod-CIDR annotation, as Cilium's agent reads it."""
    return _ako_annotation(name, node) or _with_cilium_annotations(_spec(name, node), node)


def _ako_annotation(name: str, node: RawObject) -> NodeIpam | None:
    annotation = annotations_of(node).get(POD_CIDRS_ANNOTATION)
    cidrs = tuple(item.strip() for item in str(annotation or "").split(",") if item.strip())
    if not cidrs:
        return None
    source = f"Node {name} metadata.annotations[{POD_CIDRS_ANNOTATION}]"
    return NodeIpam(name, node_addresses(node), cidrs, source)


def _spec(name: str, node: RawObject) -> NodeIpam:
    ips = node_addresses(node)
    spec = node.get("spec") or {}
    plural = spec.get("podCIDRs")
    if plural:
        read = cidr_list(name, ips, plural, f"Node {name}", "spec.podCIDRs")
        fields = tuple(f"spec.podCIDRs[{index}]" for index in range(len(read.pod_cidrs)))
        return replace(read, pod_cidr_fields=fields)
    if spec.get("podCIDR"):
        cidr, source = str(spec["podCIDR"]), f"Node {name} spec.podCIDR"
        return NodeIpam(name, ips, (cidr,), source, pod_cidr_fields=("spec.podCIDR",))
    return NodeIpam(
        name,
        ips,
        (),
        f"Node {name} spec.podCIDRs",
        ipam_missing="spec.podCIDRs is empty (no pod CIDR allocated yet)",
    )


def _with_cilium_annotations(read: NodeIpam, node: RawObject) -> NodeIpam:
    if read.ipam_invalid:
        return read
    cidrs, fields = list(read.pod_cidrs), list(read.pod_cidr_fields)
    families = {_family(cidr) for cidr in cidrs}
    annotations = annotations_of(node)
    for family, keys in CILIUM_POD_CIDR_ANNOTATIONS.items():
        key = next((key for key in keys if str(annotations.get(key) or "").strip()), None)
        if family in families or key is None:
            continue
        value, where = str(annotations[key]).strip(), f"metadata.annotations[{key}]"
        if _family(value) not in (None, family):
            invalid = f"Node {read.name}: {where} {value[:80]!r} is not an IPv{family} CIDR"
            return replace(read, pod_cidrs=(), ipam_invalid=invalid, ipam_missing=None)
        cidrs.append(value)
        fields.append(where)
    if not cidrs:
        names = " or ".join(keys[0] for keys in CILIUM_POD_CIDR_ANNOTATIONS.values())
        missing = f"spec.podCIDRs is empty and no {names} annotation (no pod CIDR allocated yet)"
        return replace(read, ipam_missing=missing)
    if len(cidrs) == len(read.pod_cidrs):
        return read
    source = f"Node {read.name} spec.podCIDRs and Cilium's pod-CIDR annotations"
    return replace(
        read,
        pod_cidrs=tuple(cidrs),
        pod_cidr_source=source,
        pod_cidr_fields=tuple(fields),
        ipam_missing=None,
    )


def _family(cidr: str) -> int | None:
    """The family a CIDR names; None when unreadable (the route rules report it for its node)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).version
    except ValueError:
        return None


read_host_scope = per_node(read_node_spec)
read_cilium_host_scope = per_node(read_cilium_node_spec)
