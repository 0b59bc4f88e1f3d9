"""AKO's Helm values.yaml as route-reconciler settings, and whether AKO still syncs the static
routes route-reconciler is to take over. Pure: the parsed file in, raw setting values out, each
with the file and key it came from.

AKO_KEYS is every key read, with what it means for route-reconciler (the README's table is
checked against it). Values are not checked here: a flag, the environment or `--config` may
override any of them, so each is checked only once it is the one used, and an error then names
this file and key. What is refused here is what no setting can override: a values file that is
not AKO's shape, and an AKO mode in which AKO needs no static routes at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import InputError, brief


@dataclass(frozen=True)
class Configured:
    """A setting's value from a file or the environment and where it came from: checked, as a
    flag's value would be, only when nothing of higher precedence overrides it."""

    value: Any
    where: str


@dataclass(frozen=True)
class AkoKey:
    """`dest` is the setting the key feeds (None: read for a refusal or a warning only);
    `convert` turns AKO's spelling into ours; `keep_empty`: AKO gives `""` a meaning of its own,
    where for other keys it means unset."""

    section: str
    key: str
    dest: str | None
    meaning: str
    convert: Callable[[Any, str], Any] | None = None
    keep_empty: bool = False

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}"


# AKO's L7Settings.serviceType values in which Avi reaches pools through node ports: no static
# route is needed, and AKO writes none (its lib.go).
NODE_PORT_SERVICE_TYPES = ("NodePort", "NodePortLocal")


def _controller_url(host: Any, _where: str) -> str:
    return str(host) if "://" in str(host) else f"https://{host}"


def _one_group(name: Any, _where: str) -> list[str]:
    return [str(name)]


def _node_network_cidrs(networks: Any, where: str) -> list[Any]:
    """`[{networkName: n, cidrs: [...]}, ...]`: every CIDR of every network, checked later."""
    if not isinstance(networks, list):
        raise InputError(f"{where}: expected a list of networks, got {brief(networks)}")
    cidrs: list[Any] = []
    for index, network in enumerate(networks):
        listed = network.get("cidrs") if isinstance(network, Mapping) else None
        if not isinstance(listed, list):
            raise InputError(f"{where}[{index}].cidrs: expected a list, got {brief(network)}")
        cidrs += listed
    return cidrs


AKO_KEYS = (
    AkoKey(
        "AKOSettings",
        "clusterName",
        "cluster_name",
        "`clusterName`: route ids and the `clustername` label derive from it",
    ),
    AkoKey(
        "AKOSettings",
        "cniPlugin",
        "cni_plugin",
        '`cniPlugin`: which IPAM is read (README "Supported CNIs"); empty, `canal` and '
        "`flannel` mean Node `spec.podCIDRs`; `ncp` is refused (NSX-T routes the pods)",
        keep_empty=True,
    ),
    AkoKey("AKOSettings", "ipFamily", "ip_family", "`ipFamily`: the address families routed"),
    AkoKey(
        "AKOSettings",
        "disableStaticRouteSync",
        None,
        "not `true`: a warning, and `apply` (and `run`'s apply stage) refuses, exit 3 unless "
        "`--allow-ako-sync`, since AKO itself still writes the routes",
    ),
    AkoKey(
        "ControllerSettings",
        "controllerHost",
        "avi_controller",
        "`aviController` (`https://` added when it has no scheme)",
        _controller_url,
    ),
    AkoKey("ControllerSettings", "cloudName", "cloud", "`cloud`: where the VRF is looked up"),
    AkoKey("ControllerSettings", "tenantName", "avi_tenant", "`aviTenant`"),
    AkoKey("ControllerSettings", "controllerVersion", "avi_version", "`aviVersion`"),
    AkoKey("ControllerSettings", "vrfName", "vrf", "`vrf`: the VRF context the routes go to"),
    AkoKey(
        "ControllerSettings",
        "serviceEngineGroupName",
        "se_group",
        "`seGroups`: `check` verifies that it carries `clustername=<cluster>`",
        _one_group,
    ),
    AkoKey(
        "NetworkSettings",
        "nodeNetworkList",
        "node_network",
        "`nodeNetworks`: every `cidrs` entry; each node's next hop is its address inside them",
        _node_network_cidrs,
    ),
    AkoKey(
        "L7Settings",
        "serviceType",
        None,
        "`NodePort` or `NodePortLocal`: refused (exit 1), since AKO then needs no static routes",
    ),
)


def from_ako_values(values: Any, source: str) -> dict[str, Configured]:
    """Raw values for the settings AKO_KEYS feed; `source` names the file in messages."""
    if not isinstance(values, Mapping):
        raise InputError(f"{source}: expected AKO's values.yaml mapping, got {brief(values)}")
    sections = {key.section: _section(values, key.section, source) for key in AKO_KEYS}
    _refuse_node_ports(sections["L7Settings"], source)
    result: dict[str, Configured] = {}
    for key in AKO_KEYS:
        value = sections[key.section].get(key.key)
        if key.dest is None or value is None or (value == "" and not key.keep_empty):
            continue
        where = f"{source}: {key.path}"
        result[key.dest] = Configured(key.convert(value, where) if key.convert else value, where)
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
    ako = values.get("AKOSettings") if isinstance(values, Mapping) else None
    ako = ako if isinstance(ako, Mapping) else {}
    return str(ako.get("disableStaticRouteSync", "false")).lower() != "true"


def _section(values: Mapping[str, Any], name: str, source: str) -> Mapping[str, Any]:
    section = values.get(name) or {}
    if not isinstance(section, Mapping):
        raise InputError(f"{source}: {name} must be a mapping, got {type(section).__name__}")
    return section


def _refuse_node_ports(l7_settings: Mapping[str, Any], source: str) -> None:
    service_type = l7_settings.get("serviceType")
    if service_type in NODE_PORT_SERVICE_TYPES:
        raise InputError(
            f"{source}: L7Settings.serviceType {service_type}: AKO needs no static routes in "
            "this mode (Avi reaches the pools through node ports, not pod addresses), so "
            "route-reconciler has nothing to do for this cluster; nothing was written"
        )
