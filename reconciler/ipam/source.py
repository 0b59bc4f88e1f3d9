"""The one interface both cluster sources implement: fetch raw objects, interpret nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

RawObject = dict[str, Any]


@dataclass(frozen=True)
class CustomResource:
    """A CNI's custom resource as the API serves it (all of them are cluster-scoped)."""

    kind: str
    group: str
    version: str
    plural: str

    @property
    def name(self) -> str:
        """The CRD name, as `kubectl get crd` shows it: `blockaffinities.crd.projectcalico.org`."""
        return f"{self.plural}.{self.group}"


CILIUM_NODES = CustomResource("CiliumNode", "cilium.io", "v2", "ciliumnodes")
BLOCK_AFFINITIES = CustomResource("BlockAffinity", "crd.projectcalico.org", "v1", "blockaffinities")
HOST_SUBNETS = CustomResource("HostSubnet", "network.openshift.io", "v1", "hostsubnets")
CUSTOM_RESOURCES = {
    resource.name: resource for resource in (CILIUM_NODES, BLOCK_AFFINITIES, HOST_SUBNETS)
}


class ClusterSource(Protocol):
    description: str

    def cilium_config(self, namespace: str) -> dict[str, str] | None:
        """`data` of ConfigMap `<namespace>/cilium-config`, or None when it does not exist."""

    def crd_served(self, crd: str) -> bool:
        """Whether the API serves the custom resource named `crd` (a CUSTOM_RESOURCES key);
        for auto-detection, so it must need no RBAC and read no objects."""

    def nodes(self) -> list[RawObject]: ...

    def cilium_nodes(self) -> list[RawObject]: ...

    def block_affinities(self) -> list[RawObject]:
        """Calico's `crd.projectcalico.org/v1` BlockAffinities."""

    def host_subnets(self) -> list[RawObject]:
        """OpenShift SDN's `network.openshift.io/v1` HostSubnets."""

    def services(self) -> list[RawObject]: ...
