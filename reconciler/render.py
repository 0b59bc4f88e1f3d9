"""`render`: cluster IPAM -> routes -> canonical manifest in the repo, optionally committed on the
proposal branch. Reads and computes everything before the first write, so a refusal or an
error leaves git untouched."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.changes import RouteChange, route_changes, summarize
from reconciler.errors import GuardRefusal
from reconciler.gitstore import GitStore, proposal_branch
from reconciler.guards import route_loss_guard
from reconciler.ipam.read import ClusterRead, read_cluster
from reconciler.ipam.source import ClusterSource
from reconciler.manifest import Manifest, manifest_path, render_manifest
from reconciler.plan import BlockedRoute
from reconciler.policy import RoutePolicy, enforce
from reconciler.routes import IpFamily, RouteComputation, compute_routes

COMMIT_DETAIL_LINES = 200


@dataclass(frozen=True)
class RenderSettings:
    cluster: str
    vrf: str = "global"
    cloud: str = "Default-Cloud"
    cni_plugin: str = "auto"
    ip_family: IpFamily = IpFamily.V4_V6
    cilium_namespace: str = "kube-system"
    branch: str | None = None
    reviewed_ref: str = "main"
    commit: bool = False
    max_route_loss: float = 0.5
    allow_mass_delete: bool = False
    policy: RoutePolicy = field(default_factory=RoutePolicy)

    @property
    def proposal_branch(self) -> str:
        return proposal_branch(self.cluster, self.branch)


@dataclass(frozen=True)
class RenderResult:
    path: str
    manifest: Manifest
    cluster: ClusterRead
    computation: RouteComputation
    baseline: str
    changes: list[RouteChange]
    commit: str | None
    blocked: list[BlockedRoute]


def render(source: ClusterSource, store: GitStore, settings: RenderSettings) -> RenderResult:
    path = manifest_path(settings.cluster, settings.vrf)
    baseline = store.proposal_parent(settings.proposal_branch, settings.reviewed_ref)
    committed = store.manifest_at(baseline, settings.cluster, settings.vrf)
    committed_routes = committed.routes if committed else ()
    cluster = read_cluster(source, settings.cni_plugin, settings.cilium_namespace)
    computation = compute_routes(
        cluster.ipam, settings.cluster, settings.ip_family, committed_routes
    )
    policy = settings.policy.with_cilium_pools(cluster.cilium_config)
    allowed, blocked = enforce(computation.routes, policy)
    manifest = Manifest(
        settings.cluster, settings.vrf, settings.cloud, str(cluster.ipam.mode), tuple(allowed)
    )
    changes = route_changes(committed_routes, manifest.routes)
    if not settings.allow_mass_delete:
        removed = sum(1 for change in changes if change.kind == "removed")
        reason = route_loss_guard(
            len(committed_routes), removed, len(manifest.routes), settings.max_route_loss
        )
        if reason:
            raise GuardRefusal(f"render refused: {reason}")
    content = render_manifest(manifest)
    store.write_worktree(path, content)
    commit = None
    if settings.commit:
        commit = store.commit_on_branch(
            settings.proposal_branch, baseline, {path: content}, commit_message(path, changes)
        )
    return RenderResult(
        path, manifest, cluster, computation, _describe(baseline), changes, commit, blocked
    )


def commit_message(path: str, changes: list[RouteChange]) -> str:
    lines = [f"routes: {path}: {summarize(changes)}", ""]
    lines.extend(change.describe() for change in changes[:COMMIT_DETAIL_LINES])
    if len(changes) > COMMIT_DETAIL_LINES:
        lines.append(f"... and {len(changes) - COMMIT_DETAIL_LINES} more")
    return "\n".join(lines) + "\n"


def _describe(commit: str | None) -> str:
    return commit[:12] if commit else "nothing committed yet"
