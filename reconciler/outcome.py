"""What an apply did: its result, one honest outcome line, and its exit code. The exit code of a
plan is the one its apply would give, so `plan`, `apply` and `run` agree. Pure.

0: nothing to do. 2: changes written or pending, drift included (Avi differs from git; only
`--heal` writes it). 3: a reviewed change stays off Avi: skipped, since its route changed on Avi
(`--heal` overrides), or blocked (a foreign route holds its prefix, or the route policy refuses
it). Errors (1) and guard refusals (3) are raised, not returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.applied_record import PendingRoute, RecordOutcome, applied_tag
from reconciler.errors import EXIT_CHANGED, EXIT_OK, EXIT_REFUSED
from reconciler.plan import Change, Plan, heals, selected_changes

MAX_LISTED = 5  # prefixes named on the line; every one is also reported on its own line


@dataclass
class ApplyResult:
    reviewed_commit: str
    plan: Plan
    applied: list[Change] = field(default_factory=list)
    skipped_conflicts: list[Change] = field(default_factory=list)
    pending: tuple[PendingRoute, ...] = ()
    writes: int = 0
    conflicts_retried: int = 0
    last_modified: str | None = None
    record: RecordOutcome | None = None  # None: nothing recorded (a dry run, or superseded)
    superseded_by: str | None = None  # a newer reviewed commit is recorded: nothing was done
    local_only: bool = False  # the repository has no remote


def plan_exit_code(plan: Plan, heal: bool = False) -> int:
    if plan.blocked or (not heals(plan, heal) and any(c.conflict for c in plan.changes)):
        return EXIT_REFUSED
    return EXIT_CHANGED if plan.changes else EXIT_OK


def apply_exit_code(result: ApplyResult, heal: bool) -> int:
    return EXIT_OK if result.superseded_by else plan_exit_code(result.plan, heal)


def apply_outcome(result: ApplyResult, heal: bool, dry_run: bool, pod_pools: bool) -> str:
    """One line: what was applied, skipped (with the override) and blocked (with the holder),
    the drift left, where the record stands, and what was not checked."""
    plan = result.plan
    head = f"apply {result.reviewed_commit[:12]} to VRF {plan.vrf}: "
    if result.superseded_by:
        return head + (
            f"nothing written: the applied record is at {result.superseded_by[:12]}, a newer "
            "reviewed commit than this one"
        )
    selected = selected_changes(plan, heal)
    parts = [
        f"dry run: would apply {len(selected)} change(s), nothing written"
        if dry_run
        else f"applied {len(result.applied)} change(s) in {result.writes} write(s), "
        f"{result.conflicts_retried} re-read(s) after 412"
    ]
    if plan.decommission is not None:
        parts.append(f"decommission reviewed ({plan.decommission}): every route of ours goes")
    if result.skipped_conflicts:
        parts.append(
            f"skipped {len(result.skipped_conflicts)} (changed on Avi since the last apply; "
            "--heal overrides): "
            + _listed(f"{change.prefix} ({change.conflict})" for change in result.skipped_conflicts)
        )
    if plan.blocked:
        parts.append(
            f"blocked {len(plan.blocked)}: "
            + _listed(f"{entry.route.prefix} ({entry.reason})" for entry in plan.blocked)
        )
    drift = [c for c in plan.changes if c.origin == "drift" and c not in selected]
    if drift:
        parts.append(f"drift {len(drift)} left in place (--heal undoes it)")
    if result.record is not None:
        parts.append(_record(result.record, plan))
    if result.local_only:
        parts.append("local only: the repository has no remote")
    if not pod_pools:
        parts.append("route policy: no pod pools configured (--allowed-pod-cidr)")
    return head + "; ".join(parts)


def _record(outcome: RecordOutcome, plan: Plan) -> str:
    record = outcome.record
    if outcome.status == "newer kept":
        return f"record left at the newer reviewed commit {record.commit[:12]}"
    state = f"{len(record.pending)} reviewed route(s) pending" if record.pending else "complete"
    tag = applied_tag(plan.cluster, plan.vrf)
    if outcome.status == "recorded":
        return f"recorded {tag} -> {record.commit[:12]} ({state})"
    return f"record {tag} already at {record.commit[:12]} ({state})"


def _listed(items: Iterable[str]) -> str:
    listed = list(items)
    more = len(listed) - MAX_LISTED
    return ", ".join(listed[:MAX_LISTED]) + (f", and {more} more" if more > 0 else "")
