"""PATCH as the controller does it: one of add, replace or delete, applied at field depth 1."""

from __future__ import annotations

from typing import Any

from reconciler.sim.avi.validation import READ_ONLY_FIELDS, REF_FIELDS, SimRequestError

JsonObject = dict[str, Any]

PATCH_OPERATIONS = ("add", "replace", "delete")


def parse_patch(body: Any) -> tuple[str, JsonObject]:
    """One of add/replace/delete; a ``_last_modified`` beside it is ignored, as PATCH does."""
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "_last_modified"}
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in PATCH_OPERATIONS:
        raise SimRequestError(400, "PATCH body must have exactly one of: add, replace, delete")
    operation, changes = next(iter(body.items()))
    if not isinstance(changes, dict):
        raise SimRequestError(400, f"PATCH {operation}: expected an object of fields")
    for name in changes:
        if name in READ_ONLY_FIELDS or name in REF_FIELDS:
            raise SimRequestError(400, f"{name} cannot be changed with PATCH")
    return operation, changes


def patched_field(operation: str, name: str, current: Any, given: Any) -> Any:
    """Apply one PATCH operation to one top-level field (lists grow, shrink or get replaced);
    None means the field is gone."""
    if operation == "replace":
        return given
    if operation == "add":
        if isinstance(current, list) and isinstance(given, list):
            return current + given
        return given
    if name == "static_routes":
        return _without_routes(current or [], given)
    if isinstance(current, list) and isinstance(given, list):
        return [item for item in current if item not in given]
    return None


def _without_routes(routes: list[JsonObject], doomed: Any) -> list[JsonObject]:
    """Remove the given routes in one pass; entries that match nothing are a no-op."""
    if not isinstance(doomed, list) or not all(isinstance(entry, dict) for entry in doomed):
        raise SimRequestError(400, "static_routes: expected a list of objects")
    doomed_by_id: dict[Any, list[JsonObject]] = {}
    for entry in doomed:
        doomed_by_id.setdefault(entry.get("route_id"), []).append(entry)
    return [
        route
        for route in routes
        if not any(_same_route(route, entry) for entry in doomed_by_id.get(route["route_id"], ()))
    ]


def _same_route(live: JsonObject, given: JsonObject) -> bool:
    """PATCH delete matching (undocumented on a controller): prefix, next hop and labels agree.

    Callers have already matched ``route_id``; an absent ``labels`` equals an empty list.
    """
    return (
        live.get("prefix") == given.get("prefix")
        and live.get("next_hop") == given.get("next_hop")
        and (live.get("labels") or []) == (given.get("labels") or [])
    )
