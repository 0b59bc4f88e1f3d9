"""`apply`: bring Avi to the reviewed manifest, writing only what is needed."""

from __future__ import annotations

import argparse
import sys

from reconciler.apply import apply_reviewed
from reconciler.cli.options import (
    add_apply_options,
    add_avi_options,
    add_cluster_name,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
)
from reconciler.cli.output import Log, report_blocked
from reconciler.cli.wiring import apply_settings, avi_client, git_store
from reconciler.errors import EXIT_CHANGED, EXIT_OK, EXIT_REFUSED
from reconciler.gitstore import applied_tag
from reconciler.report import render_text


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "apply",
        help="apply the reviewed manifest to the Avi VRF",
        description="Reads the target only from the reviewed ref (fetched from --remote when the "
        "repo has one), applies the reviewed (git) changes, reports drift, never touches routes "
        "it does not own, and records the applied commit as a tag.",
    )
    add_cluster_name(parser)
    add_manifest_options(parser)
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
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = apply_settings(args)
    target = settings.target
    with avi_client(args) as avi:
        result = apply_reviewed(git_store(args), avi, settings)
    print(render_text(result.plan, color=sys.stdout.isatty()), end="")
    reviewed = result.reviewed_commit[:12]
    if args.dry_run:
        print(f"dry run: reviewed commit {reviewed}; nothing written")
        return EXIT_CHANGED if result.plan.changes else EXIT_OK
    if result.applied:
        print(
            f"applied reviewed commit {reviewed} to VRF {target.vrf}: {len(result.applied)} "
            f"change(s) in {result.writes} write(s), {result.conflicts_retried} re-read(s) after "
            f"412; _last_modified {result.last_modified}"
        )
    else:
        print(f"nothing to write: VRF {target.vrf} already has what {reviewed} asks for")
    drift = [c for c in result.plan.changes if c.origin == "drift" and c not in result.applied]
    if drift:
        print(f"drift left in place: {len(drift)} route(s); rerun with --heal to undo it")
    report_blocked(result.plan.blocked, Log())
    for change in result.skipped_conflicts:
        print(f"skipped {change.action} {change.prefix}: {change.conflict}", file=sys.stderr)
    if result.recorded:
        print(f"recorded {applied_tag(target.cluster, target.vrf)} -> {reviewed}")
    if result.skipped_conflicts or result.plan.blocked:
        return EXIT_REFUSED
    return EXIT_CHANGED if result.applied else EXIT_OK
