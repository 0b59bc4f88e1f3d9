"""`render`: cluster IPAM -> routes -> canonical manifest in the repo's working tree, or committed
on the proposal branch. Reads and computes everything before the first write, so a refusal or
an error leaves git untouched.

A decommissioned manifest (a reviewed teardown, or one proposed and not merged yet) is never
rendered over: a cluster read must not bring back routes a review removed.

Two manifests stand behind a render: the proposal's (its tip, or the reviewed ref when no
proposal is open), which a node with a gap keeps its routes from and the commit builds on; and
the reviewed one, which the route-loss guard measures against, so a read shrinking a little on
each run cannot walk the proposal down step by step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from reconciler.changes import RouteChange, route_changes, summarize
from reconciler.commit_notes import evidence_block, evidence_lines, rebuild_line
from reconciler.errors import GuardRefusal
from reconciler.gitstore import GitStore, ProposalBase, proposal_branch
from reconciler.guards import route_loss_guard
from reconciler.ipam.read import ClusterRead, read_cluster
from reconciler.ipam.source import ClusterSource
from reconciler.manifest import Manifest, manifest_path, render_manifest
from reconciler.policy import RoutePolicy, blocked_reason, configured_violation
from reconciler.routes import BlockedRoute, IpFamily, Route, RouteComputation, compute_routes

COMMIT_DETAIL_LINES = 200


class Decommissioned(GuardRefusal):
    """The manifest marks a teardown, reviewed or proposed: render writes no routes for it."""


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
    write_worktree: bool = False
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
    replaced: str | None = None  # a proposal that no longer merged cleanly, rebuilt

    @property
    def blocked(self) -> tuple[BlockedRoute, ...]:
        return self.computation.blocked

    @property
    def evidence(self) -> list[str]:
        """The reviewer sees what render saw: the IPAM evidence, warnings, errors, blocked
        routes."""
        ipam, computation = self.cluster.ipam, self.computation
        notes = [*computation.warnings, *computation.errors]
        notes += [
            f"blocked at render: {b.route.prefix} of node {b.route.node}: {b.reason}"
            for b in self.blocked
        ]
        return evidence_lines(str(ipam.mode), ipam.evidence, notes)


def render(source: ClusterSource, store: GitStore, settings: RenderSettings) -> RenderResult:
    """Writes the working tree unless it commits, then only when `write_worktree` asks."""
    path = manifest_path(settings.cluster, settings.vrf)
    base = store.proposal_base(settings.proposal_branch, settings.reviewed_ref)
    baseline = base.parent
    committed = store.manifest_at(baseline, settings.cluster, settings.vrf)
    committed_routes = committed.routes if committed else ()
    reviewed_commit = store.resolve(settings.reviewed_ref)
    reviewed = (
        committed
        if reviewed_commit == baseline
        else store.manifest_at(reviewed_commit, settings.cluster, settings.vrf)
    )
    _refuse_decommissioned(path, settings, committed, reviewed)
    cluster = read_cluster(source, settings.cni_plugin, settings.cilium_namespace)
    policy = settings.policy.with_cilium_pools(cluster.cilium_config)
    computation = compute_routes(
        cluster.ipam,
        settings.cluster,
        settings.ip_family,
        committed_routes,
        partial(blocked_reason, policy=policy, check=configured_violation),
        node_networks=policy.node_networks,
    )
    manifest = Manifest(
        settings.cluster,
        settings.vrf,
        settings.cloud,
        str(cluster.ipam.mode),
        computation.routes,
    )
    if not settings.allow_mass_delete:
        _refuse_route_loss(reviewed.routes if reviewed else (), manifest, settings.max_route_loss)
    changes = route_changes(committed_routes, manifest.routes)
    content = render_manifest(manifest)
    if settings.write_worktree or not settings.commit:
        store.write_worktree(path, content)
    result = RenderResult(path, manifest, cluster, computation, _describe(baseline), changes, None)
    if not settings.commit:
        return result
    message = commit_message(path, changes, notes=_commit_notes(result, base))
    commit = store.commit_proposal(settings.proposal_branch, base, {path: content}, message)
    return replace(result, commit=commit, replaced=base.replaced)


def _refuse_decommissioned(
    path: str, settings: RenderSettings, proposal: Manifest | None, reviewed: Manifest | None
) -> None:
    if reviewed is not None and reviewed.decommission is not None:
        raise Decommissioned(
            f"render refused: {path} at {settings.reviewed_ref} is decommissioned (reason: "
            f"{reviewed.decommission}); no routes are rendered for this cluster and VRF until a "
            "reviewed pull request removes spec.decommission (or the file)"
        )
    if proposal is not None and proposal.decommission is not None:
        branch = settings.proposal_branch
        raise Decommissioned(
            f"render refused: the open proposal {branch} decommissions {path} (reason: "
            f"{proposal.decommission}); no routes are rendered while it is open. Merge it to "
            f"remove the routes, or drop it: close its pull request and delete the branch "
            f"{branch}, here and on the remote"
        )


def _refuse_route_loss(reviewed: Sequence[Route], manifest: Manifest, max_loss: float) -> None:
    removed = len({r.prefix for r in reviewed} - {r.prefix for r in manifest.routes})
    reason = route_loss_guard(len(reviewed), removed, len(manifest.routes), max_loss)
    if reason:
        raise GuardRefusal(f"render refused: {reason}")


def commit_message(
    path: str, changes: list[RouteChange], what: str | None = None, notes: Sequence[str] = ()
) -> str:
    """`what` leads the subject line, before the summary of the changes; `notes` are paragraphs
    after the changes (reconciler/commit_notes.py)."""
    subject = f"{what}: {summarize(changes)}" if what else summarize(changes)
    lines = [f"routes: {path}: {subject}", ""]
    lines.extend(change.describe() for change in changes[:COMMIT_DETAIL_LINES])
    if len(changes) > COMMIT_DETAIL_LINES:
        lines.append(f"... and {len(changes) - COMMIT_DETAIL_LINES} more")
    for note in notes:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def rebuild_notes(base: ProposalBase) -> list[str]:
    """The line that tells the reviewer the proposal was rebuilt from the reviewed ref."""
    if base.replaced is None or base.parent is None:
        return []
    return [rebuild_line(base.parent, base.replaced, base.conflicts)]


def _commit_notes(result: RenderResult, base: ProposalBase) -> list[str]:
    return [evidence_block(result.evidence), *rebuild_notes(base)]


def _describe(commit: str | None) -> str:
    return commit[:12] if commit else "nothing committed yet"
