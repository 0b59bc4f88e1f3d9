"""`propose`: push the proposal branch and open, update or close its pull request."""

from __future__ import annotations

import argparse
from functools import partial

from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
)
from reconciler.cli.wiring import avi_client, git_store, github_client, proposal_settings
from reconciler.errors import EXIT_CHANGED, EXIT_OK
from reconciler.propose import sync_and_propose


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "propose",
        help="push the proposal branch and open or update its pull request",
        description="One pull request per cluster and VRF; its body is the markdown plan. With "
        "an Avi controller configured the plan is three-way (drift included).",
    )
    add_cluster_name(parser)
    add_manifest_options(parser)
    add_remote_option(parser)
    add_github_options(parser)
    add_policy_options(parser)
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = sync_and_propose(
        git_store(args),
        proposal_settings(args),
        partial(github_client, args),
        partial(avi_client, args),
    )
    print(result.describe())
    return EXIT_CHANGED if result.changed else EXIT_OK
