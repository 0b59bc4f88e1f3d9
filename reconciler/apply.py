"""`apply` orchestration: reviewed manifest + applied record + live VRF -> writes. Its plan from
one read of the VRF (`plan_against`) is also what `plan` and `propose` show (target.py).

Only the reviewed ref is ever applied. Every write is computed from a fresh read of the VRF;
a 412 means someone wrote in between, so the VRF is read again and the plan recomputed.
After writing, the VRF is read back and our routes must equal what was intended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.avi.client import AviClient, VrfConflict
from reconciler.errors import ApiError, GuardRefusal, InputError
from reconciler.gitstore import GitStore
from reconciler.guards import empty_target_guard, max_delete_guard
from reconciler.manifest import Manifest, manifest_path
from reconciler.ownership import LiveState, classify
from reconciler.plan import Change, Plan, selected_changes, three_way_plan
from reconciler.policy import RoutePolicy, enforce
from reconciler.routes import Route
from reconciler.vrf_update import actual_ours, expected_ours, patch_bodies, rebuilt_static_routes

WriteMode = Literal["put", "patch"]
MAX_CONFLICT_RETRIES = 8


@dataclass(frozen=True)
class Target:
    cluster: str
    vrf: str
    cloud: str


@dataclass(frozen=True)
class ApplySettings:
    target: Target
    reviewed_ref: str = "main"
    remote: str = "origin"
    heal: bool = False
    write_mode: WriteMode = "put"
    max_delete: int | None = None
    allow_mass_delete: bool = False
    dry_run: bool = False
    require_signed_commits: bool = False
    policy: RoutePolicy = field(default_factory=RoutePolicy)


@dataclass
class ApplyResult:
    reviewed_commit: str
    plan: Plan
    applied: list[Change] = field(default_factory=list)
    skipped_conflicts: list[Change] = field(default_factory=list)
    writes: int = 0
    conflicts_retried: int = 0
    last_modified: str | None = None
    recorded: bool = False


def check_manifest_target(manifest: Manifest, target: Target, where: str) -> None:
    if (manifest.cluster, manifest.vrf, manifest.cloud) != (
        target.cluster,
        target.vrf,
        target.cloud,
    ):
        raise InputError(
            f"{where}: metadata is cluster {manifest.cluster!r} vrf {manifest.vrf!r} cloud "
            f"{manifest.cloud!r}, but the settings say cluster {target.cluster!r} vrf "
            f"{target.vrf!r} cloud {target.cloud!r}"
        )


def load_base_routes(store: GitStore, target: Target) -> tuple[Route, ...] | None:
    """The routes at the last applied commit; None when nothing was applied yet."""
    applied = store.applied_commit(target.cluster, target.vrf)
    if applied is None:
        return None
    base = store.manifest_at(applied, target.cluster, target.vrf)
    return base.routes if base else ()


def plan_against(
    avi: AviClient,
    vrf_uuid: str,
    target: Target,
    base: Sequence[Route] | None,
    wanted: Sequence[Route],
    policy: RoutePolicy,
) -> tuple[dict[str, Any], LiveState, Plan]:
    """A route the policy blocks is left as it is on Avi: never written, never deleted."""
    vrf_object = avi.get_vrf(vrf_uuid)
    static_routes = vrf_object.get("static_routes") or []
    if not isinstance(static_routes, list):
        raise ApiError(
            f"VRF {target.vrf}: static_routes is a {type(static_routes).__name__}, "
            "not a list; refusing to plan from it"
        )
    live = classify(static_routes, target.cluster)
    allowed, blocked = enforce(wanted, policy)
    plan = three_way_plan(target.cluster, target.vrf, base, allowed, live, blocked)
    return vrf_object, live, plan


def apply_reviewed(store: GitStore, avi: AviClient, settings: ApplySettings) -> ApplyResult:
    target = settings.target
    reviewed = store.reviewed_commit(settings.reviewed_ref, settings.remote)
    if settings.require_signed_commits:
        problem = store.verify_signature(reviewed)
        if problem:
            raise GuardRefusal(f"reviewed head {reviewed[:12]} has no valid signature: {problem}")
    path = manifest_path(target.cluster, target.vrf)
    wanted = store.manifest_at(reviewed, target.cluster, target.vrf)
    if wanted is None:
        raise InputError(
            f"{path} does not exist at the reviewed ref {settings.reviewed_ref} ({reviewed[:12]})"
        )
    check_manifest_target(wanted, target, f"{path}@{reviewed[:12]}")
    base = load_base_routes(store, target)
    vrf_uuid = str(avi.find_vrf(target.vrf, target.cloud)["uuid"])
    result = reconcile_vrf(avi, vrf_uuid, base, wanted.routes, settings)
    result.reviewed_commit = reviewed
    # Recorded only when every reviewed route is on Avi: a skipped or blocked one stays a
    # reviewed change in the next plan instead of turning into drift.
    complete = not (result.skipped_conflicts or result.plan.blocked)
    if (
        complete
        and not settings.dry_run
        and store.applied_commit(target.cluster, target.vrf) != reviewed
    ):
        store.record_applied(target.cluster, target.vrf, reviewed, settings.remote)
        result.recorded = True
    return result


def reconcile_vrf(
    avi: AviClient,
    vrf_uuid: str,
    base: Sequence[Route] | None,
    wanted: Sequence[Route],
    settings: ApplySettings,
) -> ApplyResult:
    """Plan from a fresh read, guard, write, verify; on 412 start over from a new read."""
    for attempt in range(MAX_CONFLICT_RETRIES):
        vrf_object, live, plan = plan_against(
            avi, vrf_uuid, settings.target, base, wanted, settings.policy
        )
        result = ApplyResult("", plan, conflicts_retried=attempt)
        changes = selected_changes(plan, settings.heal)
        result.skipped_conflicts = [c for c in plan.changes if c.conflict and c not in changes]
        if not settings.allow_mass_delete:
            _refuse_mass_delete(changes, live, len(wanted), settings.max_delete)
        if settings.dry_run or not changes:
            return result
        try:
            result.writes, stored = _write(avi, vrf_uuid, vrf_object, live, changes, settings)
        except VrfConflict:
            continue
        result.applied = changes
        result.last_modified = _verify(stored, settings.target, live, changes)
        return result
    raise ApiError(
        f"VRF {settings.target.vrf}: still conflicting after {MAX_CONFLICT_RETRIES} re-reads "
        "(412); another writer is busy, rerun later"
    )


def _refuse_mass_delete(
    changes: list[Change], live: LiveState, target_routes: int, max_delete: int | None
) -> None:
    deletions = sum(1 for change in changes if change.action == "delete")
    reason = empty_target_guard(target_routes, len(live.ours))
    reason = reason or max_delete_guard(deletions, len(live.ours), max_delete)
    if reason:
        raise GuardRefusal(f"apply refused: {reason}")


def _write(
    avi: AviClient,
    vrf_uuid: str,
    vrf_object: dict[str, Any],
    live: LiveState,
    changes: list[Change],
    settings: ApplySettings,
) -> tuple[int, dict[str, Any]]:
    """How many writes, and the controller's answer to the last: the VRF as it stored it."""
    cluster = settings.target.cluster
    if settings.write_mode == "patch":
        bodies = patch_bodies(live, changes, cluster)
        writes: list[tuple[str, list[Any]]] = [("delete", list(bodies.delete)), ("add", bodies.add)]
        sent = [(op, entries) for op, entries in writes if entries]
        stored: dict[str, Any] = {}
        for op, entries in sent:
            stored = {}  # drop the previous answer, a whole VRF, before reading the next
            stored = avi.patch_vrf(vrf_uuid, op, entries)
        return len(sent), stored
    static_routes = rebuilt_static_routes(
        vrf_object.get("static_routes") or [], live, changes, cluster
    )
    body = {**vrf_object, "static_routes": list(static_routes)}
    return 1, avi.put_vrf(vrf_uuid, body)


def _verify(after: dict[str, Any], target: Target, live: LiveState, changes: list[Change]) -> str:
    """Checked on the controller's answer to the last write, the VRF as it stored it: a
    separate read-back would cost another transfer of the whole VRF."""
    if actual_ours(classify(after.get("static_routes") or [], target.cluster)) != expected_ours(
        live, changes
    ):
        raise ApiError(
            f"VRF {target.vrf}: after the write, Avi does not hold the intended routes; "
            "another writer changed them, or the write was partly lost: run plan"
        )
    return str(after.get("_last_modified", ""))
