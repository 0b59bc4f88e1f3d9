"""Renderings of a plan: text for terminals, JSON for machines, markdown for pull requests.

In markdown, every text that came from outside (node names, route ids, reasons, warnings,
evidence) goes through ``literal``; code spans hold only what this tool parsed (prefixes, next
hops) or validated (cluster and VRF names)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from reconciler.addresses import IPNetwork
from reconciler.markdown_text import literal
from reconciler.plan import Change, Plan
from reconciler.routes import Route

_COLORS = {"add": "\033[32m", "delete": "\033[31m", "update": "\033[33m"}
_RESET = "\033[0m"


def headline(plan: Plan) -> str:
    s = plan.summary
    return (
        f"plan for cluster {plan.cluster}, VRF {plan.vrf}: {s['git']} reviewed change(s), "
        f"{s['drift']} drift, {s['conflicts']} conflict(s), {s['blocked']} blocked"
    )


def teardown_banner(plan: Plan) -> str | None:
    """What a reviewed teardown deletes, said before any table, so no reviewer misses it."""
    if plan.decommission is None:
        return None
    deleted = sum(1 for change in plan.changes if change.action == "delete")
    return (
        f"DECOMMISSION of cluster {plan.cluster} in VRF {plan.vrf} (reason: {plan.decommission}): "
        f"apply deletes every route of ours in this VRF, {deleted} listed below (drift and "
        "routes changed on Avi included), and nothing else; foreign routes stay. "
        "Later runs write no routes for this cluster until spec.decommission is removed in review"
    )


def render_text(plan: Plan, color: bool = False) -> str:
    lines = [headline(plan)]
    banner = teardown_banner(plan)
    if banner:
        lines.append(f"  {banner}")
    teardown = plan.decommission is not None
    shared = _shared_with(plan)
    rows = [_text_row(change, teardown, shared.get(change.prefix)) for change in plan.changes]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    for change, row in zip(plan.changes, rows, strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        line = "  " + "  ".join([*cells, row[4]]).rstrip()
        if color:
            line = f"{_COLORS[change.action]}{line}{_RESET}"
        lines.append(line)
    lines.extend(
        f"  blocked {entry.route.prefix} via {entry.route.next_hop} (node {entry.route.node}): "
        f"{entry.reason}"
        for entry in plan.blocked
    )
    if plan.shared:
        lines.append(f"  {_shared_sentence(plan)}")
    lines.extend(f"  warning: {warning}" for warning in plan.warnings)
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2) + "\n"


def render_markdown(plan: Plan, evidence: Sequence[str] = (), notes: Sequence[str] = ()) -> str:
    """``notes``: what the reviewer must know about the proposal itself (it was rebuilt)."""
    reviewed = [c for c in plan.changes if c.origin == "git"]
    drift = [c for c in plan.changes if c.origin == "drift"]
    parts = [f"### route-reconciler: `{plan.cluster}` / VRF `{plan.vrf}`", "", headline(plan) + "."]
    for note in notes:  # repository text: made literal
        parts += ["", f"> [!NOTE]\n> {literal(note)}"]
    banner = teardown_banner(plan)
    if banner:
        parts += ["", f"> [!WARNING]\n> **{literal(banner)}.**"]  # the reason is repository text
    shared = _shared_with(plan)
    parts += _markdown_table("Reviewed changes", reviewed, shared)
    drift_applied = "deleted by the teardown" if plan.decommission else "applied only with `--heal`"
    parts += _markdown_table(f"Drift (Avi changed outside git; {drift_applied})", drift, shared)
    if plan.shared:
        parts += ["", _shared_sentence(plan)]
    if plan.blocked:
        parts += ["", "#### Blocked", ""]
        parts += [
            f"- `{b.route.prefix}` via `{b.route.next_hop}` (node {literal(b.route.node)}): "
            f"{literal(b.reason)}"
            for b in plan.blocked
        ]
    if plan.warnings:
        parts += ["", "#### Warnings", ""] + [f"- {literal(warning)}" for warning in plan.warnings]
    if evidence:
        parts += ["", "#### IPAM evidence", ""] + [f"- {literal(line)}" for line in evidence]
    return "\n".join(parts) + "\n"


def _shared_with(plan: Plan) -> dict[IPNetwork, str]:
    return {entry.prefix: f"shared with {entry.shared_with}" for entry in plan.shared}


def _shared_sentence(plan: Plan) -> str:
    return (
        f"{len(plan.shared)} of our prefixes are also held by foreign routes labelled for other "
        "SE groups: ours is written beside them, and each reaches only the SE groups with its "
        "label."
    )


def _text_row(change: Change, teardown: bool, shared: str | None) -> list[str]:
    notes = ["adopted from AKO"] if change.adopted else []
    if change.conflict:
        notes = [f"CONFLICT: {change.conflict}"]
    elif change.origin == "drift" and not teardown:
        notes.append("applied only with --heal")
    note = "; ".join([*notes, *([shared] if shared else [])])
    return [
        change.origin,
        change.action,
        str(change.prefix),
        f"{_hop(change.before)} -> {_hop(change.after)}",
        note,
    ]


def _markdown_table(title: str, changes: list[Change], shared: dict[IPNetwork, str]) -> list[str]:
    if not changes:
        return []
    rows = [
        "",
        f"#### {title}",
        "",
        "| action | prefix | Avi now | after | node | note |",
        "|---|---|---|---|---|---|",
    ]
    for change in changes:
        adopted_from = change.before.route_id if change.before else ""
        note = f"adopted from AKO id {literal(adopted_from)}" if change.adopted else ""
        if change.conflict:
            note = f"**conflict**: {literal(change.conflict)}"
        if change.prefix in shared:
            note = "; ".join(filter(None, [note, literal(shared[change.prefix])]))
        rows.append(
            f"| {change.action} | `{change.prefix}` | {_hop(change.before)} | {_hop(change.after)} "
            f"| {literal(change.route.node)} | {note} |"
        )
    return rows


def _hop(route: Route | None) -> str:
    return "(none)" if route is None else str(route.next_hop)
