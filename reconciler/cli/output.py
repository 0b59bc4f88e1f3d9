"""Human and machine output shared by commands.

Text: results on stdout, warnings and errors on stderr. JSON (`--log-format json`): one JSON
object per line on stderr, for Kubernetes log pipelines. Nothing secret is ever passed here.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from reconciler.ipam.model import ClusterIpam
from reconciler.outcome import ApplyResult
from reconciler.routes import BlockedRoute, RouteComputation


class Log:
    def __init__(self, log_format: str = "text") -> None:
        self.json = log_format == "json"

    def event(self, level: str, message: str, **fields: Any) -> None:
        if self.json:
            record = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "level": level,
                "msg": message,
                **fields,
            }
            print(json.dumps(record, default=str), file=sys.stderr, flush=True)
        elif level in ("warning", "error"):
            print(f"{level}: {message}", file=sys.stderr)
        else:
            print(message)


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
