"""AKO's Helm values.yaml as a settings source: the settings an AKO user already has, and
whether AKO still syncs the static routes route-reconciler is to take over. Pure: the values
come in parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import InputError
from reconciler.names import checked_name

# AKO's own cniPlugin values (its constants.go); ncp is accepted here and refused, with the
# reason, when the cluster is read.
AKO_CNI_PLUGINS = ("", "cilium", "calico", "antrea", "openshift", "ovn-kubernetes", "ncp")


def from_ako_values(values: Any) -> dict[str, Any]:
    """AKO's Helm values.yaml: the settings an AKO user already has."""
    if not isinstance(values, Mapping):
        raise InputError("--ako-values: expected AKO's values.yaml mapping")
    ako, controller, network = (
        _section(values, name) for name in ("AKOSettings", "ControllerSettings", "NetworkSettings")
    )
    result: dict[str, Any] = {}
    _copy(result, "cluster_name", ako.get("clusterName"), "AKOSettings.clusterName")
    plugin = ako.get("cniPlugin")
    if plugin is not None:
        plugin = str(plugin).strip().lower()
        if plugin not in AKO_CNI_PLUGINS:
            raise InputError(
                f"--ako-values: AKOSettings.cniPlugin {plugin!r} is not supported (supported: "
                f"{', '.join(p for p in AKO_CNI_PLUGINS if p)}, or empty for Node podCIDRs)"
            )
        result["cni_plugin"] = plugin or "kubernetes"
    _copy(result, "ip_family", ako.get("ipFamily"), "AKOSettings.ipFamily")
    host = controller.get("controllerHost")
    if host:
        result["avi_controller"] = host if "://" in str(host) else f"https://{host}"
    _copy(result, "cloud", controller.get("cloudName"), "ControllerSettings.cloudName")
    _copy(result, "avi_tenant", controller.get("tenantName"), "ControllerSettings.tenantName")
    _copy(
        result,
        "avi_version",
        controller.get("controllerVersion"),
        "ControllerSettings.controllerVersion",
    )
    _copy(result, "vrf", controller.get("vrfName"), "ControllerSettings.vrfName")
    if controller.get("serviceEngineGroupName"):
        result["se_group"] = [str(controller["serviceEngineGroupName"])]
    if network.get("nodeNetworkList"):
        result["node_network"] = [
            str(cidr)
            for entry in network["nodeNetworkList"]
            for cidr in (entry or {}).get("cidrs") or []
        ]
    return result


def ako_values_warnings(values: Any) -> list[str]:
    if ako_still_syncs(values):
        return [
            "AKOSettings.disableStaticRouteSync is not true: AKO will keep writing these "
            "routes itself; set it to true when route-reconciler takes over (apply refuses "
            "until then)"
        ]
    return []


def ako_still_syncs(values: Any) -> bool:
    """AKO keeps writing and deleting the cluster's static routes unless its sync is off."""
    ako = (values or {}).get("AKOSettings") or {} if isinstance(values, Mapping) else {}
    return str(ako.get("disableStaticRouteSync", "false")).lower() != "true"


def _section(values: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = values.get(name) or {}
    if not isinstance(section, Mapping):
        raise InputError(f"--ako-values: {name} must be a mapping, got {type(section).__name__}")
    return section


def _copy(result: dict[str, Any], dest: str, value: Any, field: str) -> None:
    if value not in (None, ""):
        result[dest] = checked_name(dest, str(value), f"--ako-values: {field}")
