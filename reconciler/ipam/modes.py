"""Choosing the IPAM mode from the user's setting and the `cilium-config` ConfigMap.

AKO makes the operator pick by hand and a wrong pick silently yields wrong routes; here `auto`
reads Cilium's own configuration, and an explicit choice that contradicts it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import InputError
from reconciler.ipam.model import IpamMode

CNI_PLUGIN_CHOICES = ("auto", "cilium", "kubernetes", "")

# Modes where pods get cloud-routable or per-IP addresses, or IPAM is someone else's: no per-node
# CIDR exists to route to.
_UNROUTABLE_CILIUM_MODES = {
    "eni": "pods get VPC addresses from AWS ENIs",
    "azure": "pods get VNet addresses from Azure",
    "alibabacloud": "pods get VPC addresses from Alibaba Cloud ENIs",
    "crd": "addresses are managed per IP by an external operator",
    "delegated-plugin": "IPAM is delegated to another CNI plugin",
    "multi-pool": "pods draw from several pools (spec.ipam.pools), not routed by this version",
}


@dataclass(frozen=True)
class ModeDecision:
    mode: IpamMode
    evidence: tuple[str, ...]


def cilium_ipam_mode(cilium_config: Mapping[str, str]) -> str:
    """Cilium's own default is cluster-pool, so an absent or empty key means that."""
    return (cilium_config.get("ipam") or "cluster-pool").strip()


def decide_mode(
    cni_plugin: str, cilium_config: Mapping[str, str] | None, config_name: str
) -> ModeDecision:
    requested = cni_plugin.strip().lower()
    if requested not in CNI_PLUGIN_CHOICES:
        raise InputError(
            f"--cni-plugin {cni_plugin!r} is not supported: choose auto, cilium or kubernetes"
        )
    cilium_mode = None if cilium_config is None else cilium_ipam_mode(cilium_config)
    detected = _detect(cilium_mode, config_name)
    if requested == "auto":
        return detected
    chosen = (
        IpamMode.CILIUM_CLUSTER_POOL if requested == "cilium" else IpamMode.KUBERNETES_HOST_SCOPE
    )
    if cilium_mode is not None and chosen != detected.mode:
        raise InputError(_contradiction(requested or "kubernetes", cilium_mode, config_name))
    return ModeDecision(
        chosen, (f"--cni-plugin {requested or 'kubernetes'} (explicit)", *detected.evidence)
    )


def _detect(cilium_mode: str | None, config_name: str) -> ModeDecision:
    if cilium_mode is None:
        return ModeDecision(
            IpamMode.KUBERNETES_HOST_SCOPE,
            (f"ConfigMap {config_name} not found: reading Node spec.podCIDRs",),
        )
    evidence = f"ConfigMap {config_name} ipam: {cilium_mode}"
    if cilium_mode in ("cluster-pool", "cluster-pool-v2beta"):
        return ModeDecision(IpamMode.CILIUM_CLUSTER_POOL, (evidence,))
    if cilium_mode == "kubernetes":
        return ModeDecision(IpamMode.KUBERNETES_HOST_SCOPE, (evidence,))
    reason = _UNROUTABLE_CILIUM_MODES.get(cilium_mode, "this IPAM mode is unknown")
    raise InputError(
        f"ConfigMap {config_name} field data.ipam: Cilium IPAM mode {cilium_mode!r} is not "
        f"supported ({reason}); static routes are only computed for cluster-pool and kubernetes"
    )


def _contradiction(requested: str, cilium_mode: str, config_name: str) -> str:
    if requested == "kubernetes":
        return (
            f"--cni-plugin kubernetes contradicts ConfigMap {config_name} ipam: {cilium_mode}: "
            "Node spec.podCIDRs are not the ranges Cilium allocates pods from, so the routes "
            "would be wrong; use --cni-plugin cilium or auto"
        )
    return (
        f"--cni-plugin cilium contradicts ConfigMap {config_name} ipam: {cilium_mode}: Cilium "
        "allocates pods from Node spec.podCIDRs here, so CiliumNode ranges are not authoritative; "
        "use --cni-plugin kubernetes or auto"
    )
