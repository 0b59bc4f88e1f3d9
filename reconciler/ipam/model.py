"""Plain data that every IPAM source produces, so routes never depend on where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IpamMode(StrEnum):
    KUBERNETES_HOST_SCOPE = "kubernetes-host-scope"
    CILIUM_CLUSTER_POOL = "cilium-cluster-pool"
    CILIUM_MULTI_POOL = "cilium-multi-pool"
    CALICO_BLOCK_AFFINITY = "calico-blockaffinity"
    OPENSHIFT_HOST_SUBNET = "openshift-hostsubnet"
    OVN_KUBERNETES_ANNOTATION = "ovn-kubernetes-annotation"
    ANTREA_NODE = "antrea-node"


@dataclass(frozen=True)
class CustomResource:
    """A CNI's custom resource as the API serves it (all of them are cluster-scoped).

    `absent_hint` is what to check when the cluster does not serve it but the mode needs it."""

    kind: str
    group: str
    version: str
    plural: str
    absent_hint: str

    @property
    def name(self) -> str:
        """The CRD name, as `kubectl get crd` shows it: `blockaffinities.crd.projectcalico.org`."""
        return f"{self.plural}.{self.group}"


# The custom resources the CNIs keep their IPAM in: fetched by the sources, read by the readers.
CILIUM_NODES = CustomResource(
    "CiliumNode",
    "cilium.io",
    "v2",
    "ciliumnodes",
    "is Cilium installed, or should --cni-plugin be kubernetes?",
)
BLOCK_AFFINITIES = CustomResource(
    "BlockAffinity",
    "crd.projectcalico.org",
    "v1",
    "blockaffinities",
    "is Calico installed with its Kubernetes API datastore? (With an etcd datastore Calico has "
    "no CRDs: annotate each Node with ako.vmware.com/pod-cidrs and use --cni-plugin kubernetes.)",
)
HOST_SUBNETS = CustomResource(
    "HostSubnet",
    "network.openshift.io",
    "v1",
    "hostsubnets",
    "is this OpenShift with the OpenShift SDN network plugin? (With OVN-Kubernetes use "
    "--cni-plugin ovn-kubernetes.)",
)
CALICO_CRD = BLOCK_AFFINITIES.name
OPENSHIFT_CRD = HOST_SUBNETS.name


class AddressOrigin(StrEnum):
    """Where a node's address was found, in the order the next-hop rules consider them."""

    CNI = "cni"  # the CNI's own address for the node (Calico, Antrea): AKO prefers it
    NODE = "node"  # Node status.addresses InternalIP
    CILIUM_NODE = "cilium-node"  # CiliumNode spec.addresses InternalIP: chosen by node network only


@dataclass(frozen=True)
class NextHopCandidate:
    """An address the node offers as next hop, raw, with the field it came from. Validated by the
    route rules, so a bad value is reported for this node only."""

    address: str
    source: str
    origin: AddressOrigin


@dataclass(frozen=True)
class NodeIpam:
    """One node as the route computation sees it.

    `pod_cidrs` are raw strings, validated later so that a bad value is reported for this node
    only. `pod_cidr_source` names the object and field they came from, for error messages;
    `pod_cidr_fields`, when given, names the object and field of each CIDR (one per CIDR), for
    CNIs whose CIDRs come from several objects or fields (Calico blocks, Cilium pools).
    `addresses` are every next-hop candidate the node offers, in the order the route rules
    consider them: the CNI's own first (AKO's precedence, the last Antrea transport address
    first), then the Node's InternalIPs as listed, then the CiliumNode's InternalIPs.
    `ipam_missing` says the node exists but its IPAM data is absent (a warning); `ipam_invalid`
    says it is present but unreadable (an error). Either way the node keeps its committed routes:
    a transient gap or a bad write by another controller must not become a route deletion.
    """

    name: str
    addresses: tuple[NextHopCandidate, ...]
    pod_cidrs: tuple[str, ...]
    pod_cidr_source: str
    ipam_missing: str | None = None
    ipam_invalid: str | None = None
    pod_cidr_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class CniRead:
    """What one CNI's reader makes of the Nodes and its own objects. `warnings` and `errors`
    concern objects that belong to no node (a BlockAffinity naming no Node, a HostSubnet without
    `host`): reported, while every node is still routed."""

    nodes: tuple[NodeIpam, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


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
