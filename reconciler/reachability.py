"""Pure preflight findings for `check`: how a Service Engine reaches Cilium's pods.

Cilium's routing mode says what the static routes carry: in tunnel mode the nodes reach each
other's pods through an overlay a Service Engine is not part of; in native mode the network
forwards pod traffic as it is. Multi-pool IPAM works only with native routing. And when Cilium's
BGP control plane already advertises the pod CIDRs, the static routes are redundant (AKO's
advice: turn static routes off when pods are routable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import brief
from reconciler.preflight import Finding, object_name

NATIVE, TUNNEL = "native", "tunnel"
# Cilium's defaults: routing-mode tunnel with VXLAN (agent flags and Helm chart alike).
_DEFAULT_PROTOCOL = "vxlan"
# The `tunnel` key of Cilium before 1.14 (deprecated in 1.14 for `routing-mode` and
# `tunnel-protocol`, removed in 1.15): `disabled` meant native routing.
_LEGACY_TUNNEL = {"disabled": NATIVE, "vxlan": TUNNEL, "geneve": TUNNEL}
_REDUNDANT = (
    "where the Service Engines' network learns these routes, pods are routable and the static "
    "routes are redundant (AKO's advice: turn static routes off when pods are routable; "
    "`route-reconciler decommission` removes them through review)"
)
_MEANING = {
    NATIVE: "the network forwards pod traffic unencapsulated; a Service Engine reaches a pod "
    "through the static route to the node that owns its CIDR, which delivers it directly",
    TUNNEL: "nodes reach each other's pods through the {protocol} overlay, which a Service "
    "Engine is not part of: it reaches a pod only through the static route to the node that "
    "owns the pod's CIDR, so that route must name exactly that node",
}

RawObject = Mapping[str, Any]


@dataclass(frozen=True)
class RoutingMode:
    mode: str  # NATIVE or TUNNEL
    protocol: str | None  # in tunnel mode, vxlan or geneve
    evidence: str  # which cilium-config keys said so


def routing_mode(cilium_config: Mapping[str, str]) -> RoutingMode | str:
    """The datapath routing mode cilium-config sets, or a problem with the keys."""
    explicit = (cilium_config.get("routing-mode") or "").strip().lower()
    legacy = (cilium_config.get("tunnel") or "").strip().lower()
    protocol = (cilium_config.get("tunnel-protocol") or "").strip().lower() or _DEFAULT_PROTOCOL
    if explicit:
        if explicit not in (NATIVE, TUNNEL):
            return f"cilium-config routing-mode {brief(explicit)} is neither native nor tunnel"
        return RoutingMode(
            explicit, protocol if explicit == TUNNEL else None, f"routing-mode: {explicit}"
        )
    if legacy:
        if legacy not in _LEGACY_TUNNEL:
            return f"cilium-config tunnel {brief(legacy)} is none of disabled, vxlan, geneve"
        mode = _LEGACY_TUNNEL[legacy]
        return RoutingMode(
            mode, legacy if mode == TUNNEL else None, f"tunnel: {legacy} (before routing-mode)"
        )
    return RoutingMode(TUNNEL, protocol, "routing-mode unset: Cilium's default")


def routing_findings(cilium_config: Mapping[str, str] | None, ipam_mode: str) -> list[Finding]:
    """One line on the routing mode and what it means for Service Engine to pod traffic; a
    failure for multi-pool IPAM in tunnel mode, which Cilium does not support."""
    if cilium_config is None:
        return []
    found = routing_mode(cilium_config)
    if isinstance(found, str):
        return [Finding("fail", f"Cilium routing: {found}")]
    meaning = _MEANING[found.mode].format(protocol=found.protocol)
    shown = found.mode + (f" ({found.protocol})" if found.protocol else "")
    findings = [Finding("ok", f"Cilium routing: {shown}, from {found.evidence}: {meaning}")]
    legacy = (cilium_config.get("tunnel") or "").strip().lower()
    if "routing-mode" in cilium_config and _LEGACY_TUNNEL.get(legacy, found.mode) != found.mode:
        findings.append(
            Finding(
                "warn",
                f"Cilium routing: cilium-config also has tunnel: {legacy} (deprecated in "
                f"Cilium 1.14, removed in 1.15), which disagrees with routing-mode; remove it",
            )
        )
    if ipam_mode == "cilium-multi-pool" and found.mode == TUNNEL:
        findings.append(
            Finding(
                "fail",
                f"Cilium routing: ipam multi-pool with routing-mode {TUNNEL}: Cilium supports "
                "multi-pool IPAM only with native routing (its IPAM feature table marks tunnel "
                "routing unsupported); set routing-mode: native (Helm routingMode=native)",
            )
        )
    return findings


def bgp_findings(
    advertisements: Sequence[RawObject] | None, peering_policies: Sequence[RawObject] | None
) -> list[Finding]:
    """`None`: the resource is not served. BGP control plane v2 advertises pod CIDRs with a
    CiliumBGPAdvertisement of `advertisementType: PodCIDR`; v1 with a CiliumBGPPeeringPolicy
    virtual router of `exportPodCIDR: true`."""
    if advertisements is None and peering_policies is None:
        return [Finding("ok", "Cilium BGP: the BGP control plane's resources are not served")]
    findings = [
        Finding(
            "warn",
            f"Cilium BGP: CiliumBGPAdvertisement {name} advertises pod CIDRs "
            f"(spec.advertisements[{index}].advertisementType: PodCIDR) to the peers of every "
            f"CiliumBGPPeerConfig that selects it; {_REDUNDANT}",
        )
        for name, index in _pod_cidr_advertisements(advertisements or ())
    ]
    findings += [
        Finding(
            "warn",
            f"Cilium BGP: CiliumBGPPeeringPolicy {name} exports pod CIDRs "
            f"(spec.virtualRouters[{index}].exportPodCIDR: true, localASN {asn}) to its "
            f"neighbors; {_REDUNDANT}",
        )
        for name, index, asn in _exporting_routers(peering_policies or ())
    ]
    if not findings:
        listed = len(advertisements or ()) + len(peering_policies or ())
        findings.append(
            Finding("ok", f"Cilium BGP: none of {listed} BGP resource(s) advertises pod CIDRs")
        )
    return findings


def _pod_cidr_advertisements(objects: Sequence[RawObject]) -> list[tuple[str, int]]:
    return [
        (object_name(obj), index)
        for obj in objects
        for index, entry in enumerate(_list_at(obj, "advertisements"))
        if isinstance(entry, Mapping) and entry.get("advertisementType") == "PodCIDR"
    ]


def _exporting_routers(objects: Sequence[RawObject]) -> list[tuple[str, int, str]]:
    return [
        (object_name(obj), index, brief(entry.get("localASN")))
        for obj in objects
        for index, entry in enumerate(_list_at(obj, "virtualRouters"))
        if isinstance(entry, Mapping) and entry.get("exportPodCIDR") is True
    ]


def _list_at(obj: RawObject, key: str) -> list[Any]:
    spec = obj.get("spec")
    found = spec.get(key) if isinstance(spec, Mapping) else None
    return found if isinstance(found, list) else []
