"""Which manifest a plan is for, and its plan against the live VRF.

The target is the proposal branch (what its pull request would merge), the working tree (what
render just wrote) or the reviewed ref (what apply writes). Against it stand the manifest of
the last applied commit and the routes Avi holds now.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal

from reconciler.apply import Target, check_manifest_target, load_base_routes, plan_against
from reconciler.avi.client import AviClient
from reconciler.errors import InputError
from reconciler.gitstore import GitStore
from reconciler.manifest import Manifest, manifest_path, parse_manifest
from reconciler.plan import Plan
from reconciler.policy import RoutePolicy

TargetSource = Literal["proposal", "worktree", "reviewed"]
AviFactory = Callable[[], AbstractContextManager[AviClient]]


@dataclass(frozen=True)
class PlanSettings:
    target: Target
    branch: str
    reviewed_ref: str = "main"
    remote: str = "origin"
    source: TargetSource = "proposal"
    policy: RoutePolicy = field(default_factory=RoutePolicy)


def target_manifest(store: GitStore, settings: PlanSettings) -> Manifest:
    target = settings.target
    path = manifest_path(target.cluster, target.vrf)
    if settings.source == "worktree":
        content = store.read_worktree(path)
        if content is None:
            raise InputError(
                f"{store.root / path} does not exist: run render (without --commit, or with "
                "--write-worktree) first"
            )
        manifest = parse_manifest(content, str(store.root / path))
    else:
        commit = _target_commit(store, settings)
        found = store.manifest_at(commit, target.cluster, target.vrf)
        if found is None:
            raise InputError(f"{path} does not exist at {settings.source} commit {commit[:12]}")
        manifest = found
    check_manifest_target(manifest, target, path)
    return manifest


def live_plan(store: GitStore, settings: PlanSettings, avi: AviFactory) -> Plan:
    """What apply would do if the target were reviewed. Writes nothing."""
    target = settings.target
    wanted = target_manifest(store, settings)
    base = load_base_routes(store, target)
    with avi() as client:
        vrf_uuid = str(client.find_vrf(target.vrf, target.cloud)["uuid"])
        return plan_against(
            client, vrf_uuid, target, base, wanted.routes, settings.policy, wanted.decommission
        )[2]


def _target_commit(store: GitStore, settings: PlanSettings) -> str:
    if settings.source == "reviewed":
        return store.reviewed_commit(settings.reviewed_ref, settings.remote)
    branch = settings.branch
    for ref in (f"refs/heads/{branch}", f"refs/remotes/{settings.remote}/{branch}"):
        commit = store.resolve(ref)
        if commit:
            return commit
    raise InputError(f"proposal branch {branch} does not exist: run render --commit first")
