"""Pure route computation: per-node IPAM data -> validated, conflict-free static routes.

Rules (each has a test in tests/test_routes.py):
- one route per (node, pod CIDR) for each address family in which the node has a next hop:
  the CNI's own address of that family for the node when its reader found one (Calico's
  annotations, Antrea's transport addresses: `NodeIpam.next_hops`), else the node's first
  InternalIP of that family;
- CIDRs are parsed and normalised; host bits or an unparsable value are an error for that node;
- an address that can never be a node's, or a prefix that can never be a pod network
  (addresses.py), is an error for that node;
- a node whose IPAM data is missing or invalid, or whose new route the policy blocks, keeps the
  routes it has in the committed manifest;
- the same or overlapping prefixes on different nodes are a conflict: none of them is rendered.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.addresses import IPAddress, IPNetwork, never_a_next_hop, never_a_pod_network
from reconciler.ipam.model import ClusterIpam, NodeIpam

ROUTE_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")


class IpFamily(StrEnum):
    V4 = "V4"
    V6 = "V6"
    V4_V6 = "V4_V6"

    def allows(self, version: int) -> bool:
        return self is IpFamily.V4_V6 or (self is IpFamily.V4) == (version == 4)


@dataclass(frozen=True)
class Route:
    prefix: IPNetwork
    next_hop: IPAddress
    node: str
    route_id: str


@dataclass(frozen=True)
class BlockedRoute:
    """A route that is never written, and why."""

    route: Route
    reason: str


@dataclass(frozen=True)
class RouteComputation:
    routes: tuple[Route, ...]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    conflicts: tuple[str, ...]
    blocked: tuple[BlockedRoute, ...] = ()


def route_id(cluster: str, prefix: IPNetwork) -> str:
    """`<cluster>.<address>_<mask>`, IPv6 colons as dashes.

    Cluster names have no dot, so the id maps back to exactly one (cluster, prefix), and it never
    looks like AKO's `<cluster>-<uuid>-<n>`, which is how adopted AKO routes are recognised.
    """
    return f"{cluster}.{str(prefix.network_address).replace(':', '-')}_{prefix.prefixlen}"


def prefix_sort_key(prefix: IPNetwork) -> tuple[int, int, int]:
    return (prefix.version, int(prefix.network_address), prefix.prefixlen)


def route_sort_key(route: Route) -> tuple[int, int, int]:
    return prefix_sort_key(route.prefix)


def sort_routes(routes: Iterable[Route]) -> tuple[Route, ...]:
    return tuple(sorted(routes, key=route_sort_key))


def parse_cidr(text: str) -> IPNetwork:
    """Strict parse: a mask is required, host bits are refused, zone ids are refused."""
    value = text.strip()
    if "/" not in value or "%" in value:
        raise ValueError("is not a CIDR (address/mask)")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        if "host bits set" in str(error):
            raise ValueError("has host bits set") from None
        raise ValueError("is not a valid CIDR") from None


def compute_routes(
    ipam: ClusterIpam,
    cluster: str,
    ip_family: IpFamily = IpFamily.V4_V6,
    committed: Sequence[Route] = (),
    blocks: Callable[[Route], str | None] | None = None,
) -> RouteComputation:
    """`blocks` is the route policy: why a new route may not be written, or None. A node with a
    blocked route keeps its committed routes of that family, so a block never becomes a
    deletion; blocked routes take no part in conflicts, so they cannot knock out others."""
    committed_by_node: dict[str, list[Route]] = {}
    for route in committed:
        committed_by_node.setdefault(route.node, []).append(route)
    warnings: list[str] = list(ipam.warnings)
    errors: list[str] = list(ipam.errors)
    blocked: list[BlockedRoute] = []
    candidates: list[Route] = []
    for node in ipam.nodes:
        routes, node_warnings, node_errors, gaps = _node_routes(node, cluster, ip_family)
        warnings.extend(node_warnings)
        errors.extend(node_errors)
        for route in routes:
            reason = blocks(route) if blocks is not None else None
            if reason:
                blocked.append(BlockedRoute(route, reason))
                gaps.add(route.prefix.version)
        kept = [
            r
            for r in committed_by_node.get(node.name, ())
            if r.prefix.version in gaps and ip_family.allows(r.prefix.version)
        ]
        if kept:
            warnings.append(
                f"node {node.name}: keeps its {len(kept)} committed route(s) while its IPAM "
                "data or addresses are missing, invalid or blocked"
            )
        candidates.extend([r for r in routes if r.prefix.version not in gaps] + kept)
    accepted, conflicts = _drop_conflicts(candidates)
    return RouteComputation(
        sort_routes(accepted), tuple(warnings), tuple(errors), tuple(conflicts), tuple(blocked)
    )


def _node_routes(
    node: NodeIpam, cluster: str, ip_family: IpFamily
) -> tuple[list[Route], list[str], list[str], set[int]]:
    """Routes, warnings, errors, and the address families whose data has a gap: for those the
    node keeps its committed routes, since a transient gap must not become a deletion."""
    warnings: list[str] = []
    errors: list[str] = []
    if node.ipam_invalid:
        errors.append(f"node {node.name}: {node.ipam_invalid}")
    if node.ipam_missing:
        warnings.append(f"node {node.name}: {node.ipam_missing}; {node.pod_cidr_source}")
    next_hops, ip_errors = _next_hops(node)
    errors.extend(ip_errors)
    field = node.pod_cidr_source.rsplit(" ", 1)[-1]
    prefixes: dict[IPNetwork, None] = {}
    for index, text in enumerate(node.pod_cidrs):
        where = (
            node.pod_cidr_fields[index]
            if index < len(node.pod_cidr_fields)
            else f"{field}[{index}]"
        )
        try:
            prefix = parse_cidr(text)
        except ValueError as problem:
            errors.append(f"node {node.name}: {where} {text[:80]!r} {problem}")
            continue
        never = never_a_pod_network(prefix)
        if never:
            errors.append(f"node {node.name}: {where} {text[:80]!r} {never}")
        else:
            prefixes.setdefault(prefix, None)
    if errors or node.ipam_missing:
        return [], warnings, errors, {4, 6}
    routes: list[Route] = []
    gaps: set[int] = set()
    for prefix in prefixes:
        if not ip_family.allows(prefix.version):
            continue
        next_hop = next_hops.get(prefix.version)
        if next_hop is None:
            warnings.append(
                f"node {node.name}: no IPv{prefix.version} InternalIP in "
                f"status.addresses; no new route for {prefix}"
            )
            gaps.add(prefix.version)
            continue
        routes.append(Route(prefix, next_hop, node.name, route_id(cluster, prefix)))
    return routes, warnings, errors, gaps


def _next_hops(node: NodeIpam) -> tuple[dict[int, IPAddress], list[str]]:
    """Per family, the CNI's first candidate, else the first InternalIP, as AKO chooses it; a
    chosen address that can never be a node's is an error for the node, not skipped."""
    chosen: dict[int, tuple[IPAddress, str]] = {}
    errors: list[str] = []
    sources = [(c.address.strip(), c.source) for c in node.next_hops] + [
        (text, f"status.addresses InternalIP[{index}]")
        for index, text in enumerate(node.internal_ips)
    ]
    for text, source in sources:
        try:
            if "%" in text:  # a zone id is meaningless to Avi
                raise ValueError(text)
            address = ipaddress.ip_address(text)
        except ValueError:
            errors.append(f"node {node.name}: {source} {text[:80]!r} is not an IP address")
            continue
        chosen.setdefault(address.version, (address, source))
    for address, source in chosen.values():
        never = never_a_next_hop(address)
        if never:
            errors.append(f"node {node.name}: {source} {str(address)!r} {never}")
    return {version: address for version, (address, _) in chosen.items()}, errors


