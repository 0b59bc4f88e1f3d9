"""An apply's result as the review sees it: a commit status on the applied commit and one
comment on the pull request the commit came from. Pure.

Only an apply that had work to do reports: something written, a reviewed change skipped, or a
route blocked. The status is success when every reviewed change reached Avi, failure otherwise,
and failure for an apply that was refused or failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from reconciler.markdown_text import literal
from reconciler.outcome import ApplyResult
from reconciler.plan import Change

DESCRIPTION_LIMIT: Final = 140  # GitHub refuses a longer status description

StatusState = Literal["success", "failure"]


@dataclass(frozen=True)
class ApplyStatus:
    state: StatusState
    context: str
    description: str


def status_context(cluster: str, vrf: str) -> str:
    return f"route-reconciler/apply/{cluster}/{vrf}"


def comment_marker(cluster: str, vrf: str) -> str:
    return f"<!-- route-reconciler:apply:{cluster}/{vrf} -->"


def had_work(result: ApplyResult) -> bool:
    return not result.superseded_by and bool(
        result.applied or result.skipped_conflicts or result.plan.blocked
    )


def left_off(result: ApplyResult) -> int:
    """Reviewed changes the apply could not make: skipped, or blocked."""
    return len(result.skipped_conflicts) + len(result.plan.blocked)


def apply_status(result: ApplyResult) -> ApplyStatus:
    """A failure names what is left off, not what this run wrote, so it reads the same on
    each run until that changes."""
    plan = result.plan
    context = status_context(plan.cluster, plan.vrf)
    if not left_off(result):
        return ApplyStatus("success", context, f"applied {len(result.applied)} change(s)")
    parts = []
    if result.skipped_conflicts:
        parts.append(f"skipped {len(result.skipped_conflicts)} changed on Avi (--heal overrides)")
    if plan.blocked:
        parts.append(f"blocked {len(plan.blocked)} (a foreign route or the route policy)")
    return ApplyStatus("failure", context, _fit("not on Avi: " + "; ".join(parts)))


def failure_status(cluster: str, vrf: str, reason: str) -> ApplyStatus:
    """An apply that a guard refused or an error stopped: ``reason`` is its message."""
    return ApplyStatus("failure", status_context(cluster, vrf), _fit(reason))


def outcome_comment(result: ApplyResult, outcome_line: str) -> str:
    """The table of what happened to each route the apply had to do with."""
    plan = result.plan
    rows = [_row("applied", change, "") for change in result.applied]
    rows += [
        _row("skipped", change, f"{literal(change.conflict or '')}; `--heal` overrides")
        for change in result.skipped_conflicts
    ]
    rows += [
        f"| blocked | add | `{entry.route.prefix}` | `{entry.route.next_hop}` "
        f"| {literal(entry.route.node)} | {literal(entry.reason)} |"
        for entry in plan.blocked
    ]
    verdict = (
        "Every reviewed change is on Avi."
        if not left_off(result)
        else f"{left_off(result)} reviewed change(s) are not on Avi yet; the applied record keeps "
        "them pending, so each run tries them again."
    )
    lines = [
        comment_marker(plan.cluster, plan.vrf),
        f"### Applied to Avi: `{plan.cluster}` / VRF `{plan.vrf}`",
        "",
        f"Commit `{result.reviewed_commit[:12]}`. {verdict}",
        "",
        "| result | action | prefix | next hop | node | why |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Outcome: {literal(outcome_line)}",
    ]
    return "\n".join(lines) + "\n"


def failure_comment(cluster: str, vrf: str, commit: str, reason: str) -> str:
    lines = [
        comment_marker(cluster, vrf),
        f"### Apply to Avi failed: `{cluster}` / VRF `{vrf}`",
        "",
        f"Commit `{commit[:12]}` is not applied: {literal(reason)}",
        "",
        "The next run reads Avi and the applied record again and tries again.",
    ]
    return "\n".join(lines) + "\n"


def _row(result: str, change: Change, why: str) -> str:
    route = change.after or change.before
    hop = f"`{route.next_hop}`" if route is not None else ""
    origin = " (drift healed)" if change.origin == "drift" else ""
    return (
        f"| {result} | {change.action}{origin} | `{change.prefix}` | {hop} "
        f"| {literal(change.route.node)} | {why} |"
    )


def _fit(text: str) -> str:
    """One line within GitHub's limit, cut with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= DESCRIPTION_LIMIT:
        return line
    return line[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
