"""Human and machine output shared by commands: results on stdout, warnings and errors through
the process's `Log` (reconciler/cli/console.py). Nothing secret is ever passed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reconciler.cli.console import Log

if TYPE_CHECKING:
    from reconciler.ipam.model import ClusterIpam
    from reconciler.outcome import ApplyResult
    from reconciler.routes import BlockedRoute, RouteComputation


def print_ipam(ipam: ClusterIpam, log: Log | None = None) -> None:
    (log or Log()).event(
        "info", f"IPAM mode: {ipam.mode} ({'; '.join(ipam.evidence)})", mode=str(ipam.mode)
    )


def print_next_hops(computation: RouteComputation) -> None:
    """A line per node and family whose next hop is not its first InternalIP, then the count."""
    for choice in computation.other_next_hops:
        print(f"next hop: {choice.describe()}")
    routed = len({route.node for route in computation.routes})
    elsewhere = len({choice.node for choice in computation.other_next_hops})
    print(
        f"next hops: {routed} node(s) routed, {elsewhere} of them through an address other "
        "than their first InternalIP"
    )


def print_problems(computation: RouteComputation, log: Log | None = None) -> bool:
    """Report warnings, errors and conflicts; True when any of them must fail the run."""
    log = log or Log()
    for warning in computation.warnings:
        log.event("warning", warning)
    for error in computation.errors:
        log.event("error", error)
    for conflict in computation.conflicts:
        log.event("error", f"conflict: {conflict}")
    return bool(computation.errors or computation.conflicts)


def report_blocked(blocked: Sequence[BlockedRoute], log: Log) -> None:
    for entry in blocked:
        route = entry.route
        log.event(
            "error",
            f"blocked: node {route.node} {route.prefix} via {route.next_hop}: {entry.reason}",
            prefix=str(route.prefix),
        )


def report_apply(result: ApplyResult, log: Log) -> None:
    """Each route an apply left off Avi, on its own line: blocked ones, then skipped ones."""
    report_blocked(result.plan.blocked, log)
    for change in result.skipped_conflicts:
        log.event(
            "warning",
            f"skipped {change.action} {change.prefix}: {change.conflict}; --heal overrides",
            prefix=str(change.prefix),
        )
