"""`check`: is this cluster ready to be routed, and is Avi ready to take the routes?"""

from __future__ import annotations

import argparse
from functools import partial

from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_cluster_options,
    add_node_network_option,
    add_vrf_and_cloud,
)
from reconciler.cli.output import print_ipam, print_next_hops, print_problems
from reconciler.errors import EXIT_ERROR, EXIT_OK


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
    add_node_network_option(parser)
    add_vrf_and_cloud(parser)
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
    from reconciler.check import run_check
    from reconciler.cli.wiring import avi_client, check_settings, cluster_source

    result = run_check(cluster_source(args), partial(avi_client, args), check_settings(args))
    print(f"source: {result.source}")
    print_ipam(result.cluster.ipam)
    counts = ", ".join(f"{name}: {count}" for name, count in result.cluster.ipam.counts.items())
    print(f"{counts}, routes: {len(result.computation.routes)}")
    print_next_hops(result.computation)
    print_problems(result.computation)
    for finding in result.findings:
        print(f"{finding.status}: {finding.message}")
    print("check failed" if result.failed else "check passed")
    return EXIT_ERROR if result.failed else EXIT_OK
