"""Choosing the IPAM mode from the user's setting, the `cilium-config` ConfigMap and, when that is
absent, the other CNIs' own traces (their CRDs being served, their Node annotations).

AKO makes the operator pick by hand and a wrong pick silently yields wrong routes; here `auto`
reads Cilium's own configuration, an explicit choice that contradicts it is refused, and `auto`
never guesses between two CNIs whose traces it finds: it asks for `--cni-plugin`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import InputError
from reconciler.ipam.model import (
    ANTREA_TRANSPORT_ANNOTATION,
    CALICO_CRD,
    OPENSHIFT_CRD,
    OVN_SUBNETS_ANNOTATION,
    IpamMode,
)

# AKO's cniPlugin names (its `constants.go`), plus `auto` and `kubernetes` (AKO's empty value).
CNI_PLUGIN_CHOICES = (
    "auto",
    "cilium",
    "kubernetes",
    "",
    "calico",
    "openshift",
    "ovn-kubernetes",
    "antrea",
    "ncp",
)

# Explicit choices that read another CNI's objects; cilium-config plays no part in them.
OTHER_CNI_MODES = {
    "calico": IpamMode.CALICO_BLOCK_AFFINITY,
    "openshift": IpamMode.OPENSHIFT_HOST_SUBNET,
    "ovn-kubernetes": IpamMode.OVN_KUBERNETES_ANNOTATION,
    "antrea": IpamMode.ANTREA_NODE,
}
_PLUGIN_OF_MODE = {mode: plugin for plugin, mode in OTHER_CNI_MODES.items()}

CILIUM_MODES = (IpamMode.CILIUM_CLUSTER_POOL, IpamMode.CILIUM_MULTI_POOL)

_NCP = (
    "--cni-plugin ncp: with NSX-T and NCP, pods sit on NSX-T segments routed by NSX-T itself, "
    "so Avi needs no static routes to reach them (AKO writes none either); there is nothing for "
    "route-reconciler to do in this cluster"
)

# Modes where pods get cloud-routable or per-IP addresses, or IPAM is someone else's: no per-node
# CIDR exists to route to.
_UNROUTABLE_CILIUM_MODES = {
    "eni": "pods get VPC addresses from AWS ENIs",
    "azure": "pods get VNet addresses from Azure",
    "alibabacloud": "pods get VPC addresses from Alibaba Cloud ENIs",
    "crd": "addresses are managed per IP by an external operator",
    "delegated-plugin": "IPAM is delegated to another CNI plugin",
}


@dataclass(frozen=True)
class ModeDecision:
    mode: IpamMode
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class CniEvidence:
    """What `auto` saw of the other CNIs, looked at only when cilium-config is absent.

    `served_crds`: which of CALICO_CRD and OPENSHIFT_CRD the API serves (a CRD is evidence even
    with no objects yet: a fresh Calico cluster has no blocks, and reading Node podCIDRs there
    would give routes Calico does not use). The counts: Nodes carrying the annotation.
    """

    served_crds: tuple[str, ...] = ()
    nodes: int = 0
    ovn_annotated: int = 0
    antrea_annotated: int = 0


def normalize_plugin(cni_plugin: str) -> str:
    """The plugin name as AKO reads it (lower case, trimmed); unknown names and `ncp` refused."""
    requested = cni_plugin.strip().lower()
    if requested not in CNI_PLUGIN_CHOICES:
        choices = ", ".join(choice for choice in CNI_PLUGIN_CHOICES if choice)
        raise InputError(f"--cni-plugin {cni_plugin!r} is not supported: choose {choices}")
    if requested == "ncp":
        raise InputError(_NCP)
    return requested


def cilium_ipam_mode(cilium_config: Mapping[str, str]) -> str:
    """Cilium's own default is cluster-pool, so an absent or empty key means that."""
    return (cilium_config.get("ipam") or "cluster-pool").strip()


