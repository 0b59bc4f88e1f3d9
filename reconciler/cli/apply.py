"""`apply`: bring Avi to the reviewed manifest, writing only what is needed."""

from __future__ import annotations

import argparse
import sys

from reconciler.cli.console import Log
from reconciler.cli.options import (
    add_apply_options,
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
)
from reconciler.cli.output import report_apply
from reconciler.errors import ReconcilerError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "apply",
        help="apply the reviewed manifest to the Avi VRF",
        description="Reads the target only from the reviewed ref (fetched from --remote when the "
        "repo has one), applies the reviewed (git) changes, reports drift, never touches routes "
        "it does not own, and records the applied commit and the reviewed routes still pending "
        "as a tag.",
    )
    add_cluster_name(parser)
    add_manifest_options(
        parser, "whose merged pull request gets the apply's comment (with GitHub settings)"
    )
    add_remote_option(parser)
    add_apply_options(parser)
    parser.add_argument(
        "--allow-mass-delete", action="store_true", help="override the deletion guards"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument(
        "--require-signed-commits",
        action="store_true",
        help="refuse a reviewed head without a valid signature (git verify-commit)",
    )
    add_policy_options(parser)
    add_github_options(parser)
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Then, with GitHub settings, the commit status, the pull request comment and the drift
    report; with a webhook, the events."""
    from reconciler.apply import apply_reviewed
    from reconciler.cli.reporting import tell
    from reconciler.cli.wiring import (
        apply_settings,
        avi_client,
        feedback_adapters,
        feedback_settings,
        git_store,
    )
    from reconciler.feedback import Findings, apply_findings, failed_apply
    from reconciler.outcome import apply_exit_code, apply_outcome
    from reconciler.report import render_text

    settings, store = apply_settings(args), git_store(args)
    adapters, warnings = feedback_adapters(args)
    told = feedback_settings(args, dry_run=settings.dry_run)
    findings = Findings()
    try:
        with avi_client(args) as avi:
            result = apply_reviewed(store, avi, settings)
    except ReconcilerError as error:
        failed_apply(findings, store, settings, error)
        tell(findings, told, adapters, warnings, Log())
        raise
    if not result.superseded_by:
        print(render_text(result.plan, color=sys.stdout.isatty()), end="")
    report_apply(result, Log())
    pools = bool(settings.policy.pod_pools)
    outcome = apply_outcome(result, settings.heal, settings.dry_run, pools)
    print(outcome)
    apply_findings(findings, result, outcome)
    failed = tell(findings, told, adapters, warnings, Log())
    if failed is not None:
        raise failed
    return apply_exit_code(result, settings.heal)
