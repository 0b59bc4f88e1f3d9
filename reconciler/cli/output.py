"""Human output shared by commands: warnings and errors go to stderr, results to stdout."""

from __future__ import annotations

import sys

from reconciler.ipam.model import ClusterIpam
from reconciler.routes import RouteComputation


def print_ipam(ipam: ClusterIpam) -> None:
    print(f"IPAM mode: {ipam.mode} ({'; '.join(ipam.evidence)})")


def print_problems(computation: RouteComputation) -> bool:
    """Print warnings, errors and conflicts; True when any of them must fail the run."""
    for warning in computation.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in computation.errors:
        print(f"error: {error}", file=sys.stderr)
    for conflict in computation.conflicts:
        print(f"error: conflict: {conflict}", file=sys.stderr)
    return bool(computation.errors or computation.conflicts)