def decide_mode(
    cni_plugin: str,
    cilium_config: Mapping[str, str] | None,
    config_name: str,
    evidence: CniEvidence | None = None,
) -> ModeDecision:
    requested = normalize_plugin(cni_plugin)
    if requested in OTHER_CNI_MODES:
        return ModeDecision(OTHER_CNI_MODES[requested], (f"--cni-plugin {requested} (explicit)",))
    cilium_mode = None if cilium_config is None else cilium_ipam_mode(cilium_config)
    if requested == "auto":
        if cilium_config is None:
            return _detect_other_cni(evidence or CniEvidence(), config_name)
        _refuse_chaining(cilium_config, config_name)
        return _detect(cilium_mode, config_name)
    detected = _detect(cilium_mode, config_name)
    if requested == "cilium":
        chosen = detected.mode if detected.mode in CILIUM_MODES else IpamMode.CILIUM_CLUSTER_POOL
    else:
        chosen = IpamMode.KUBERNETES_HOST_SCOPE
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
    if cilium_mode == "multi-pool":
        return ModeDecision(IpamMode.CILIUM_MULTI_POOL, (evidence,))
    if cilium_mode == "kubernetes":
        return ModeDecision(IpamMode.KUBERNETES_HOST_SCOPE, (evidence,))
    reason = _UNROUTABLE_CILIUM_MODES.get(cilium_mode, "this IPAM mode is unknown")
    raise InputError(
        f"ConfigMap {config_name} field data.ipam: Cilium IPAM mode {cilium_mode!r} is not "
        f"supported ({reason}); static routes are only computed for cluster-pool, multi-pool "
        "and kubernetes"
    )


def _refuse_chaining(cilium_config: Mapping[str, str], config_name: str) -> None:
    """Chained on another CNI, Cilium's ipam key (cluster-pool by default) is not what allocates
    pod addresses: guessing from it would route ranges no pod uses."""
    chaining = (cilium_config.get("cni-chaining-mode") or "").strip()
    if chaining and chaining != "none":
        raise InputError(
            f"ConfigMap {config_name} cni-chaining-mode: {chaining}: Cilium runs chained on "
            "another CNI, which allocates the pod addresses; set --cni-plugin to that CNI "
            "(calico, antrea, kubernetes, ...)"
        )


def _detect_other_cni(evidence: CniEvidence, config_name: str) -> ModeDecision:
    not_found = f"ConfigMap {config_name} not found"
    found: list[tuple[IpamMode, str]] = []
    if CALICO_CRD in evidence.served_crds:
        found.append((IpamMode.CALICO_BLOCK_AFFINITY, f"CRD {CALICO_CRD} is served (Calico)"))
    if OPENSHIFT_CRD in evidence.served_crds:
        found.append(
            (IpamMode.OPENSHIFT_HOST_SUBNET, f"CRD {OPENSHIFT_CRD} is served (OpenShift SDN)")
        )
    for mode, count, annotation, cni in (
        (
            IpamMode.OVN_KUBERNETES_ANNOTATION,
            evidence.ovn_annotated,
            OVN_SUBNETS_ANNOTATION,
            "OVN-Kubernetes",
        ),
        (IpamMode.ANTREA_NODE, evidence.antrea_annotated, ANTREA_TRANSPORT_ANNOTATION, "Antrea"),
    ):
        if count:
            found.append(
                (mode, f"{count} of {evidence.nodes} Node(s) carry annotation {annotation} ({cni})")
            )
    if not found:
        return ModeDecision(
            IpamMode.KUBERNETES_HOST_SCOPE,
            (
                f"{not_found}, no {CALICO_CRD} or {OPENSHIFT_CRD} CRD served, no Node annotated "
                f"{OVN_SUBNETS_ANNOTATION} or {ANTREA_TRANSPORT_ANNOTATION}: reading Node "
                "spec.podCIDRs",
            ),
        )
    if len(found) == 1:
        mode, trace = found[0]
        return ModeDecision(mode, (not_found, trace))
    plugins = " or ".join(_PLUGIN_OF_MODE[mode] for mode, _ in found)
    raise InputError(
        "--cni-plugin auto found traces of more than one CNI and will not guess between them: "
        + "; ".join(f"{_PLUGIN_OF_MODE[mode]}: {trace}" for mode, trace in found)
        + f"; set --cni-plugin ({plugins}) to the CNI that allocates the pod addresses"
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
