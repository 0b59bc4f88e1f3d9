"""`plan`: what apply would do, from the applied record, a target manifest and live Avi."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "plan",
        help="three-way plan: applied manifest, target manifest, live Avi VRF",
        description="Show the changes apply would make, their origin (git or drift), conflicts "
        "and blocked routes. Writes nothing to Avi.",
    )
    add_cluster_name(parser)
    add_manifest_options(parser, "the target of --target proposal")
    add_remote_option(parser)
    parser.add_argument(
        "--target",
        choices=("proposal", "worktree", "reviewed"),
        default="proposal",
        help="which manifest to plan: the proposal branch (default), the working "
        "tree, or the reviewed ref",
    )
    parser.add_argument(
        "--output",
        "-o",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default), json (the whole plan, for scripts) or markdown (as in the pull "
        "request)",
    )
    parser.add_argument(
        "--comment-on",
        type=int,
        metavar="PR",
        help="also keep the markdown plan as one sticky comment on pull request PR",
    )
    add_github_options(parser)
    add_policy_options(parser)
    add_avi_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.cli.wiring import avi_client, git_store, github_client, plan_settings
    from reconciler.outcome import plan_exit_code
    from reconciler.propose import comment_plan
    from reconciler.report import render_json, render_markdown, render_text
    from reconciler.target import live_plan

    plan = live_plan(git_store(args), plan_settings(args, args.target), partial(avi_client, args))
    if args.comment_on is not None:
        comment_plan(partial(github_client, args), args.comment_on, plan)
    if args.output == "json":
        print(render_json(plan), end="")
    elif args.output == "markdown":
        print(render_markdown(plan), end="")
    else:
        print(render_text(plan, color=sys.stdout.isatty()), end="")
    return plan_exit_code(plan)
