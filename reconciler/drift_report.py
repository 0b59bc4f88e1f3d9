"""The drift report: one open issue per cluster and VRF while Avi holds routes of ours that
differ from the reviewed manifest outside a review. Pure: what to do with the report follows
from the report the last run left open and the drift this run found.

Nothing is opened without drift; an unchanged report is not edited (its rendered body decides),
and a report whose drift is gone is closed with a comment saying why: healed by ``--heal``, or
Avi agrees with the reviewed manifest again (the change was accepted in git, or undone on Avi).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from reconciler.manifest import manifest_path
from reconciler.markdown_text import literal
from reconciler.plan import Change
from reconciler.routes import Route

LABEL: Final = "route-reconciler-drift"
LABEL_COLOR: Final = "d93f0b"
LABEL_DESCRIPTION: Final = "Avi differs from the reviewed routes (route-reconciler)"

# What apply would do to Avi, read as what happened on Avi outside git.
_ON_AVI: Final = {"update": "changed", "add": "removed", "delete": "added"}

ReportAction = Literal["open", "update", "close", "keep", "none"]
DriftEvent = Literal["appeared", "changed", "cleared"]
_EVENTS: Final[dict[ReportAction, DriftEvent]] = {
    "open": "appeared",
    "update": "changed",
    "close": "cleared",
}


@dataclass(frozen=True)
class OpenReport:
    """The report a previous run left open."""

    number: int
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class DriftDecision:
    action: ReportAction
    title: str = ""
    body: str = ""
    comment: str = ""  # why a report is closed
    report: OpenReport | None = None  # the one to update or close

    @property
    def event(self) -> DriftEvent | None:
        return _EVENTS.get(self.action)


def marker(cluster: str, vrf: str) -> str:
    return f"<!-- route-reconciler:drift:{cluster}/{vrf} -->"


def decide(
    previous: OpenReport | None,
    drift: Sequence[Change],
    *,
    cluster: str,
    vrf: str,
    reviewed_ref: str,
    healed: bool,
) -> DriftDecision:
    """``drift``: the drift changes still on Avi after this run; ``healed``: this run wrote
    drift back to the reviewed routes."""
    if not drift:
        if previous is None:
            return DriftDecision("none")
        return DriftDecision("close", comment=_closing(healed, reviewed_ref), report=previous)
    title, body = report_text(drift, cluster=cluster, vrf=vrf, reviewed_ref=reviewed_ref)
    if previous is None:
        return DriftDecision("open", title, body)
    if (previous.title, previous.body) == (title, body):
        return DriftDecision("keep", title, body, report=previous)
    return DriftDecision("update", title, body, report=previous)


def report_text(
    drift: Sequence[Change], *, cluster: str, vrf: str, reviewed_ref: str
) -> tuple[str, str]:
    """Title and body; the same drift gives the same text, byte for byte."""
    path = manifest_path(cluster, vrf)
    title = f"Drift: {cluster}/{vrf}: {len(drift)} route(s) on Avi differ from git"
    select = f"--cluster-name {cluster} --vrf {vrf}"
    rows = [
        marker(cluster, vrf),
        f"### Drift on `{cluster}` / VRF `{vrf}`",
        "",
        f"Avi holds {len(drift)} route(s) of this cluster that differ from the reviewed manifest "
        f"`{path}` on {literal(reviewed_ref)}: they were changed on Avi, outside git. "
        "route-reconciler leaves them as they are until told otherwise.",
        "",
        "| on Avi | prefix | Avi now | reviewed | node | Avi route id |",
        "|---|---|---|---|---|---|",
        *(_row(change) for change in drift),
        "",
        "**Heal**: write the reviewed routes back to Avi (or let the scheduled job do it once, "
        "with `heal: true` in its settings):",
        "",
        f"    route-reconciler apply {select} --heal",
        "",
        f"**Accept**: make `{path}` on {literal(reviewed_ref)} say what Avi holds, in a reviewed "
        "pull request. The next render proposes the cluster's routes again, so accept only what "
        "the cluster will say too.",
        "",
        f"**Look again**: `route-reconciler plan {select} --target reviewed`",
        "",
        "This issue is edited when the drift changes and closed when it is gone.",
    ]
    return title, "\n".join(rows) + "\n"


def _row(change: Change) -> str:
    live, reviewed = change.before, change.after
    route_id = literal(live.route_id) if live else ""
    return (
        f"| {_ON_AVI[change.action]} | `{change.prefix}` | {_hop(live)} | {_hop(reviewed)} "
        f"| {literal(change.route.node)} | {route_id} |"
    )


def _hop(route: Route | None) -> str:
    return "(none)" if route is None else f"`{route.next_hop}`"


def _closing(healed: bool, reviewed_ref: str) -> str:
    if healed:
        return (
            "Healed: `--heal` wrote the reviewed routes back to Avi; no drift is left. "
            "Closing this report."
        )
    return (
        f"No drift is left: Avi agrees with the reviewed manifest on {literal(reviewed_ref)} "
        "again (the change was accepted in git, or undone on Avi). Closing this report."
    )
