"""`check`: is this cluster ready to be routed? IPAM mode and evidence, counts, gaps, SCTP."""

from __future__ import annotations

import argparse

from reconciler.cli.options import add_cluster_name, add_cluster_options, cluster_source
from reconciler.cli.output import print_ipam, print_problems
from reconciler.errors import EXIT_ERROR, EXIT_OK
from reconciler.ipam.read import read_cluster
from reconciler.preflight import sctp_findings
from reconciler.routes import compute_routes


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "check",
        help="preflight: IPAM mode, node data, SCTP readiness",
        description="Report what render would read, and fail on problems before they bite.",
    )
    add_cluster_name(parser)
    add_cluster_options(parser)
    parser.add_argument(
        "--expect-sctp",
        action="store_true",
        help="check SCTP readiness even if no Service declares an SCTP port yet",
    )
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
    for finding in sctp_findings(
        cluster.cilium_config, source.services(), cluster.nodes, args.expect_sctp
    ):
        print(f"{finding.status}: {finding.message}")
        failed = failed or finding.status == "fail"
    print("check failed" if failed else "check passed")
    return EXIT_ERROR if failed else EXIT_OK
