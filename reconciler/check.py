"""`check` orchestration: read the cluster as render would, then the preflight findings.

SCTP readiness always; with a controller configured also Avi: the VRF, the Service Engine groups'
labels and AKO's recent route writes. An Avi failure is a failing finding, not a stop, so the
cluster's findings are still reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from reconciler.errors import ReconcilerError
from reconciler.ipam.read import ClusterRead, read_cluster
from reconciler.ipam.source import ClusterSource
from reconciler.preflight import Finding, ako_sync_findings, sctp_findings, se_group_findings
from reconciler.routes import IpFamily, RouteComputation, compute_routes
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
    computation = compute_routes(cluster.ipam, settings.cluster, settings.ip_family)
    findings = sctp_findings(
        cluster.cilium_config, source.services(), cluster.nodes, settings.expect_sctp
    )
    if settings.read_avi:
        findings += _avi_findings(avi, settings)
    return CheckResult(source.description, cluster, computation, findings)


def _avi_findings(avi: AviFactory, settings: CheckSettings) -> list[Finding]:
    try:
        with avi() as client:
            vrf = client.find_vrf(settings.vrf, settings.cloud)
            where = f"VRF {settings.vrf} in cloud {settings.cloud}"
            findings = [Finding("ok", f"Avi: logged in; {where} found")]
            groups = [client.find_se_group(name, settings.cloud) for name in settings.se_groups]
            return (
                findings
                + se_group_findings(settings.cluster, groups)
                + ako_sync_findings(settings.cluster, client.get_vrf(str(vrf["uuid"])), time.time())
            )
    except ReconcilerError as error:
        return [Finding("fail", f"Avi: {error}")]
