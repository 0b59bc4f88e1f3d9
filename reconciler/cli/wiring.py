"""Parsed options -> the settings and adapters the orchestration functions take.

Clients are returned unopened: each command opens them where it needs them, as a context. What
reaches a cluster, Avi, GitHub or a webhook (and the stages built on them) is imported by the
function that builds it, so a command loads only the clients it uses: `--help` and a snapshot
render load neither an HTTP stack nor the Kubernetes client.
"""

from __future__ import annotations

import argparse
import os
from functools import partial
from typing import TYPE_CHECKING

from reconciler.addresses import IPNetwork
from reconciler.errors import InputError
from reconciler.gitstore import GitStore, proposal_branch
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.ipam.source import ClusterSource
from reconciler.policy import RoutePolicy
from reconciler.render import RenderSettings

if TYPE_CHECKING:
    from reconciler.apply import ApplySettings, Target
    from reconciler.avi.client import AviClient, AviSettings
    from reconciler.check import CheckSettings
    from reconciler.decommission import DecommissionSettings
    from reconciler.feedback import FeedbackAdapters, FeedbackSettings
    from reconciler.job import JobSettings
    from reconciler.propose import ProposalSettings
    from reconciler.review.github import GitHubClient
    from reconciler.target import PlanSettings, TargetSource


def cluster_source(args: argparse.Namespace) -> ClusterSource:
    """Only a live cluster read loads the Kubernetes client (a second or more of imports)."""
    if args.snapshot:
        return SnapshotSource(args.snapshot)
    from reconciler.ipam.kube import KubeSource
    from reconciler.ipam.kubeconfig import api_client, cluster_access

    access = cluster_access(args.kubeconfig, args.context)
    progress = None if getattr(args, "log_format", "text") == "text" else False  # JSON lines only
    return KubeSource(api_client(args.kubeconfig, args.context), progress=progress, access=access)


def git_store(args: argparse.Namespace) -> GitStore:
    return GitStore(args.repo)


def avi_configured(args: argparse.Namespace) -> bool:
    return bool(args.avi_controller or os.environ.get("AVI_CONTROLLER"))


def avi_settings(args: argparse.Namespace) -> AviSettings:
    from reconciler.avi.client import AviSettings

    return AviSettings.from_env(
        os.environ,
        controller=args.avi_controller,
        tenant=args.avi_tenant,
        api_version=args.avi_version,
        ca_bundle=args.avi_ca_bundle,
        insecure=args.avi_insecure,
    )


def avi_client(args: argparse.Namespace) -> AviClient:
    from reconciler.avi.client import AviClient

    return AviClient(avi_settings(args))


def github_client(args: argparse.Namespace) -> GitHubClient:
    from reconciler.review.github import GitHubClient, GitHubSettings

    if not args.github_repo:
        raise InputError("--github-repo (or githubRepository, GITHUB_REPOSITORY) is not set")
    settings = GitHubSettings.from_env(
        os.environ,
        repository=args.github_repo,
        api_url=args.github_api_url,
        ca_bundle=args.github_ca_bundle,
    )
    return GitHubClient(settings)


def feedback_adapters(args: argparse.Namespace) -> tuple[FeedbackAdapters, list[str]]:
    """GitHub when a repository is configured, the webhook when its URL is set; a webhook
    that cannot be set up is a warning (notifications never fail a run)."""
    from reconciler.feedback import FeedbackAdapters
    from reconciler.webhook import Webhook

    github = partial(github_client, args) if args.github_repo else None
    try:
        webhook = Webhook.from_env(os.environ)
    except InputError as error:
        return FeedbackAdapters(github), [f"webhook: {error}; no notifications this run"]
    return FeedbackAdapters(github, webhook), []


def feedback_settings(args: argparse.Namespace, dry_run: bool = False) -> FeedbackSettings:
    from reconciler.feedback import FeedbackSettings

    return FeedbackSettings(
        _target(args),
        args.reviewed_ref,
        proposal_branch(args.cluster_name, args.branch),
        dry_run=dry_run,
    )


