"""The one interface both cluster sources implement: fetch raw objects, interpret nothing."""

from __future__ import annotations

from typing import Any, Protocol

from reconciler.ipam.model import CustomResource
from reconciler.ipam.registry import CUSTOM_RESOURCES

__all__ = ["CUSTOM_RESOURCES", "ClusterSource", "CustomResource", "RawObject"]

RawObject = dict[str, Any]


class ClusterSource(Protocol):
    description: str

    def cilium_config(self, namespace: str) -> dict[str, str] | None:
        """`data` of ConfigMap `<namespace>/cilium-config`, or None when it does not exist."""

    def crd_served(self, crd: str) -> bool:
        """Whether the API serves the custom resource named `crd` (a CUSTOM_RESOURCES key);
        for auto-detection, so it must need no RBAC and read no objects."""

    def serves(self, resource: CustomResource) -> bool:
        """Whether the API serves `resource` in its version; needs no RBAC, reads no objects."""

    def nodes(self) -> list[RawObject]: ...

    def custom_objects(self, resource: CustomResource) -> list[RawObject]:
        """Every object of a custom resource (a CNI's, or one `check` reads); a resource the
        cluster does not serve is an InputError naming it and its `absent_hint`."""

    def services(self) -> list[RawObject]: ...
