"""One read of the cluster: mode first, then exactly the objects that mode needs."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.ipam.collect import collect_cluster_ipam
from reconciler.ipam.model import ClusterIpam, IpamMode
from reconciler.ipam.modes import decide_mode
from reconciler.ipam.source import ClusterSource, RawObject


@dataclass(frozen=True)
class ClusterRead:
    ipam: ClusterIpam
    cilium_config: dict[str, str] | None
    nodes: list[RawObject]


def read_cluster(source: ClusterSource, cni_plugin: str, cilium_namespace: str) -> ClusterRead:
    cilium_config = source.cilium_config(cilium_namespace)
    decision = decide_mode(cni_plugin, cilium_config, f"{cilium_namespace}/cilium-config")
    nodes = source.nodes()
    cilium_nodes = source.cilium_nodes() if decision.mode is IpamMode.CILIUM_CLUSTER_POOL else []
    return ClusterRead(collect_cluster_ipam(decision, nodes, cilium_nodes), cilium_config, nodes)
