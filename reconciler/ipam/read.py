"""One read of the cluster: mode first, then exactly the objects that mode needs."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.ipam.collect import cni_evidence, collect_cluster_ipam
from reconciler.ipam.model import CALICO_CRD, OPENSHIFT_CRD, ClusterIpam, IpamMode
from reconciler.ipam.modes import CILIUM_MODES, OTHER_CNI_MODES, decide_mode, normalize_plugin
from reconciler.ipam.source import ClusterSource, RawObject


@dataclass(frozen=True)
class ClusterRead:
    ipam: ClusterIpam
    cilium_config: dict[str, str] | None
    nodes: list[RawObject]


def read_cluster(source: ClusterSource, cni_plugin: str, cilium_namespace: str) -> ClusterRead:
    """cilium-config is read unless another CNI is named explicitly; when `auto` finds none, the
    Nodes (read anyway) and two discovery probes are the evidence. Then one paged list of each
    resource the mode needs, and nothing else."""
    requested = normalize_plugin(cni_plugin)
    cilium_config = None if requested in OTHER_CNI_MODES else source.cilium_config(cilium_namespace)
    nodes: list[RawObject] | None = None
    evidence = None
    if requested == "auto" and cilium_config is None:
        nodes = source.nodes()
        served = [crd for crd in (CALICO_CRD, OPENSHIFT_CRD) if source.crd_served(crd)]
        evidence = cni_evidence(nodes, served)
    decision = decide_mode(requested, cilium_config, f"{cilium_namespace}/cilium-config", evidence)
    if nodes is None:
        nodes = source.nodes()
    mode = decision.mode
    ipam = collect_cluster_ipam(
        decision,
        nodes,
        source.cilium_nodes() if mode in CILIUM_MODES else [],
        block_affinities=source.block_affinities()
        if mode is IpamMode.CALICO_BLOCK_AFFINITY
        else [],
        host_subnets=source.host_subnets() if mode is IpamMode.OPENSHIFT_HOST_SUBNET else [],
    )
    return ClusterRead(ipam, cilium_config, nodes)
