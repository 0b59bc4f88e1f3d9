"""Pure preflight findings for `check`: SCTP readiness of a Cilium cluster, the SE groups'
labels (those of `--se-group` and those AviInfraSettings name), AKO still syncing.

Cilium passes SCTP only with `enable-sctp: "true"`, and with it on, an agent on a kernel older
than 5.2 exits at start. Both are found here before a user meets the crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.errors import brief

SCTP_MIN_KERNEL = (5, 2)
CILIUM_SCTP_FATAL = (
    'level=fatal msg="failed to start: daemon creation failed: SCTP support needs kernel 5.2 '
    'or newer" subsys=daemon'
)
_KERNEL_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    status: Status
    message: str


def kernel_version(text: str) -> tuple[int, int] | None:
    """major.minor of `uname -r` strings such as `4.18.0-477.27.1.el8_8.x86_64`."""
    match = _KERNEL_VERSION.match(text or "")
    return (int(match[1]), int(match[2])) if match else None


def sctp_ports(services: Sequence[Mapping[str, Any]]) -> list[str]:
    found = []
    for service in services:
        metadata = service.get("metadata") or {}
        for port in (service.get("spec") or {}).get("ports") or []:
            if isinstance(port, Mapping) and port.get("protocol") == "SCTP":
                service_name = f"{metadata.get('namespace', 'default')}/{metadata.get('name')}"
                found.append(f"{service_name} port {port.get('port')}")
    return found


def sctp_findings(
    cilium_config: Mapping[str, str] | None,
    services: Sequence[Mapping[str, Any]],
    nodes: Sequence[Mapping[str, Any]],
    expect_sctp: bool,
) -> list[Finding]:
    ports = sctp_ports(services)
    wanted = expect_sctp or bool(ports)
    reason = f"Services declare SCTP ports ({', '.join(ports[:5])})" if ports else "--expect-sctp"
    if cilium_config is None:
        if wanted:
            return [
                Finding(
                    "warn",
                    f"SCTP: {reason}, but Cilium is not in use (no cilium-config read); "
                    "the Cilium SCTP preflight does not apply",
                )
            ]
        return [Finding("ok", "SCTP: no Service declares an SCTP port")]
    enabled = cilium_config.get("enable-sctp", "false").strip().lower() == "true"
    findings: list[Finding] = []
    if wanted and not enabled:
        findings.append(
            Finding(
                "fail",
                f'SCTP: {reason}, but cilium-config enable-sctp is not "true": '
                "Cilium drops SCTP traffic (set Helm sctp.enabled=true)",
            )
        )
    if enabled:
        findings.extend(_kernel_findings(nodes))
    if not findings:
        findings.append(
            Finding("ok", "SCTP: no Service declares an SCTP port and enable-sctp is off")
        )
    return findings


def _kernel_findings(nodes: Sequence[Mapping[str, Any]]) -> list[Finding]:
    findings: list[Finding] = []
    for node in nodes:
        name = (node.get("metadata") or {}).get("name")
        text = ((node.get("status") or {}).get("nodeInfo") or {}).get("kernelVersion") or ""
        version = kernel_version(text)
        if version is None:
            findings.append(
                Finding(
                    "fail",
                    f"SCTP: node {name}: status.nodeInfo.kernelVersion "
                    f"{text[:80]!r} cannot be read as major.minor",
                )
            )
        elif version < SCTP_MIN_KERNEL:
            findings.append(
                Finding(
                    "fail",
                    f"SCTP: node {name}: kernel {text} is older than 5.2; with "
                    f"enable-sctp its Cilium agent exits with: {CILIUM_SCTP_FATAL}",
                )
            )
    if not findings:
        findings.append(
            Finding(
                "ok", f"SCTP: enable-sctp is on and all {len(nodes)} node kernels are 5.2 or newer"
            )
        )
    return findings


AKO_RECENT_SECONDS = 30 * 60
_AKO_ROUTE_ID = (
    r"^{cluster}-(?:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}-)?\d+$"
)


def se_group_findings(
    cluster: str, se_groups: Sequence[Mapping[str, Any]], named_by: Mapping[str, str] | None = None
) -> list[Finding]:
    """Labelled routes reach only SEs of a group with the same label, and AKO stops managing
    that label once its own route sync is off, so it must be checked here. `named_by` says,
    per group, what names it (`--se-group`, an AviInfraSetting)."""
    findings = []
    wanted = [{"key": "clustername", "value": cluster}]
    for group in se_groups:
        labels = group.get("labels") or []
        name = str(group.get("name"))
        origin = f" ({named_by[name]})" if named_by and name in named_by else ""
        if labels == wanted:
            findings.append(
                Finding("ok", f"SE group {name}{origin}: labelled clustername={cluster}")
            )
        else:
            shown = (
                ", ".join(f"{label.get('key')}={label.get('value')}" for label in labels) or "none"
            )
            findings.append(
                Finding(
                    "fail",
                    f"SE group {name}{origin}: labels are {shown}, not clustername="
                    f"{cluster}; Service Engines of this group ignore our routes. Label the "
                    "group, then restart or scale out the Service Engines already running in "
                    "it: they do not pick up a label change (AKO's AviInfraSetting docs)",
                )
            )
    return findings


def object_name(obj: Mapping[str, Any]) -> str:
    """`metadata.name` of an object read for a finding, shown safely whatever it holds."""
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    readable = isinstance(name, str) and name.isprintable() and 0 < len(name) <= 253
    return str(name) if readable else brief(name)


def infra_setting_se_groups(
    infra_settings: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, list[str]], list[Finding]]:
    """The SE groups AviInfraSettings name (`spec.seGroup.name`), each with the settings naming
    it; a setting whose field is unreadable is a warning of its own."""
    groups: dict[str, list[str]] = {}
    problems = []
    for setting in infra_settings:
        shown = object_name(setting)
        spec = setting.get("spec")
        se_group = spec.get("seGroup") if isinstance(spec, Mapping) else None
        if se_group is None:
            continue  # the setting leaves the SE group to AKO's serviceEngineGroupName
        group = se_group.get("name") if isinstance(se_group, Mapping) else None
        if not isinstance(group, str) or not group.strip() or not group.isprintable():
            problems.append(
                Finding(
                    "warn",
                    f"AviInfraSetting {shown}: spec.seGroup.name {brief(group)} is not an SE "
                    "group name; its SE group is not checked",
                )
            )
            continue
        groups.setdefault(group.strip(), []).append(shown)
    return groups, problems


def ako_sync_findings(cluster: str, vrf: Mapping[str, Any], now_seconds: float) -> list[Finding]:
    """AKO's own route sync still on would fight over the same routes."""
    pattern = re.compile(_AKO_ROUTE_ID.format(cluster=re.escape(cluster)))
    ako_routes = [
        route
        for route in vrf.get("static_routes") or []
        if route.get("labels") == [{"key": "clustername", "value": cluster}]
        and pattern.match(str(route.get("route_id", "")))
    ]
    if not ako_routes:
        return [Finding("ok", f"VRF {vrf.get('name')}: no AKO-format routes of cluster {cluster}")]
    modified = int(str(vrf.get("_last_modified") or "0")) / 1e6
    if now_seconds - modified < AKO_RECENT_SECONDS:
        return [
            Finding(
                "warn",
                f"VRF {vrf.get('name')}: {len(ako_routes)} AKO-format routes of cluster "
                f"{cluster} and a write {int(now_seconds - modified)} s ago: AKO may still "
                "sync routes; set disableStaticRouteSync: true before applying",
            )
        ]
    return [
        Finding(
            "ok",
            f"VRF {vrf.get('name')}: {len(ako_routes)} AKO-format routes of cluster {cluster} "
            "will be adopted; the VRF was not written recently",
        )
    ]
