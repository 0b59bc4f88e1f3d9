"""The one interface both cluster sources implement: fetch raw objects, interpret nothing."""

from __future__ import annotations

from typing import Any, Protocol

RawObject = dict[str, Any]


class ClusterSource(Protocol):
    description: str

    def cilium_config(self, namespace: str) -> dict[str, str] | None:
        """`data` of ConfigMap `<namespace>/cilium-config`, or None when it does not exist."""

    def nodes(self) -> list[RawObject]: ...

    def cilium_nodes(self) -> list[RawObject]: ...

    def services(self) -> list[RawObject]: ...
