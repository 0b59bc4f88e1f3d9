"""`check`: is this cluster ready to be routed, and is Avi ready to take the routes?"""

from __future__ import annotations

import argparse
import os
import time

from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_cluster_options,
    avi_client,
    cluster_source,
)
from reconciler.cli.output import print_ipam, print_problems
from reconciler.errors import EXIT_ERROR, EXIT_OK, ReconcilerError
from reconciler.ipam.read import read_cluster
from reconciler.preflight import Finding, ako_sync_findings, sctp_findings, se_group_findings
from reconciler.routes import compute_routes


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "check",
        help="preflight: IPAM mode, node data, SCTP readiness, and Avi when configured",
        description="Report what render would read, and fail on problems before they bite. "
        "The Avi checks run when --avi-controller or AVI_CONTROLLER is set.",
    )
    add_cluster_name(parser)
    add_cluster_options(parser)
    parser.add_argument(
        "--expect-sctp",
        action="store_true",
        help="check SCTP readiness even if no Service declares an SCTP port yet",
    )
    parser.add_argument("--vrf", default="global", help="Avi VRF context name; default global")
    parser.add_argument("--cloud", default="Default-Cloud", help="Avi cloud; default Default-Cloud")
    parser.add_argument(
        "--se-group",
        action="append",
        metavar="NAME",
        help="Service Engine group that must carry clustername=<cluster> "
        "(repeatable); default Default-Group",
    )
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source = cluster_source(args)
    cluster = read_cluster(source, args.cni_plugin, args.cilium_namespace)
    computation = compute_routes(cluster.ipam, args.cluster_name, args.ip_family)
    print(f"source: {source.description}")
    print_ipam(cluster.ipam)
    counts = ", ".join(f"{name}: {count}" for name, count in cluster.ipam.counts.items())
    print(f"{counts}, routes: {len(computation.routes)}")
    failed = print_problems(computation)
    findings = sctp_findings(
        cluster.cilium_config, source.services(), cluster.nodes, args.expect_sctp
    )
    if args.avi_controller or os.environ.get("AVI_CONTROLLER"):
        findings += _avi_findings(args)
    for finding in findings:
        print(f"{finding.status}: {finding.message}")
        failed = failed or finding.status == "fail"
    print("check failed" if failed else "check passed")
    return EXIT_ERROR if failed else EXIT_OK


def _avi_findings(args: argparse.Namespace) -> list[Finding]:
    try:
        with avi_client(args) as avi:
            vrf = avi.find_vrf(args.vrf, args.cloud)
            findings = [
                Finding("ok", f"Avi: logged in; VRF {args.vrf} in cloud {args.cloud} found")
            ]
            groups = [
                avi.find_se_group(name, args.cloud) for name in args.se_group or ["Default-Group"]
            ]
            return (
                findings
                + se_group_findings(args.cluster_name, groups)
                + ako_sync_findings(args.cluster_name, avi.get_vrf(str(vrf["uuid"])), time.time())
            )
    except ReconcilerError as error:
        return [Finding("fail", f"Avi: {error}")]
