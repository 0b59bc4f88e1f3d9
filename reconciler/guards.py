"""Safety guards: each returns the reason it refuses, or None. Reasons are shown verbatim."""

from __future__ import annotations

# 5,000 nodes (Kubernetes' largest supported cluster) x 2 families x 2 pod CIDRs each, with
# room to spare; a manifest of 50,000 routes is no cluster's.
DEFAULT_MAX_ADD = 25_000


def route_loss_guard(reviewed: int, removed: int, rendered: int, max_loss: float) -> str | None:
    """A cluster read that failed halfway looks exactly like nodes leaving: refuse big losses.
    Measured against the reviewed manifest, never the open proposal, so small losses on
    successive runs cannot add up to a big one."""
    if reviewed == 0:
        return None
    if rendered == 0:
        return (
            f"the new manifest has no routes but the reviewed one has {reviewed}; an empty or "
            "failed cluster read looks like this (use --allow-mass-delete if it is intended)"
        )
    if removed / reviewed > max_loss:
        return (
            f"the new manifest removes {removed} of {reviewed} reviewed routes "
            f"({removed / reviewed:.0%} > --max-route-loss {max_loss:.0%}); a partial cluster "
            "read looks like this (use --allow-mass-delete if it is intended)"
        )
    return None


def max_delete_guard(
    deletions: int, live_ours: int, max_delete: int | None, decommission: str | None = None
) -> str | None:
    """Default limit: the larger of 5 routes and 20% of our live routes. A reviewed teardown
    (`decommission`, its reason) deletes all of ours by intent: the marker satisfies it."""
    limit = max_delete if max_delete is not None else max(5, live_ours // 5)
    if deletions > limit and decommission is None:
        return (
            f"apply would delete {deletions} routes, more than --max-delete {limit} "
            "(use --allow-mass-delete if it is intended)"
        )
    return None


def empty_target_guard(
    target_routes: int, live_ours: int, decommission: str | None = None
) -> str | None:
    """An empty manifest is what a failed read, a bad merge or a truncated file looks like; only
    the reviewed teardown marker (`decommission`) says that emptiness is meant."""
    if target_routes == 0 and live_ours > 0 and decommission is None:
        return (
            f"the reviewed manifest has no routes but Avi has {live_ours} of ours; to remove "
            "them all, propose `route-reconciler decommission` for review "
            "(or use --allow-mass-delete if it is intended)"
        )
    return None


def max_add_guard(additions: int, max_add: int | None) -> str | None:
    """A first apply adds every route, so the limit is absolute, not a share of what is live."""
    limit = DEFAULT_MAX_ADD if max_add is None else max_add
    if additions > limit:
        return (
            f"apply would add {additions} routes, more than --max-add {limit} "
            "(use --allow-mass-add if it is intended)"
        )
    return None


def ako_sync_guard(ako_values: str | None) -> str | None:
    """`ako_values`: the AKO values file that says AKO still syncs static routes, if any."""
    if ako_values is None:
        return None
    return (
        f"--ako-values {ako_values}: AKOSettings.disableStaticRouteSync is not true, so AKO "
        "still writes and deletes these routes and would undo what apply writes; set it to true "
        "in AKO's values (helm upgrade), or use --allow-ako-sync if AKO's sync is already off"
    )
