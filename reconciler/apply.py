"""`apply` orchestration: reviewed manifest + applied record + live VRF -> writes. Its plan from
one read of the VRF (`plan_against`) is also what `plan` and `propose` show (target.py).

Only the reviewed ref is ever applied. Every write is computed from a fresh read of the VRF;
a 412 means someone wrote in between, so the VRF and the applied record are read again and the
plan recomputed. After writing, the VRF is read back and our routes must equal what was
intended. Then the record moves forward to the reviewed commit, naming the reviewed routes
still pending (blocked or skipped), and never back over a newer reviewed commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.applied_record import AppliedRecord, effective_base, still_pending
from reconciler.avi.client import AviClient, VrfConflict
from reconciler.collector import collector_paused
from reconciler.errors import ApiError, GuardRefusal, InputError
from reconciler.gitstore import GitStore, StoredRecord
from reconciler.guards import ako_sync_guard, empty_target_guard, max_add_guard, max_delete_guard
from reconciler.manifest import Manifest, manifest_path
from reconciler.outcome import ApplyResult
from reconciler.ownership import LiveState, classify, held_routes
from reconciler.plan import Change, Plan, selected_changes, three_way_plan
from reconciler.policy import RoutePolicy, enforce
from reconciler.routes import Route
from reconciler.vrf_update import VrfWrite, WriteMode, vrf_write

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
    max_add: int | None = None
    allow_mass_add: bool = False
    ako_still_syncing: str | None = None  # the --ako-values file saying AKO writes these routes
    allow_ako_sync: bool = False
    dry_run: bool = False
    require_signed_commits: bool = False
    policy: RoutePolicy = field(default_factory=RoutePolicy)


class Superseded(Exception):
    """The applied record names a newer reviewed commit than the one this apply read."""

    def __init__(self, commit: str) -> None:
        super().__init__(commit)
        self.commit = commit


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
    """The base of a plan: the reviewed state of every applied route, and for each pending
    route the base it had; None when nothing was applied yet."""
    return base_routes(store, store.read_record(target.cluster, target.vrf).record, target)


def base_routes(
    store: GitStore, record: AppliedRecord | None, target: Target
) -> tuple[Route, ...] | None:
    if record is None:
        return None
    applied = store.manifest_at(record.commit, target.cluster, target.vrf)
    return effective_base(applied.routes if applied else (), record.pending)


class AppliedRecordReader:
    """The applied record as this apply last read it: plans start from its base, and the new
    record is compared and swapped against it."""

    def __init__(self, store: GitStore, target: Target, reviewed: str, remote: str | None):
        self.store, self.target, self.reviewed, self.remote = store, target, reviewed, remote
        self.seen: StoredRecord = store.read_record(target.cluster, target.vrf)

    def base(self) -> tuple[Route, ...] | None:
        """Raises Superseded when a newer reviewed commit is recorded: planning from its base
        towards this older target would undo reviewed changes."""
        record = self.seen.record
        if (
            record is not None
            and record.commit != self.reviewed
            and self.store.is_ancestor(self.reviewed, record.commit)
        ):
            raise Superseded(record.commit)
        return base_routes(self.store, record, self.target)

    def fetched_base(self) -> tuple[Route, ...] | None:
        """After a 412 another apply may have recorded meanwhile: read the record again."""
        if self.remote is not None:
            self.store.fetch_applied_records(self.remote)
        self.seen = self.store.read_record(self.target.cluster, self.target.vrf)
        return self.base()


def plan_against(
    avi: AviClient,
    vrf_uuid: str,
    target: Target,
    base: Sequence[Route] | None,
    wanted: Sequence[Route],
    policy: RoutePolicy,
    decommission: str | None = None,
) -> tuple[dict[str, Any], LiveState, Plan]:
    """A route the policy blocks is left as it is on Avi: never written, never deleted.
    `decommission`: the reason, when the target is a reviewed teardown."""
    with collector_paused():  # a VRF of 60,000 routes is a million objects: see collector.py
        vrf_object = avi.get_vrf(vrf_uuid)
        static_routes = vrf_object.get("static_routes") or []
        if not isinstance(static_routes, list):
            raise ApiError(
                f"VRF {target.vrf}: static_routes is a {type(static_routes).__name__}, "
                "not a list; refusing to plan from it"
            )
        live = classify(static_routes, target.cluster)
        allowed, blocked = enforce(wanted, policy)
        plan = three_way_plan(
            target.cluster, target.vrf, base, allowed, live, blocked, decommission
        )
    return vrf_object, live, plan


def apply_reviewed(store: GitStore, avi: AviClient, settings: ApplySettings) -> ApplyResult:
    target = settings.target
    if not (settings.dry_run or settings.allow_ako_sync):
        _refuse(ako_sync_guard(settings.ako_still_syncing))
    reviewed = store.reviewed_commit(settings.reviewed_ref, settings.remote)
    remote = settings.remote if store.uses_remote(settings.remote) else None
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
    record = AppliedRecordReader(store, target, reviewed, remote)
    try:
        base = record.base()
        vrf_uuid = str(avi.find_vrf(target.vrf, target.cloud)["uuid"])
        result = reconcile_vrf(
            avi, vrf_uuid, base, wanted.routes, settings, record.fetched_base, wanted.decommission
        )
    except Superseded as newer:
        nothing = Plan(target.cluster, target.vrf, (), (), ())
        return ApplyResult(reviewed, nothing, superseded_by=newer.commit, local_only=not remote)
    result.reviewed_commit, result.local_only = reviewed, remote is None
    if not settings.dry_run:
        new_record = AppliedRecord(reviewed, result.pending)
        result.record = store.write_record(
            target.cluster, target.vrf, new_record, record.seen, remote
        )
    return result


def reconcile_vrf(
    avi: AviClient,
    vrf_uuid: str,
    base: Sequence[Route] | None,
    wanted: Sequence[Route],
    settings: ApplySettings,
    reread_base: Callable[[], Sequence[Route] | None] | None = None,
    decommission: str | None = None,
) -> ApplyResult:
    """Plan from a fresh read, guard, write, verify; on 412 start over from a new read, of the
    base too when `reread_base` is given. `decommission`: the reviewed teardown's reason.
    The cycle collector rests meanwhile: the VRF read and the answer are trees of a million
    objects it would walk again and again (collector.py)."""
    for attempt in range(MAX_CONFLICT_RETRIES):
        if attempt and reread_base is not None:
            base = reread_base()
        with collector_paused():
            result, write = _planned_write(avi, vrf_uuid, base, wanted, settings, decommission)
            result.conflicts_retried = attempt
            if write is None:
                return result
            try:
                result.writes, stored = _send(avi, vrf_uuid, write)
            except VrfConflict:
                continue
            result.applied = write.changes
            result.last_modified = _verify(stored, settings.target, write)
            return result
    raise ApiError(
        f"VRF {settings.target.vrf}: still conflicting after {MAX_CONFLICT_RETRIES} re-reads "
        "(412); another writer is busy, rerun later"
    )


def _planned_write(
    avi: AviClient,
    vrf_uuid: str,
    base: Sequence[Route] | None,
    wanted: Sequence[Route],
    settings: ApplySettings,
    decommission: str | None,
) -> tuple[ApplyResult, VrfWrite | None]:
    """The plan from a fresh read, guarded, and the write it needs (None for a dry run or
    nothing to do). The read is dropped on return: the write keeps nothing of it."""
    vrf_object, live, plan = plan_against(
        avi, vrf_uuid, settings.target, base, wanted, settings.policy, decommission
    )
    result = ApplyResult("", plan)
    changes = selected_changes(plan, settings.heal)
    result.skipped_conflicts = [c for c in plan.changes if c.conflict and c not in changes]
    unapplied = [b.route.prefix for b in plan.blocked]
    unapplied += [change.prefix for change in result.skipped_conflicts]
    planned_from = [lr.route for lr in live.ours.values()] if base is None else base
    result.pending = still_pending(planned_from, wanted, unapplied)
    _guard(plan, changes, live, len(wanted), settings)
    if settings.dry_run or not changes:
        return result, None
    target = settings.target
    return result, vrf_write(
        vrf_object, live, changes, target.cluster, target.vrf, settings.write_mode
    )


def _guard(
    plan: Plan, changes: list[Change], live: LiveState, target_routes: int, settings: ApplySettings
) -> None:
    """The deletion guards take the plan's teardown marker as the intent they ask for."""
    if not settings.allow_mass_delete:
        deletions = sum(1 for change in changes if change.action == "delete")
        _refuse(empty_target_guard(target_routes, len(live.ours), plan.decommission))
        _refuse(max_delete_guard(deletions, len(live.ours), settings.max_delete, plan.decommission))
    if not settings.allow_mass_add:
        additions = sum(1 for change in changes if change.action == "add")
        _refuse(max_add_guard(additions, settings.max_add))


def _refuse(reason: str | None) -> None:
    if reason:
        raise GuardRefusal(f"apply refused: {reason}")


def _send(avi: AviClient, vrf_uuid: str, write: VrfWrite) -> tuple[int, dict[str, Any]]:
    """How many writes, and the controller's answer to the last: the VRF as it stored it."""
    if write.put is not None:
        return 1, avi.put_vrf(vrf_uuid, write.put)
    stored: dict[str, Any] = {}
    for number, (op, entries) in enumerate(write.patches, start=1):
        # Only the last answer is read: an earlier one, a whole VRF, is checked but not built.
        stored = avi.patch_vrf(vrf_uuid, op, entries, unread=number < len(write.patches))
    return len(write.patches), stored


def _verify(after: dict[str, Any], target: Target, write: VrfWrite) -> str:
    """Checked on the controller's answer to the last write, the VRF as it stored it: a
    separate read-back would cost another transfer of the whole VRF."""
    if held_routes(after.get("static_routes") or [], target.cluster) != write.expected:
        raise ApiError(
            f"VRF {target.vrf}: after the write, Avi does not hold the intended routes; "
            "another writer changed them, or the write was partly lost: run plan"
        )
    return str(after.get("_last_modified", ""))
