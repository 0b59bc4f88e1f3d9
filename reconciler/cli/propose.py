"""`propose`: push the proposal branch and open, update or close its pull request."""

from __future__ import annotations

import argparse
import os

from reconciler.apply import Target, load_base_routes, plan_against
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
from reconciler.cli.plan import target_manifest
from reconciler.errors import EXIT_CHANGED, EXIT_OK
from reconciler.gitstore import GitStore
from reconciler.manifest import Manifest
from reconciler.plan import Plan, three_way_plan
from reconciler.policy import enforce
from reconciler.propose import ProposeResult, offline_live, propose


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
    parser.set_defaults(run=run, target="proposal")


def avi_configured(args: argparse.Namespace) -> bool:
    return bool(args.avi_controller or os.environ.get("AVI_CONTROLLER"))


def proposal_plan(
    args: argparse.Namespace, store: GitStore, target: Target, wanted: Manifest
) -> Plan:
    """Three-way against Avi when it is configured; else against the last applied (or reviewed)
    manifest, which shows the reviewed changes but no drift."""
    base = load_base_routes(store, target)
    policy = route_policy(args)
    if avi_configured(args):
        with avi_client(args) as avi:
            vrf_uuid = str(avi.find_vrf(target.vrf, target.cloud)["uuid"])
            return plan_against(avi, vrf_uuid, target, base, wanted.routes, policy)[2]
    if base is None:
        reviewed = store.reviewed_commit(args.reviewed_ref, args.remote)
        committed = store.manifest_at(reviewed, target.cluster, target.vrf)
        base = committed.routes if committed else ()
    allowed, blocked = enforce(wanted.routes, policy)
    return three_way_plan(target.cluster, target.vrf, base, allowed, offline_live(base), blocked)


def run_propose(args: argparse.Namespace, store: GitStore, evidence: list[str]) -> ProposeResult:
    target = Target(args.cluster_name, args.vrf, args.cloud)

    def plan_for() -> Plan:
        return proposal_plan(args, store, target, target_manifest(store, args, target))

    with github_client(args) as github:
        return propose(
            store,
            github,
            target,
            plan_for,
            evidence,
            branch=args.branch or f"route-reconciler/{target.cluster}",
            reviewed_ref=args.reviewed_ref,
            remote=args.remote,
        )


def describe(result: ProposeResult) -> str:
    if result.pull is None:
        return result.action
    pushed = ", branch pushed" if result.pushed else ""
    return f"pull request #{result.pull.number} {result.action}{pushed} ({result.pull.url})"


def run(args: argparse.Namespace) -> int:
    store = git_store(args)
    store.sync_branch(args.branch or f"route-reconciler/{args.cluster_name}", args.remote)
    result = run_propose(args, store, [])
    print(describe(result))
    return EXIT_OK if result.action in ("unchanged", "nothing to propose") else EXIT_CHANGED
