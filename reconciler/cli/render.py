"""`render`: write the canonical manifest for one cluster and VRF, optionally commit it."""

from __future__ import annotations

import argparse

from reconciler.cli.console import Log
from reconciler.cli.options import (
    add_cluster_name,
    add_cluster_options,
    add_manifest_options,
    add_policy_options,
    add_render_guard_options,
)
from reconciler.cli.output import print_ipam, print_problems, report_blocked
from reconciler.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, EXIT_REFUSED


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "render",
        help="cluster IPAM -> routes/<cluster>/<vrf>.yaml in the repo",
        description="Read the cluster's pod CIDRs and write the canonical route manifest into "
        "the working tree, or with --commit as a commit on the proposal branch.",
    )
    add_cluster_name(parser)
    add_cluster_options(parser)
    add_manifest_options(parser, "where --commit commits")
    parser.add_argument(
        "--commit",
        action="store_true",
        help="commit on the proposal branch (never on the reviewed ref) instead of writing "
        "the working tree",
    )
    parser.add_argument(
        "--write-worktree",
        action="store_true",
        help="with --commit, also write the manifest into the working tree",
    )
    add_render_guard_options(parser)
    add_policy_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.changes import summarize
    from reconciler.cli.wiring import cluster_source, git_store, render_settings
    from reconciler.render import render

    settings = render_settings(args)
    result = render(cluster_source(args), git_store(args), settings)
    print_ipam(result.cluster.ipam)
    print(
        f"{result.path}: {len(result.manifest.routes)} routes; against {result.baseline}: "
        f"{summarize(result.changes)}"
    )
    if result.changes:  # one write: a new cluster's render lists every route
        print("\n".join(f"  {change.describe()}" for change in result.changes))
    if args.commit:
        where = settings.proposal_branch
        print(
            f"committed {result.commit[:12]} on {where}"
            if result.commit
            else f"no commit: {where} already holds this manifest"
        )
    failed = print_problems(result.computation)
    report_blocked(result.blocked, Log())
    if failed:
        return EXIT_ERROR
    if result.blocked:
        return EXIT_REFUSED
    return EXIT_CHANGED if result.changes else EXIT_OK
