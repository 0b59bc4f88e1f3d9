"""`plan`: what apply would do, from the applied record, a target manifest and live Avi."""

from __future__ import annotations

import argparse
import sys

from reconciler.apply import Target, check_manifest_target, load_base_routes, plan_against
from reconciler.cli.options import (
    add_avi_options,
    add_cluster_name,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
    avi_client,
    git_store,
    github_client,
    route_policy,
)
from reconciler.errors import EXIT_CHANGED, EXIT_OK, InputError
from reconciler.gitstore import GitStore
from reconciler.manifest import Manifest, manifest_path, parse_manifest
from reconciler.report import render_json, render_markdown, render_text
from reconciler.review.github import fit_body


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "plan",
        help="three-way plan: applied manifest, target manifest, live Avi VRF",
        description="Show the changes apply would make, their origin (git or drift), conflicts "
        "and blocked routes. Writes nothing to Avi.",
    )
    add_cluster_name(parser)
    add_manifest_options(parser)
    add_remote_option(parser)
    parser.add_argument(
        "--target",
        choices=("proposal", "worktree", "reviewed"),
        default="proposal",
        help="which manifest to plan: the proposal branch (default), the working "
        "tree, or the reviewed ref",
    )
    parser.add_argument("--output", "-o", choices=("text", "json", "markdown"), default="text")
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


def target_manifest(store: GitStore, args: argparse.Namespace, target: Target) -> Manifest:
    path = manifest_path(target.cluster, target.vrf)
    if args.target == "worktree":
        file = store.root / path
        if not file.exists():
            raise InputError(f"{file} does not exist: run render first")
        manifest = parse_manifest(file.read_bytes(), str(file))
    else:
        commit = _target_commit(store, args, target)
        found = store.manifest_at(commit, target.cluster, target.vrf)
        if found is None:
            raise InputError(f"{path} does not exist at {args.target} commit {commit[:12]}")
        manifest = found
    check_manifest_target(manifest, target, path)
    return manifest


def run(args: argparse.Namespace) -> int:
    target = Target(args.cluster_name, args.vrf, args.cloud)
    store = git_store(args)
    wanted = target_manifest(store, args, target)
    base = load_base_routes(store, target)
    with avi_client(args) as avi:
        vrf_uuid = str(avi.find_vrf(target.vrf, target.cloud)["uuid"])
        _, _, plan = plan_against(avi, vrf_uuid, target, base, wanted.routes, route_policy(args))
    if args.comment_on is not None:
        marker = f"<!-- route-reconciler:plan:{target.cluster}/{target.vrf} -->"
        with github_client(args) as github:
            github.upsert_sticky_comment(args.comment_on, marker, fit_body(render_markdown(plan)))
    if args.output == "json":
        print(render_json(plan), end="")
    elif args.output == "markdown":
        print(render_markdown(plan), end="")
    else:
        print(render_text(plan, color=sys.stdout.isatty()), end="")
    return EXIT_CHANGED if plan.changes else EXIT_OK


def _target_commit(store: GitStore, args: argparse.Namespace, target: Target) -> str:
    if args.target == "reviewed":
        return store.reviewed_commit(args.reviewed_ref, args.remote)
    branch = args.branch or f"route-reconciler/{target.cluster}"
    for ref in (f"refs/heads/{branch}", f"refs/remotes/{args.remote}/{branch}"):
        commit = store.resolve(ref)
        if commit:
            return commit
    raise InputError(f"proposal branch {branch} does not exist: run render --commit first")