def route_policy(args: argparse.Namespace) -> RoutePolicy:
    return RoutePolicy(
        pod_pools=tuple(args.allowed_pod_cidr or ()),
        min_prefix_v4=args.min_prefix_length,
        min_prefix_v6=args.min_prefix_length_v6,
        node_networks=node_networks(args),
    )


def node_networks(args: argparse.Namespace) -> tuple[IPNetwork, ...]:
    return tuple(args.node_network or ())


def render_settings(args: argparse.Namespace) -> RenderSettings:
    return RenderSettings(
        cluster=args.cluster_name,
        vrf=args.vrf,
        cloud=args.cloud,
        cni_plugin=args.cni_plugin,
        ip_family=args.ip_family,
        cilium_namespace=args.cilium_namespace,
        branch=args.branch,
        reviewed_ref=args.reviewed_ref,
        commit=getattr(args, "commit", False),
        write_worktree=getattr(args, "write_worktree", False),
        max_route_loss=args.max_route_loss,
        allow_mass_delete=args.allow_mass_delete,
        policy=route_policy(args),
    )


def apply_settings(args: argparse.Namespace) -> ApplySettings:
    from reconciler.apply import ApplySettings

    return ApplySettings(
        target=_target(args),
        reviewed_ref=args.reviewed_ref,
        remote=args.remote,
        heal=args.heal,
        write_mode=args.write_mode,
        max_delete=args.max_delete,
        allow_mass_delete=args.allow_mass_delete,
        max_add=args.max_add,
        allow_mass_add=args.allow_mass_add,
        ako_still_syncing=args.ako_still_syncing,
        allow_ako_sync=args.allow_ako_sync,
        dry_run=getattr(args, "dry_run", False),
        require_signed_commits=getattr(args, "require_signed_commits", False),
        policy=route_policy(args),
    )


def plan_settings(
    args: argparse.Namespace, source: TargetSource = "proposal", policy: RoutePolicy | None = None
) -> PlanSettings:
    from reconciler.target import PlanSettings

    return PlanSettings(
        target=_target(args),
        branch=proposal_branch(args.cluster_name, args.branch),
        reviewed_ref=args.reviewed_ref,
        remote=args.remote,
        source=source,
        policy=route_policy(args) if policy is None else policy,
    )


def proposal_settings(args: argparse.Namespace) -> ProposalSettings:
    from reconciler.propose import ProposalSettings

    return ProposalSettings(plan_settings(args), read_avi=avi_configured(args))


def decommission_settings(args: argparse.Namespace) -> DecommissionSettings:
    """A teardown proposes no route, so no route policy applies to it."""
    from reconciler.decommission import DecommissionSettings
    from reconciler.propose import ProposalSettings

    plan = plan_settings(args, policy=RoutePolicy())
    proposal = ProposalSettings(plan, read_avi=avi_configured(args))
    return DecommissionSettings(proposal, args.reason, propose=not args.no_propose)


def job_settings(args: argparse.Namespace) -> JobSettings:
    from reconciler.job import JobSettings, Stages

    return JobSettings(
        render=render_settings(args),
        proposal=proposal_settings(args),
        apply=apply_settings(args),
        stages=Stages(propose=not args.no_propose, apply=not args.no_apply),
    )


def check_settings(args: argparse.Namespace) -> CheckSettings:
    from reconciler.check import CheckSettings

    return CheckSettings(
        cluster=args.cluster_name,
        cni_plugin=args.cni_plugin,
        ip_family=args.ip_family,
        cilium_namespace=args.cilium_namespace,
        expect_sctp=args.expect_sctp,
        vrf=args.vrf,
        cloud=args.cloud,
        se_groups=tuple(args.se_group or ["Default-Group"]),
        read_avi=avi_configured(args),
        node_networks=node_networks(args),
    )


def _target(args: argparse.Namespace) -> Target:
    from reconciler.apply import Target

    return Target(args.cluster_name, args.vrf, args.cloud)
