"""`propose`: push the proposal branch and open, update or close its pull request."""

from __future__ import annotations

import argparse
from functools import partial

from reconciler.cli.console import Log
from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
)
from reconciler.errors import EXIT_CHANGED, EXIT_OK, ReconcilerError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "propose",
        help="push the proposal branch and open or update its pull request",
        description="One pull request per cluster and VRF; its body is the markdown plan. With "
        "an Avi controller configured the plan is three-way (drift included), and one drift "
        "report (an issue) per cluster and VRF is opened, edited or closed.",
    )
    add_cluster_name(parser)
    add_manifest_options(parser)
    add_remote_option(parser)
    add_github_options(parser)
    add_policy_options(parser)
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Then, with a controller configured, the drift report on what Avi holds."""
    from reconciler.cli.reporting import tell
    from reconciler.cli.wiring import (
        avi_client,
        feedback_adapters,
        feedback_settings,
        git_store,
        github_client,
        proposal_settings,
    )
    from reconciler.feedback import Findings, reviewed_drift
    from reconciler.propose import sync_and_propose

    store, settings = git_store(args), proposal_settings(args)
    avi = partial(avi_client, args)
    adapters, warnings = feedback_adapters(args)
    findings = Findings()
    try:
        result = findings.proposal = sync_and_propose(
            store, settings, partial(github_client, args), avi
        )
        print(result.describe())
        if settings.read_avi:
            findings.drift = reviewed_drift(store, settings.plan, avi)
    except ReconcilerError as error:
        findings.note(error)
        tell(findings, feedback_settings(args), adapters, warnings, Log())
        raise
    failed = tell(findings, feedback_settings(args), adapters, warnings, Log())
    if failed is not None:
        raise failed
    return EXIT_CHANGED if result.changed else EXIT_OK
