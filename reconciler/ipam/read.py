"""One read of the cluster: mode first, then exactly the objects that mode needs."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.ipam.collect import cni_evidence, collect_cluster_ipam
from reconciler.ipam.model import ClusterIpam
from reconciler.ipam.modes import decide_mode, normalize_plugin, reads_cilium_config
from reconciler.ipam.registry import BY_MODE, SERVED_CRDS
from reconciler.ipam.source import ClusterSource, RawObject


@dataclass(frozen=True)
class ClusterRead:
    ipam: ClusterIpam
    cilium_config: dict[str, str] | None
    nodes: list[RawObject]


def read_cluster(source: ClusterSource, cni_plugin: str, cilium_namespace: str) -> ClusterRead:
    """cilium-config is read unless another CNI is named explicitly; when `auto` finds none, the
    Nodes (read anyway) and one discovery probe per trace CRD are the evidence. Then one paged
    list of each resource the mode needs, and nothing else."""
    requested = normalize_plugin(cni_plugin)
    cilium_config = (
        source.cilium_config(cilium_namespace) if reads_cilium_config(requested) else None
    )
    nodes: list[RawObject] | None = None
    evidence = None
    if requested == "auto" and cilium_config is None:
        nodes = source.nodes()
        evidence = cni_evidence(nodes, [crd for crd in SERVED_CRDS if source.crd_served(crd)])
    decision = decide_mode(requested, cilium_config, f"{cilium_namespace}/cilium-config", evidence)
    if nodes is None:
        nodes = source.nodes()
    resource = BY_MODE[decision.mode].reads
    objects = source.custom_objects(resource) if resource else []
    return ClusterRead(collect_cluster_ipam(decision, nodes, objects), cilium_config, nodes)
