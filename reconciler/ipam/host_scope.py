"""Host-scope IPAM (kube-controller-manager's node CIDRs, Cilium `ipam: kubernetes`, Antrea's
NodeIPAM): the pod CIDRs are on the Node itself, and AKO's annotation overrides them."""

from __future__ import annotations

from reconciler.ipam.model import NodeIpam
from reconciler.ipam.raw import RawObject, annotations_of, cidr_list, internal_ips, per_node

POD_CIDRS_ANNOTATION = "ako.vmware.com/pod-cidrs"


def read_node_spec(name: str, node: RawObject) -> NodeIpam:
    """AKO's annotation (comma-separated) if it names a CIDR, else spec.podCIDRs, else the
    singular spec.podCIDR of clusters that predate dual-stack."""
    ips = internal_ips(node)
    annotation = annotations_of(node).get(POD_CIDRS_ANNOTATION)
    if annotation is not None:
        cidrs = tuple(item.strip() for item in str(annotation).split(",") if item.strip())
        source = f"Node {name} metadata.annotations[{POD_CIDRS_ANNOTATION}]"
        if cidrs:
            return NodeIpam(name, ips, cidrs, source)
    spec = node.get("spec") or {}
    plural = spec.get("podCIDRs")
    if plural:
        return cidr_list(name, ips, plural, f"Node {name}", "spec.podCIDRs")
    if spec.get("podCIDR"):
        return NodeIpam(name, ips, (str(spec["podCIDR"]),), f"Node {name} spec.podCIDR")
    return NodeIpam(
        name,
        ips,
        (),
        f"Node {name} spec.podCIDRs",
        ipam_missing="spec.podCIDRs is empty (no pod CIDR allocated yet)",
    )


read_host_scope = per_node(read_node_spec)
