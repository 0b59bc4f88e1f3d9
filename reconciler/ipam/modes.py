"""Choosing the IPAM mode from the user's setting, the `cilium-config` ConfigMap and, when that is
absent, the other CNIs' own traces (their CRDs being served, their Node annotations).

AKO makes the operator pick by hand and a wrong pick silently yields wrong routes; here `auto`
reads Cilium's own configuration, an explicit choice that contradicts it is refused, and `auto`
never guesses between two CNIs whose traces it finds: it asks for `--cni-plugin`. Which plugin
means which mode, and what counts as a trace, is the registry's table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.errors import InputError
from reconciler.ipam.model import IpamMode
from reconciler.ipam.registry import (
    ANNOTATIONS,
    CNIS,
    FALLBACK,
    PLUGINS,
    REFUSED_PLUGINS,
    SERVED_CRDS,
    AnnotatedNodes,
    Cni,
)

# AKO's cniPlugin names (its `constants.go`), plus `auto` and `kubernetes` (AKO's empty value).
CNI_PLUGIN_CHOICES = ("auto", *PLUGINS, *REFUSED_PLUGINS)

# Cilium's own default, for a cilium-config without the `ipam` key.
_CILIUM_DEFAULT_IPAM = "cluster-pool"

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
    """`by_cilium`: cilium-config chose the mode, so Cilium allocates the pod addresses."""

    mode: IpamMode
    evidence: tuple[str, ...]
    by_cilium: bool = False


@dataclass(frozen=True)
class CniEvidence:
    """What `auto` saw of the other CNIs, looked at only when cilium-config is absent.

    `served_crds`: which of the registry's trace CRDs the API serves. `annotated`: for each trace
    annotation, how many of the `nodes` Nodes carry it.
    """

    served_crds: tuple[str, ...] = ()
    nodes: int = 0
    annotated: Mapping[str, int] = field(default_factory=dict)


def normalize_plugin(cni_plugin: str) -> str:
    """The plugin name as AKO reads it (lower case, trimmed); unknown and refused names raise."""
    requested = cni_plugin.strip().lower()
    if requested not in CNI_PLUGIN_CHOICES:
        choices = ", ".join(choice for choice in CNI_PLUGIN_CHOICES if choice)
        raise InputError(f"--cni-plugin {cni_plugin!r} is not supported: choose {choices}")
    if requested in REFUSED_PLUGINS:
        raise InputError(f"--cni-plugin {requested}: {REFUSED_PLUGINS[requested]}")
    return requested


def reads_cilium_config(plugin: str) -> bool:
    """`auto`, and the plugins whose mode cilium-config decides; a CNI named explicitly is taken
    as named, so a leftover cilium-config neither decides nor contradicts it."""
    return plugin == "auto" or any(cni.cilium_ipam and plugin in cni.plugins for cni in CNIS)


def cilium_ipam_mode(cilium_config: Mapping[str, str]) -> str:
    """Cilium's own default is cluster-pool, so an absent or empty key means that."""
    return (cilium_config.get("ipam") or _CILIUM_DEFAULT_IPAM).strip()


def decide_mode(
    cni_plugin: str,
    cilium_config: Mapping[str, str] | None,
    config_name: str,
    evidence: CniEvidence | None = None,
) -> ModeDecision:
    requested = normalize_plugin(cni_plugin)
    if not reads_cilium_config(requested):
        return ModeDecision(_rows_of(requested)[0].mode, (f"--cni-plugin {requested} (explicit)",))
    cilium_mode = None if cilium_config is None else cilium_ipam_mode(cilium_config)
    if requested == "auto":
        if cilium_config is None:
            return _detect_other_cni(evidence or CniEvidence(), config_name)
        _refuse_chaining(cilium_config, config_name)
        return _detect(cilium_mode, config_name)
    detected = _detect(cilium_mode, config_name)
    candidates = [cni.mode for cni in _rows_of(requested)]
    chosen = detected.mode if detected.mode in candidates else candidates[0]
    shown = requested or FALLBACK.plugins[0]  # AKO's empty cniPlugin
    if cilium_mode is not None and chosen != detected.mode:
        raise InputError(_contradiction(shown, chosen, cilium_mode, config_name))
    shown_evidence = (f"--cni-plugin {shown} (explicit)", *detected.evidence)
    return ModeDecision(chosen, shown_evidence, detected.by_cilium)


def _rows_of(plugin: str) -> list[Cni]:
    return [cni for cni in CNIS if plugin in cni.plugins or plugin in cni.aliases]


def _detect(cilium_mode: str | None, config_name: str) -> ModeDecision:
    if cilium_mode is None:
        return ModeDecision(
            FALLBACK.mode, (f"ConfigMap {config_name} not found: reading Node spec.podCIDRs",)
        )
    evidence = f"ConfigMap {config_name} ipam: {cilium_mode}"
    for cni in CNIS:
        if cilium_mode in cni.cilium_ipam:
            return ModeDecision(cni.mode, (evidence,), by_cilium=True)
    reason = _UNROUTABLE_CILIUM_MODES.get(cilium_mode, "this IPAM mode is unknown")
    *others, last = [cni.cilium_ipam[0] for cni in CNIS if cni.cilium_ipam]
    raise InputError(
        f"ConfigMap {config_name} field data.ipam: Cilium IPAM mode {cilium_mode!r} is not "
        f"supported ({reason}); static routes are only computed for {', '.join(others)} "
        f"and {last}"
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
    found = [(cni, trace) for cni in CNIS if (trace := _trace(cni, evidence))]
    if not found:
        return ModeDecision(
            FALLBACK.mode,
            (
                f"{not_found}, no {' or '.join(SERVED_CRDS)} CRD served, no Node annotated "
                f"{' or '.join(ANNOTATIONS)}: reading Node spec.podCIDRs",
            ),
        )
    if len(found) == 1:
        cni, trace = found[0]
        return ModeDecision(cni.mode, (not_found, trace))
    plugins = " or ".join(cni.plugins[0] for cni, _ in found)
    raise InputError(
        "--cni-plugin auto found traces of more than one CNI and will not guess between them: "
        + "; ".join(f"{cni.plugins[0]}: {trace}" for cni, trace in found)
        + f"; set --cni-plugin ({plugins}) to the CNI that allocates the pod addresses"
    )


def _trace(cni: Cni, evidence: CniEvidence) -> str | None:
    """What `auto` saw of this CNI, as the evidence line says it, or None."""
    if cni.trace is None:
        return None
    if isinstance(cni.trace, AnnotatedNodes):
        count = evidence.annotated.get(cni.trace.annotation, 0)
        if not count:
            return None
        return (
            f"{count} of {evidence.nodes} Node(s) carry annotation {cni.trace.annotation} "
            f"({cni.trace.cni})"
        )
    crd = cni.trace.resource.name
    return f"CRD {crd} is served ({cni.trace.cni})" if crd in evidence.served_crds else None


def _contradiction(shown: str, chosen: IpamMode, cilium_mode: str, config_name: str) -> str:
    if chosen is FALLBACK.mode:
        return (
            f"--cni-plugin {shown} contradicts ConfigMap {config_name} ipam: {cilium_mode}: "
            "Node spec.podCIDRs are not the ranges Cilium allocates pods from, so the routes "
            "would be wrong; use --cni-plugin cilium or auto"
        )
    return (
        f"--cni-plugin {shown} contradicts ConfigMap {config_name} ipam: {cilium_mode}: Cilium "
        "allocates pods from Node spec.podCIDRs here, so CiliumNode ranges are not authoritative; "
        "use --cni-plugin kubernetes or auto"
    )
