"""Plain data that every IPAM source produces, so routes never depend on where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IpamMode(StrEnum):
    KUBERNETES_HOST_SCOPE = "kubernetes-host-scope"
    CILIUM_CLUSTER_POOL = "cilium-cluster-pool"


@dataclass(frozen=True)
class NodeIpam:
    """One node as the route computation sees it.

    `pod_cidrs` are raw strings, validated later so that a bad value is reported for this node
    only. `pod_cidr_source` names the object and field they came from, for error messages.
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


@dataclass(frozen=True)
class ClusterIpam:
    mode: IpamMode
    evidence: tuple[str, ...]
    nodes: tuple[NodeIpam, ...]
    warnings: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
