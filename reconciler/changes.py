"""Route-level changes between two manifests, keyed by prefix, never by list position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler.addresses import IPNetwork
from reconciler.ip_text import address_text, network_text
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
    """Compared in C first (dict equality, key set differences); deepdiff judges only the
    prefixes in both whose routes differ, so an unchanged or a new manifest never needs it."""
    old = {route.prefix: route for route in before}
    new = {route.prefix: route for route in after}
    if old == new:
        return []
    differing = [prefix for prefix in old.keys() & new.keys() if old[prefix] != new[prefix]]
    changes = [RouteChange("added", None, new[prefix]) for prefix in new.keys() - old.keys()]
    changes += [RouteChange("removed", old[prefix], None) for prefix in old.keys() - new.keys()]
    changes += [
        RouteChange("changed", old[prefix], new[prefix]) for prefix in _changed(old, new, differing)
    ]
    return sorted(changes, key=lambda change: route_sort_key(change.route))


def summarize(changes: Sequence[RouteChange]) -> str:
    counts = {
        kind: sum(1 for c in changes if c.kind == kind) for kind in ("added", "removed", "changed")
    }
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())


def _changed(
    old: dict[IPNetwork, Route], new: dict[IPNetwork, Route], prefixes: Sequence[IPNetwork]
) -> list[IPNetwork]:
    """Those of `prefixes` whose route deepdiff finds changed."""
    if not prefixes:
        return []
    from deepdiff import DeepDiff  # 60 ms to import: only when a route may have changed

    by_text = {str(prefix): prefix for prefix in prefixes}
    diff = DeepDiff(
        _comparable({text: old[prefix] for text, prefix in by_text.items()}),
        _comparable({text: new[prefix] for text, prefix in by_text.items()}),
        view="tree",
        threshold_to_diff_deeper=0,
    )
    return [
        by_text[str(item.path(output_format="list")[0])] for item in diff.get("values_changed", ())
    ]


def _comparable(routes: dict[str, Route]) -> dict[str, str]:
    """One flat string per prefix: deepdiff walks 10,000 of these in 0.1 s, nested dicts in 3 s."""
    return {
        prefix: f"{route.next_hop} {route.node} {route.route_id}"
        for prefix, route in routes.items()
    }


def _route_text(route: Route) -> str:
    """A render prints one per new route: ip_text writes them faster than str()."""
    return f"{network_text(route.prefix)} via {address_text(route.next_hop)} (node {route.node})"
