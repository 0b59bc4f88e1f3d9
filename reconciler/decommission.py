"""`decommission`: propose, for review, the removal of every route of a cluster in one VRF.

A cluster that is deleted, or moved to NodePort or NodePortLocal, needs no routes, but an empty
manifest is exactly what a failed read looks like, so apply refuses it. This commits the
explicit marker instead (`spec.decommission: {reason}`, no routes) on the proposal branch and
opens or updates its pull request through the propose stage; once merged, apply removes exactly
our routes. The cluster is not read: it may be gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.apply import Target, check_manifest_target
from reconciler.changes import route_changes
from reconciler.errors import InputError
from reconciler.gitstore import GitStore
from reconciler.manifest import Manifest, manifest_path, render_manifest, validate_reason
from reconciler.propose import GitHubFactory, ProposalSettings, ProposeResult, run_propose
from reconciler.render import commit_message, rebuild_notes
from reconciler.routes import Route
from reconciler.target import AviFactory


@dataclass(frozen=True)
class DecommissionSettings:
    """`proposal` names the target, the proposal branch, the reviewed ref and the remote."""

    proposal: ProposalSettings
    reason: str
    propose: bool = True


@dataclass(frozen=True)
class DecommissionResult:
    path: str
    removed: tuple[Route, ...]  # the reviewed routes the teardown removes
    commit: str | None  # None: the proposal branch already holds this teardown
    proposal: ProposeResult | None = None

    @property
    def changed(self) -> bool:
        return self.commit is not None or bool(self.proposal and self.proposal.changed)


def decommission(
    store: GitStore, settings: DecommissionSettings, github: GitHubFactory, avi: AviFactory
) -> DecommissionResult:
    refs = settings.proposal.plan
    target = refs.target
    try:
        reason = validate_reason(settings.reason)
    except ValueError as problem:
        raise InputError(f"--reason {problem}") from None
    reviewed = store.reviewed_commit(refs.reviewed_ref, refs.remote)
    store.sync_branch(refs.branch, refs.remote)
    path = manifest_path(target.cluster, target.vrf)
    reviewed_manifest = _reviewed_manifest(store, reviewed, target, refs.reviewed_ref)
    base = store.proposal_base(refs.branch, reviewed)
    proposed = store.manifest_at(base.parent, target.cluster, target.vrf)
    manifest = Manifest(
        target.cluster, target.vrf, target.cloud, reviewed_manifest.ipam_mode, (), reason
    )
    changes = route_changes(proposed.routes if proposed else (), ())
    message = commit_message(path, changes, f"decommission ({reason})", rebuild_notes(base))
    commit = store.commit_proposal(refs.branch, base, {path: render_manifest(manifest)}, message)
    result = DecommissionResult(path, reviewed_manifest.routes, commit)
    if not settings.propose:
        return result
    proposal = run_propose(store, settings.proposal, github, avi, [])
    return DecommissionResult(path, reviewed_manifest.routes, commit, proposal)


def _reviewed_manifest(store: GitStore, reviewed: str, target: Target, ref: str) -> Manifest:
    """Only what was reviewed can be torn down through review."""
    path = manifest_path(target.cluster, target.vrf)
    found = store.manifest_at(reviewed, target.cluster, target.vrf)
    if found is None:
        raise InputError(
            f"{path} does not exist at the reviewed ref {ref} ({reviewed[:12]}): no route of "
            "this cluster and VRF was ever reviewed, so there is nothing to decommission"
        )
    check_manifest_target(found, target, f"{path}@{reviewed[:12]}")
    return found
