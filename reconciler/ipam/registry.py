"""Every CNI route-reconciler reads, one row each: the `--cni-plugin` names that pick it, the
mode it records, what it reads, its reader, its next-hop rule and its RBAC. Mode selection,
auto-detection, the reads and the README's "Supported CNIs" table follow this table, so adding a
CNI is its reader module plus one row."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.ipam import antrea, calico, cilium, host_scope, openshift, ovn_kubernetes
from reconciler.ipam.model import (
    BLOCK_AFFINITIES,
    CILIUM_NODES,
    HOST_SUBNETS,
    CustomResource,
    IpamMode,
)
from reconciler.ipam.raw import Reader


@dataclass(frozen=True)
class ServedCrd:
    """`auto` (without cilium-config) recognises the CNI by its CRD being served, even with no
    objects yet: a fresh cluster's Node podCIDRs are not the CNI's ranges."""

    resource: CustomResource
    cni: str


@dataclass(frozen=True)
class AnnotatedNodes:
    """`auto` (without cilium-config) recognises the CNI by Nodes carrying its annotation."""

    annotation: str
    cni: str


@dataclass(frozen=True)
class Cni:
    """One row. `reads` is the custom resource listed besides the Nodes. `cilium_ipam` lists the
    cilium-config `ipam` values that mean this mode: such a row is decided by cilium-config and an
    explicit choice is checked against it, while any other row is taken as named and reads no
    cilium-config. `cilium_reader`, when given, replaces `reader` where cilium-config chose the
    mode (Cilium then allocates, and reads more than the CNI-neutral fields). `aliases` are other
    CNIs' names (AKO accepts them) that mean this mode and are always taken as named. `next_hop`
    is the rule as the README states it; `rbac_component` names the folder in
    deploy/components/ that grants its reads beyond deploy/base."""

    mode: IpamMode
    plugins: tuple[str, ...]
    reader: Reader
    next_hop: str
    aliases: tuple[str, ...] = ()
    reads: CustomResource | None = None
    rbac_component: str | None = None
    cilium_ipam: tuple[str, ...] = ()
    cilium_reader: Reader | None = None
    trace: ServedCrd | AnnotatedNodes | None = None

    def reader_for(self, chosen_by_cilium: bool) -> Reader:
        return self.cilium_reader if chosen_by_cilium and self.cilium_reader else self.reader


INTERNAL_IP = "InternalIP"
CILIUM_NEXT_HOP = (
    f"{INTERNAL_IP}; with node networks also the CiliumNode's `spec.addresses` InternalIPs, "
    "never its CiliumInternalIP"
)

CNIS = (
    Cni(
        IpamMode.CILIUM_CLUSTER_POOL,
        ("cilium",),
        cilium.read_cluster_pool,
        CILIUM_NEXT_HOP,
        reads=CILIUM_NODES,
        cilium_ipam=("cluster-pool", "cluster-pool-v2beta"),
    ),
    Cni(
        IpamMode.CILIUM_MULTI_POOL,
        ("cilium",),
        cilium.read_multi_pool,
        CILIUM_NEXT_HOP,
        reads=CILIUM_NODES,
        cilium_ipam=("multi-pool",),
    ),
    Cni(
        IpamMode.KUBERNETES_HOST_SCOPE,
        ("kubernetes", ""),
        host_scope.read_host_scope,
        INTERNAL_IP,
        aliases=("canal", "flannel"),  # Flannel's host-local IPAM: Node spec.podCIDRs
        cilium_ipam=("kubernetes",),
        cilium_reader=host_scope.read_cilium_host_scope,
    ),
    Cni(
        IpamMode.CALICO_BLOCK_AFFINITY,
        ("calico",),
        calico.read_calico,
        f"Node annotation `{calico.IPV4_ANNOTATION}` / `{calico.IPV6_ANNOTATION}` (mask "
        f"stripped: `192.168.10.11/24`), else {INTERNAL_IP}",
        reads=BLOCK_AFFINITIES,
        rbac_component="calico",
        trace=ServedCrd(BLOCK_AFFINITIES, "Calico"),
    ),
    Cni(
        IpamMode.OPENSHIFT_HOST_SUBNET,
        ("openshift",),
        openshift.read_openshift,
        INTERNAL_IP,
        reads=HOST_SUBNETS,
        rbac_component="openshift",
        trace=ServedCrd(HOST_SUBNETS, "OpenShift SDN"),
    ),
    Cni(
        IpamMode.OVN_KUBERNETES_ANNOTATION,
        ("ovn-kubernetes",),
        ovn_kubernetes.read_ovn_kubernetes,
        INTERNAL_IP,
        trace=AnnotatedNodes(ovn_kubernetes.SUBNETS_ANNOTATION, "OVN-Kubernetes"),
    ),
    Cni(
        IpamMode.ANTREA_NODE,
        ("antrea",),
        antrea.read_antrea,
        f"annotation `{antrea.TRANSPORT_ANNOTATION}` (comma-separated; the **last** IPv4 and "
        f"the **last** IPv6 entry, as AKO), else {INTERNAL_IP}",
        trace=AnnotatedNodes(antrea.TRANSPORT_ANNOTATION, "Antrea"),
    ),
)

# AKO's cniPlugin values that name a CNI whose pods need no static routes: refused with the reason.
REFUSED_PLUGINS = {
    "ncp": "with NSX-T and NCP, pods sit on NSX-T segments routed by NSX-T itself, so Avi needs "
    "no static routes to reach them (AKO writes none either); there is nothing for "
    "route-reconciler to do in this cluster",
}

BY_MODE = {cni.mode: cni for cni in CNIS}
# Every plugin name, in table order, each once; aliases after them.
PLUGINS = tuple(
    dict.fromkeys([plugin for cni in CNIS for plugin in cni.plugins])
    | dict.fromkeys(alias for cni in CNIS for alias in cni.aliases)
)
# What is read when nothing tells which CNI allocates the pod addresses: the Node spec, as AKO.
FALLBACK = BY_MODE[IpamMode.KUBERNETES_HOST_SCOPE]
CUSTOM_RESOURCES = {cni.reads.name: cni.reads for cni in CNIS if cni.reads}
# The CRDs and Node annotations `auto` looks for, in table order.
SERVED_CRDS = tuple(cni.trace.resource.name for cni in CNIS if isinstance(cni.trace, ServedCrd))
ANNOTATIONS = tuple(cni.trace.annotation for cni in CNIS if isinstance(cni.trace, AnnotatedNodes))
