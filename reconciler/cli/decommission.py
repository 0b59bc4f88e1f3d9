"""`decommission`: propose the removal of every route of a cluster and VRF, for review."""

from __future__ import annotations

import argparse
from functools import partial

from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_remote_option,
)
from reconciler.errors import EXIT_CHANGED, EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "decommission",
        help="propose removing every route of a cluster and VRF, through review",
        description="Commit routes/<cluster>/<vrf>.yaml with spec.decommission (the reason, "
        "no routes) on the proposal branch and open or update its pull request. Once merged, "
        "apply (or run) deletes every route of ours in the VRF, the guards accepting the "
        "reviewed marker; render and run then write no routes for the cluster until a reviewed "
        "pull request removes the marker. The cluster is not read.",
    )
    add_cluster_name(parser)
    parser.add_argument(
        "--reason",
        required=True,
        help="why the routes go, shown to reviewers (e.g. 'cluster deleted, CHG-1234')",
    )
    add_manifest_options(parser)
    add_remote_option(parser)
    parser.add_argument(
        "--no-propose",
        action="store_true",
        help="only commit on the proposal branch; run propose later",
    )
    add_github_options(parser)
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.cli.wiring import avi_client, decommission_settings, git_store, github_client
    from reconciler.decommission import decommission

    settings = decommission_settings(args)
    result = decommission(
        git_store(args), settings, partial(github_client, args), partial(avi_client, args)
    )
    branch = settings.proposal.plan.branch
    done = f"committed {result.commit[:12]} on" if result.commit else "already held by"
    print(
        f"{result.path}: the teardown of {len(result.removed)} reviewed route(s) is {done} {branch}"
    )
    if result.proposal is not None:
        print(result.proposal.describe())
    return EXIT_CHANGED if result.changed else EXIT_OK
