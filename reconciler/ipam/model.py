"""Plain data that every IPAM source produces, so routes never depend on where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Where the CNIs other than Cilium keep what the readers and auto-detection look at.
CALICO_CRD = "blockaffinities.crd.projectcalico.org"
OPENSHIFT_CRD = "hostsubnets.network.openshift.io"
CALICO_IPV4_ANNOTATION = "projectcalico.org/IPv4Address"
CALICO_IPV6_ANNOTATION = "projectcalico.org/IPv6Address"
OVN_SUBNETS_ANNOTATION = "k8s.ovn.org/node-subnets"
ANTREA_TRANSPORT_ANNOTATION = "node.antrea.io/transport-addresses"


class IpamMode(StrEnum):
    KUBERNETES_HOST_SCOPE = "kubernetes-host-scope"
    CILIUM_CLUSTER_POOL = "cilium-cluster-pool"
    CILIUM_MULTI_POOL = "cilium-multi-pool"
    CALICO_BLOCK_AFFINITY = "calico-blockaffinity"
    OPENSHIFT_HOST_SUBNET = "openshift-hostsubnet"
    OVN_KUBERNETES_ANNOTATION = "ovn-kubernetes-annotation"
    ANTREA_NODE = "antrea-node"


@dataclass(frozen=True)
class NextHopCandidate:
    """An address a CNI publishes for a node (Calico's, Antrea's), raw, with the field it came
    from. Validated by the route rules, so a bad value is reported for this node only."""

    address: str
    source: str


@dataclass(frozen=True)
class NodeIpam:
    """One node as the route computation sees it.

    `pod_cidrs` are raw strings, validated later so that a bad value is reported for this node
    only. `pod_cidr_source` names the object and field they came from, for error messages;
    `pod_cidr_fields`, when given, names the object and field of each CIDR (one per CIDR), for
    CNIs whose CIDRs come from several objects or fields (Calico blocks, Cilium pools).
    `next_hops` are the CNI's own next-hop candidates in preference order: for each address
    family the first one wins over the node's InternalIPs (AKO's precedence); empty for CNIs
    whose next hop is the InternalIP.
    `ipam_missing` says the node exists but its IPAM data is absent (a warning); `ipam_invalid`
    says it is present but unreadable (an error). Either way the node keeps its committed routes:
    a transient gap or a bad write by another controller must not become a route deletion.
    """

    name: str
    internal_ips: tuple[str, ...]
    pod_cidrs: tuple[str, ...]
    pod_cidr_source: str
    ipam_missing: str | None = None
    ipam_invalid: str | None = None
    pod_cidr_fields: tuple[str, ...] = ()
    next_hops: tuple[NextHopCandidate, ...] = ()


@dataclass(frozen=True)
class ClusterIpam:
    mode: IpamMode
    evidence: tuple[str, ...]
    nodes: tuple[NodeIpam, ...]
    warnings: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    # Objects that belong to no node and are unreadable (a HostSubnet without `host`): reported
    # as errors, while every node is still routed.
    errors: tuple[str, ...] = ()
