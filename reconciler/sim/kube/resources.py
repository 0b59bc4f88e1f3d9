"""The resources the fake serves and how objects map onto them.

Serving another kind (a CRD such as ``CiliumBGPPeeringPolicy``) is one more ``ResourceType`` in
``RESOURCE_TYPES``: paths, discovery, storage, RBAC messages and dump loading all follow from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    """One served resource, with the server-side policies that differ between resources."""

    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    custom: bool = False  # served from a CRD: can be uninstalled, list items keep kind/apiVersion
    unconditional_update: bool = True  # PUT without metadata.resourceVersion is accepted
    create_on_update: bool = False  # PUT of a missing object creates it

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The resource name used in messages: ``nodes``, ``leases.coordination.k8s.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def details(self, name: str | None = None) -> Obj:
        """The ``details`` of a Status about this resource (or one object of it)."""
        details: Obj = {"name": name} if name else {}
        if self.group:
            details["group"] = self.group
        details["kind"] = self.plural
        return details


RESOURCE_TYPES = (
    ResourceType("Node", "nodes", "", "v1", namespaced=False, short_names=("no",)),
    ResourceType("ConfigMap", "configmaps", "", "v1", namespaced=True, short_names=("cm",)),
    ResourceType("Service", "services", "", "v1", namespaced=True, short_names=("svc",)),
    ResourceType(
        "Lease",
        "leases",
        "coordination.k8s.io",
        "v1",
        namespaced=True,
        unconditional_update=False,
        create_on_update=True,
    ),
    ResourceType(
        "CiliumNode",
        "ciliumnodes",
        "cilium.io",
        "v2",
        namespaced=False,
        short_names=("cn", "ciliumn"),
        custom=True,
        unconditional_update=False,
    ),
    ResourceType(
        "BlockAffinity",
        "blockaffinities",
        "crd.projectcalico.org",
        "v1",
        namespaced=False,
        custom=True,
        unconditional_update=False,
    ),
    ResourceType(
        "HostSubnet",
        "hostsubnets",
        "network.openshift.io",
        "v1",
        namespaced=False,
        custom=True,
        unconditional_update=False,
    ),
    # Cilium's BGP control plane, as Cilium 1.16 and 1.17 serve it (1.18 adds cilium.io/v2).
    ResourceType(
        "CiliumBGPAdvertisement",
        "ciliumbgpadvertisements",
        "cilium.io",
        "v2alpha1",
        namespaced=False,
        short_names=("cbgpadvert",),
        custom=True,
        unconditional_update=False,
    ),
    ResourceType(
        "CiliumBGPPeeringPolicy",
        "ciliumbgppeeringpolicies",
        "cilium.io",
        "v2alpha1",
        namespaced=False,
        short_names=("bgpp",),
        custom=True,
        unconditional_update=False,
    ),
    ResourceType(
        "AviInfraSetting",
        "aviinfrasettings",
        "ako.vmware.com",
        "v1beta1",
        namespaced=False,
        custom=True,
        unconditional_update=False,
    ),
)
TYPES_BY_KIND = {rtype.kind: rtype for rtype in RESOURCE_TYPES}
TYPES_BY_PATH = {(rtype.group, rtype.version, rtype.plural): rtype for rtype in RESOURCE_TYPES}
_TYPES_BY_RESOURCE = {rtype.plural: rtype for rtype in RESOURCE_TYPES} | {
    rtype.qualified: rtype for rtype in RESOURCE_TYPES
}
CUSTOM_TYPES_BY_CRD = {rtype.qualified: rtype for rtype in RESOURCE_TYPES if rtype.custom}


def _look_up(
    table: Mapping[str, ResourceType], key: str, unknown: str, listed: str
) -> ResourceType:
    rtype = table.get(key)
    if rtype is None:
        raise ValueError(f"{unknown} {key!r}; {listed}: {', '.join(table)}")
    return rtype


def type_of_kind(kind: str) -> ResourceType:
    return _look_up(TYPES_BY_KIND, kind, "unsupported kind", "supported")


def type_of_resource(resource: str) -> ResourceType:
    """By plural (``nodes``) or qualified name (``ciliumnodes.cilium.io``), as tests name them."""
    return _look_up(_TYPES_BY_RESOURCE, resource, "unknown resource", "known")


def type_of_crd(plural_group: str) -> ResourceType:
    return _look_up(CUSTOM_TYPES_BY_CRD, plural_group, "unknown CRD", "known")


def type_of_object(obj: Mapping[str, Any]) -> ResourceType:
    rtype = type_of_kind(str(obj.get("kind")))
    api_version = obj.get("apiVersion")
    if api_version not in (None, rtype.api_version):
        raise ValueError(f"{rtype.kind} needs apiVersion {rtype.api_version}, not {api_version}")
    return rtype


def object_key(namespace: str | None, name: str) -> str:
    """The store key; sorting by it gives the apiserver's list order (namespace, then name)."""
    return f"{namespace}/{name}" if namespace else name


def name_of(obj: Mapping[str, Any]) -> str:
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{obj.get('kind')} without metadata.name")
    return name


def namespace_of(rtype: ResourceType, obj: Mapping[str, Any]) -> str | None:
    """Cluster-scoped objects lose any namespace, as on the apiserver."""
    if not rtype.namespaced:
        return None
    return str((obj.get("metadata") or {}).get("namespace") or "default")
