"""The three-way plan: base (last applied manifest), target (reviewed manifest), live (Avi).

Identity is the prefix. For each prefix the plan says what apply would do to Avi (before = live,
after = target) and why: `git` when base -> target changed it (the change a reviewer approved),
`drift` when git did not change it but Avi differs (someone changed Avi outside git). A git
change whose live route no longer matches base has conflicting drift and is marked so.
A plan toward a decommissioned manifest (a reviewed teardown) carries its reason: apply then
removes every route of ours, drift and conflicting ones included, since the review approved
removing them all.
A write must never repeat a route_id, or the controller refuses all of it: a desired route
whose id a foreign route holds is blocked (shared_vrf.py), and one whose id our route for
another prefix holds waits for that route to be rewritten (a conflict when only --heal rewrites
it, blocked when nothing does).
Pure: no I/O, plain data in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from reconciler.addresses import IPNetwork
from reconciler.ownership import LiveState
from reconciler.prefixes import prefix_key
from reconciler.routes import BlockedRoute, Route, route_sort_key
from reconciler.shared_vrf import SharedPrefix, foreign_beside

Action = Literal["add", "delete", "update"]
Origin = Literal["git", "drift"]


@dataclass(frozen=True)
class Change:
    action: Action
    prefix: IPNetwork
    origin: Origin
    before: Route | None
    after: Route | None
    adopted: bool = False
    conflict: str | None = None

    @property
    def route(self) -> Route:
        """The route the change is about: the target one, or for a delete the live one."""
        route = self.after or self.before
        assert route is not None, "a change has a before or an after"
        return route


@dataclass(frozen=True)
class Plan:
    cluster: str
    vrf: str
    changes: tuple[Change, ...]
    blocked: tuple[BlockedRoute, ...]
    warnings: tuple[str, ...]
    decommission: str | None = None  # the reviewed teardown's reason
    # Target prefixes that labelled foreign routes hold too: ours is written beside them.
    shared: tuple[SharedPrefix, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        changes = self.changes
        return {
            "git": sum(1 for c in changes if c.origin == "git"),
            "drift": sum(1 for c in changes if c.origin == "drift"),
            "add": sum(1 for c in changes if c.action == "add"),
            "update": sum(1 for c in changes if c.action == "update"),
            "delete": sum(1 for c in changes if c.action == "delete"),
            "adopted": sum(1 for c in changes if c.adopted),
            "conflicts": sum(1 for c in changes if c.conflict),
            "blocked": len(self.blocked),
            "shared": len(self.shared),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "vrf": self.vrf,
            "changes": [
                {
                    "action": c.action,
                    "prefix": str(c.prefix),
                    "origin": c.origin,
                    "before": _route_json(c.before),
                    "after": _route_json(c.after),
                    "adopted": c.adopted,
                    "conflict": c.conflict,
                }
                for c in self.changes
            ],
            "blocked": [
                {**(_route_json(b.route) or {}), "prefix": str(b.route.prefix), "reason": b.reason}
                for b in self.blocked
            ],
            "shared": [
                {"prefix": str(entry.prefix), "sharedWith": entry.shared_with}
                for entry in self.shared
            ],
            "warnings": list(self.warnings),
            "decommission": self.decommission,
            "summary": self.summary,
        }


def three_way_plan(
    cluster: str,
    vrf: str,
    base: Sequence[Route] | None,
    target: Sequence[Route],
    live: LiveState,
    blocked: Sequence[BlockedRoute] = (),
    decommission: str | None = None,
) -> Plan:
    """`base` None means nothing was applied yet: then base is live, and every difference from
    Avi is shown as a git change for review. `decommission`: the target's teardown reason."""
    ours = live.ours
    base_routes = None if base is None else {route.prefix: route for route in base}
    target_routes = {route.prefix: route for route in target}
    blocked_routes = list(blocked)
    blocked_prefixes = {entry.route.prefix for entry in blocked}
    beside = foreign_beside(cluster, target, live)
    for prefix, reason in beside.blocked.items():
        if prefix not in blocked_prefixes:
            blocked_routes.append(BlockedRoute(target_routes[prefix], reason))
            blocked_prefixes.add(prefix)
    # Each prefix once, looked up as little as may be: an ip_network hashes in Python, and the
    # sets are made from dicts, whose keys keep their hashes.
    untargeted = set(ours).union(base_routes or ()).difference(target_routes)
    changes: list[Change] = []
    for prefix, wanted in [*target_routes.items(), *((prefix, None) for prefix in untargeted)]:
        if blocked_prefixes and prefix in blocked_prefixes:
            continue
        live_route = ours.get(prefix)
        current = None if live_route is None else live_route.route
        if same_route(current, wanted):
            continue
        base_route = current if base_routes is None else base_routes.get(prefix)
        node = (wanted or base_route or Route(prefix, prefix.network_address, "", "")).node
        before = (
            None
            if current is None
            else Route(current.prefix, current.next_hop, node, current.route_id)
        )
        action: Action = "add" if current is None else "delete" if wanted is None else "update"
        adopted = live_route is not None and live_route.adopted and wanted is not None
        if same_route(base_route, wanted):
            changes.append(Change(action, prefix, "drift", before, wanted, adopted))
        else:
            # A route missing on Avi cannot be overwritten: writing the reviewed one is safe.
            conflict = None
            if current is not None and not same_route(current, base_route):
                conflict = _conflict(base_route, current)
            changes.append(Change(action, prefix, "git", before, wanted, adopted, conflict))
    changes, held = _wait_for_held_ids(changes, live)
    blocked_routes += held
    blocked_prefixes.update(entry.route.prefix for entry in held)
    changes.sort(key=lambda change: prefix_key(change.prefix))
    blocked_routes.sort(key=lambda entry: route_sort_key(entry.route))
    shared = tuple(entry for entry in beside.shared if entry.prefix not in blocked_prefixes)
    return Plan(
        cluster,
        vrf,
        tuple(changes),
        tuple(blocked_routes),
        live.warnings + beside.warnings,
        decommission,
        shared,
    )


