"""Pure route computation: per-node IPAM data -> validated, conflict-free static routes.

Rules (each has a test in tests/test_routes.py):
- one route per (node, pod CIDR) for each address family in which the node has a next hop
  (next_hop.py: AKO's rule, or with node networks the node's address inside them);
- CIDRs are parsed and normalised; host bits or an unparsable value are an error for that node;
- an address that can never be a node's, or a prefix that can never be a pod network
  (addresses.py), is an error for that node;
- a node whose IPAM data is missing or invalid, or whose new route the policy blocks, keeps the
  routes it has in the committed manifest;
- the same or overlapping prefixes on different nodes are a conflict: none of them is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.addresses import IPAddress, IPNetwork, never_a_pod_network
from reconciler.ip_text import address_text, parse_network
from reconciler.ipam.model import ClusterIpam, NodeIpam
from reconciler.next_hop import NextHopChoice, choose_next_hops
from reconciler.prefixes import PrefixKey, nested_pairs, prefix_key

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
    # Per node and family that got a route through another address than its first InternalIP:
    # which one, and why (the common case keeps nothing, so a large render allocates nothing).
    other_next_hops: tuple[NextHopChoice, ...] = ()


def route_id(cluster: str, prefix: IPNetwork) -> str:
    """`<cluster>.<address>_<mask>`, IPv6 colons as dashes.

    Cluster names have no dot, so the id maps back to exactly one (cluster, prefix), and it never
    looks like AKO's `<cluster>-<uuid>-<n>`, which is how adopted AKO routes are recognised.
    """
    return f"{cluster}.{address_text(prefix.network_address).replace(':', '-')}_{prefix.prefixlen}"


def route_sort_key(route: Route) -> PrefixKey:
    return prefix_key(route.prefix)


def sort_routes(routes: Iterable[Route]) -> tuple[Route, ...]:
    return tuple(sorted(routes, key=route_sort_key))


def parse_cidr(text: str) -> IPNetwork:
    """Strict parse: a mask is required, host bits are refused, zone ids are refused."""
    value = text.strip()
    if "/" not in value or "%" in value:
        raise ValueError("is not a CIDR (address/mask)")
    try:
        return parse_network(value)
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
    node_networks: Sequence[IPNetwork] = (),
) -> RouteComputation:
    """`blocks` is the route policy: why a new route may not be written, or None. A node with a
    blocked route keeps its committed routes of that family, so a block never becomes a
    deletion; blocked routes take no part in conflicts, so they cannot knock out others.
    `node_networks`, when given, choose each node's next hop (next_hop.py)."""
    committed_by_node: dict[str, list[Route]] = {}
    for route in committed:
        committed_by_node.setdefault(route.node, []).append(route)
    warnings: list[str] = list(ipam.warnings)
    errors: list[str] = list(ipam.errors)
    blocked: list[BlockedRoute] = []
    candidates: list[Route] = []
    other_next_hops: list[NextHopChoice] = []
    for node in ipam.nodes:
        found = _node_routes(node, cluster, ip_family, node_networks)
        warnings.extend(found.warnings)
        errors.extend(found.errors)
        other_next_hops.extend(found.other_next_hops)
        gaps = found.gaps
        for route in found.routes:
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
        candidates.extend([r for r in found.routes if r.prefix.version not in gaps] + kept)
    accepted, conflicts = _drop_conflicts(candidates)
    return RouteComputation(
        accepted,
        tuple(warnings),
        tuple(errors),
        tuple(conflicts),
        tuple(blocked),
        tuple(other_next_hops),
    )


@dataclass(slots=True)
class _NodeRoutes:
    """`gaps`: the address families whose data has a gap; for those the node keeps its
    committed routes, since a transient gap must not become a deletion."""

    routes: list[Route] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    gaps: set[int] = field(default_factory=set)
    other_next_hops: list[NextHopChoice] = field(default_factory=list)


def _node_routes(
    node: NodeIpam, cluster: str, ip_family: IpFamily, node_networks: Sequence[IPNetwork]
) -> _NodeRoutes:
    found = _NodeRoutes()
    if node.ipam_invalid:
        found.errors.append(f"node {node.name}: {node.ipam_invalid}")
    if node.ipam_missing:
        found.warnings.append(f"node {node.name}: {node.ipam_missing}; {node.pod_cidr_source}")
    next_hops = choose_next_hops(node, node_networks)
    found.errors.extend(next_hops.errors)
    field_name = node.pod_cidr_source.rsplit(" ", 1)[-1]
    prefixes: dict[IPNetwork, None] = {}
    for index, text in enumerate(node.pod_cidrs):
        where = (
            node.pod_cidr_fields[index]
            if index < len(node.pod_cidr_fields)
            else f"{field_name}[{index}]"
        )
        try:
            prefix = parse_cidr(text)
        except ValueError as problem:
            found.errors.append(f"node {node.name}: {where} {text[:80]!r} {problem}")
            continue
        never = never_a_pod_network(prefix)
        if never:
            found.errors.append(f"node {node.name}: {where} {text[:80]!r} {never}")
        else:
            prefixes.setdefault(prefix, None)
    if found.errors or node.ipam_missing:
        found.gaps.update((4, 6))
        return found
    for prefix in prefixes:
        if not ip_family.allows(prefix.version):
            continue
        next_hop = next_hops.chosen.get(prefix.version)
        if next_hop is None:
            found.warnings.append(
                f"node {node.name}: {next_hops.why_none(prefix.version)}; no new route for {prefix}"
            )
            found.gaps.add(prefix.version)
            continue
        found.routes.append(Route(prefix, next_hop, node.name, route_id(cluster, prefix)))
    if next_hops.others:
        routed = {route.prefix.version for route in found.routes}
        found.other_next_hops += [c for c in next_hops.others if c.address.version in routed]
    return found


def _drop_conflicts(candidates: Sequence[Route]) -> tuple[tuple[Route, ...], list[str]]:
    """The routes that conflict with none, sorted as manifests list them, and the conflicts."""
    conflicting: set[int] = set()
    conflicts: list[str] = []
    keys = [route_sort_key(route) for route in candidates]
    for outer_index, index in nested_pairs(keys):
        outer, route = candidates[outer_index], candidates[index]
        if outer.node != route.node:
            conflicting.update((outer_index, index))
            conflicts.append(_conflict_message(outer, route))
    accepted = sorted(
        (i for i in range(len(candidates)) if i not in conflicting), key=keys.__getitem__
    )
    return tuple(candidates[i] for i in accepted), conflicts


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