def _drop_conflicts(candidates: Sequence[Route]) -> tuple[list[Route], list[str]]:
    """Sweep over prefixes sorted by start address; CIDRs either nest or are disjoint, so the
    enclosing prefixes of each one form a stack of at most 128 entries."""
    conflicting: set[int] = set()
    conflicts: list[str] = []
    ordered = sorted(range(len(candidates)), key=lambda i: route_sort_key(candidates[i]))
    enclosing: list[int] = []
    for index in ordered:
        route = candidates[index]
        while enclosing and not _contains(candidates[enclosing[-1]].prefix, route.prefix):
            enclosing.pop()
        for outer_index in enclosing:
            outer = candidates[outer_index]
            if outer.node == route.node:
                continue
            conflicting.update((outer_index, index))
            conflicts.append(_conflict_message(outer, route))
        enclosing.append(index)
    accepted = [route for i, route in enumerate(candidates) if i not in conflicting]
    return accepted, conflicts


def _contains(outer: IPNetwork, inner: IPNetwork) -> bool:
    return (
        outer.version == inner.version
        and outer.prefixlen <= inner.prefixlen
        and int(inner.network_address) >> (outer.max_prefixlen - outer.prefixlen)
        == int(outer.network_address) >> (outer.max_prefixlen - outer.prefixlen)
    )


def _conflict_message(outer: Route, inner: Route) -> str:
    if outer.prefix == inner.prefix:
        return (
            f"prefix {inner.prefix} is claimed by nodes {outer.node} and {inner.node}; "
            "neither route is rendered"
        )
    return (
        f"prefix {inner.prefix} of node {inner.node} overlaps {outer.prefix} of node "
        f"{outer.node}; neither route is rendered"
    )
