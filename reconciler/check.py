"""`check` orchestration: read the cluster as render would, then the preflight findings.

SCTP readiness, Cilium's routing mode and BGP control plane, and the SE groups AviInfraSettings
name, always; with a controller configured also Avi: the VRF, the labels of every SE group
named (by `--se-group` or an AviInfraSetting) and AKO's recent route writes. A custom resource
is listed only when discovery says it is served, so a cluster without it needs no RBAC for it.
A failed read is a finding, not a stop, so the other findings are still reported.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.addresses import IPNetwork
from reconciler.checked_resources import (
    AVI_INFRA_SETTINGS,
    CILIUM_BGP_ADVERTISEMENTS,
    CILIUM_BGP_PEERING_POLICIES,
)
from reconciler.errors import ReconcilerError
from reconciler.ipam.model import CustomResource
from reconciler.ipam.read import ClusterRead, read_cluster
from reconciler.ipam.source import ClusterSource, RawObject
from reconciler.preflight import (
    Finding,
    ako_sync_findings,
    infra_setting_se_groups,
    sctp_findings,
    se_group_findings,
)
from reconciler.reachability import bgp_findings, routing_findings
from reconciler.routes import IpFamily, RouteComputation, compute_routes

if TYPE_CHECKING:  # a check without a controller loads no HTTP stack
    from reconciler.target import AviFactory


@dataclass(frozen=True)
class CheckSettings:
    cluster: str
    cni_plugin: str = "auto"
    ip_family: IpFamily = IpFamily.V4_V6
    cilium_namespace: str = "kube-system"
    expect_sctp: bool = False
    vrf: str = "global"
    cloud: str = "Default-Cloud"
    se_groups: tuple[str, ...] = ("Default-Group",)
    read_avi: bool = False
    node_networks: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    source: str
    cluster: ClusterRead
    computation: RouteComputation
    findings: list[Finding]

    @property
    def failed(self) -> bool:
        computation = self.computation
        return bool(computation.errors or computation.conflicts) or any(
            finding.status == "fail" for finding in self.findings
        )


def run_check(source: ClusterSource, avi: AviFactory, settings: CheckSettings) -> CheckResult:
    cluster = read_cluster(source, settings.cni_plugin, settings.cilium_namespace)
    computation = compute_routes(
        cluster.ipam, settings.cluster, settings.ip_family, node_networks=settings.node_networks
    )
    findings = sctp_findings(
        cluster.cilium_config, source.services(), cluster.nodes, settings.expect_sctp
    )
    findings += routing_findings(cluster.cilium_config, str(cluster.ipam.mode))
    findings += _bgp_findings(source)
    named_by = {name: "--se-group" for name in settings.se_groups}
    groups, problems = _infra_setting_groups(source)
    findings += problems
    for group, infra_settings in groups.items():
        named_by[group] = "AviInfraSetting " + ", ".join(infra_settings)
    if settings.read_avi:
        findings += _avi_findings(avi, settings, named_by)
    elif groups:
        findings.append(
            Finding(
                "warn",
                f"SE groups named by AviInfraSettings ({', '.join(groups)}): labels not checked, "
                "no Avi controller configured",
            )
        )
    return CheckResult(source.description, cluster, computation, findings)


def _bgp_findings(source: ClusterSource) -> list[Finding]:
    try:
        advertisements = _served_objects(source, CILIUM_BGP_ADVERTISEMENTS)
        peering_policies = _served_objects(source, CILIUM_BGP_PEERING_POLICIES)
    except ReconcilerError as error:
        return [Finding("warn", f"Cilium BGP: {error}")]
    return bgp_findings(advertisements, peering_policies)


def _infra_setting_groups(source: ClusterSource) -> tuple[dict[str, list[str]], list[Finding]]:
    try:
        infra_settings = _served_objects(source, AVI_INFRA_SETTINGS) or []
    except ReconcilerError as error:
        return {}, [Finding("warn", f"AviInfraSettings: {error}")]
    return infra_setting_se_groups(infra_settings)


def _served_objects(
    source: ClusterSource, versions: Sequence[CustomResource]
) -> list[RawObject] | None:
    """The objects in the first version the API serves; None when it serves none."""
    served = next((resource for resource in versions if source.serves(resource)), None)
    return None if served is None else source.custom_objects(served)


def _avi_findings(
    avi: AviFactory, settings: CheckSettings, named_by: Mapping[str, str]
) -> list[Finding]:
    try:
        with avi() as client:
            vrf = client.find_vrf(settings.vrf, settings.cloud)
            where = f"VRF {settings.vrf} in cloud {settings.cloud}"
            findings = [Finding("ok", f"Avi: logged in; {where} found")]
            for name, origin in named_by.items():
                try:
                    group = client.find_se_group(name, settings.cloud)
                except ReconcilerError as error:
                    findings.append(Finding("fail", f"SE group {name} ({origin}): {error}"))
                    continue
                findings += se_group_findings(settings.cluster, [group], named_by)
            return findings + ako_sync_findings(
                settings.cluster, client.get_vrf(str(vrf["uuid"])), time.time()
            )
    except ReconcilerError as error:
        return [Finding("fail", f"Avi: {error}")]
