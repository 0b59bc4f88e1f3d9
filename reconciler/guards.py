"""Safety guards: each returns the reason it refuses, or None. Reasons are shown verbatim."""

from __future__ import annotations


def route_loss_guard(committed: int, removed: int, rendered: int, max_loss: float) -> str | None:
    """A cluster read that failed halfway looks exactly like nodes leaving: refuse big losses."""
    if committed == 0:
        return None
    if rendered == 0:
        return (
            f"the new manifest has no routes but the committed one has {committed}; an empty or "
            "failed cluster read looks like this (use --allow-mass-delete if it is intended)"
        )
    if removed / committed > max_loss:
        return (
            f"the new manifest removes {removed} of {committed} committed routes "
            f"({removed / committed:.0%} > --max-route-loss {max_loss:.0%}); a partial cluster "
            "read looks like this (use --allow-mass-delete if it is intended)"
        )
    return None