def heals(plan: Plan, heal: bool) -> bool:
    """Whether apply writes every change: with --heal, or for a reviewed teardown."""
    return heal or plan.decommission is not None


def _wait_for_held_ids(
    changes: list[Change], live: LiveState
) -> tuple[list[Change], list[BlockedRoute]]:
    """A change that writes a route_id our live route for another prefix holds: fine when that
    route's own change is always written; a conflict (written only with --heal, together with
    it) when only --heal writes that; blocked when nothing rewrites it. Repeated until nothing
    moves, since a change held back can hold back the one waiting for its id."""
    holders = {lr.route.route_id: lr.route.prefix for lr in (*live.ours.values(), *live.duplicates)}
    blocked: list[BlockedRoute] = []
    while True:
        by_prefix = {change.prefix: change for change in changes}
        kept: list[Change] = []
        for change in changes:
            holder = None if change.after is None else holders.get(change.after.route_id)
            if holder is None or holder == change.prefix:
                kept.append(change)
                continue
            freeing = by_prefix.get(holder)
            why = f"its route_id {change.route.route_id} is held on Avi by our route for {holder}"
            if freeing is None:
                blocked.append(BlockedRoute(change.route, f"{why}, which nothing rewrites"))
            elif _always_written(change) and not _always_written(freeing):
                kept.append(replace(change, conflict=f"{why}, which only --heal rewrites"))
            else:
                kept.append(change)
        if kept == changes:
            return changes, blocked
        changes = kept


def _always_written(change: Change | None) -> bool:
    return change is not None and change.origin == "git" and not change.conflict


def selected_changes(plan: Plan, heal: bool) -> list[Change]:
    """What apply writes: reviewed changes without conflicting drift; with --heal (or for a
    reviewed teardown), everything."""
    everything = heals(plan, heal)
    return [c for c in plan.changes if everything or (c.origin == "git" and not c.conflict)]


def same_route(one: Route | None, other: Route | None) -> bool:
    """What Avi holds of a route: its next hop and id (the node is only a label for people)."""
    if one is None or other is None:
        return one is other
    return (one.next_hop, one.route_id) == (other.next_hop, other.route_id)


def _conflict(base_route: Route | None, current: Route) -> str:
    if base_route is None:
        return f"Avi has an unreviewed route of ours for this prefix via {current.next_hop}"
    return (
        f"on Avi the route changed to {current.next_hop} ({current.route_id}) after the last apply"
    )


def _route_json(route: Route | None) -> dict[str, str] | None:
    if route is None:
        return None
    return {"routeId": route.route_id, "nextHop": str(route.next_hop), "node": route.node}
