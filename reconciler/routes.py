"""Pure route computation: per-node IPAM data -> validated, conflict-free static routes.

Rules (each has a test in tests/test_routes.py):
- one route per (node, pod CIDR) for each address family in which the node has a next hop:
  the CNI's own address of that family for the node when its reader found one (Calico's
  annotations, Antrea's transport addresses: `NodeIpam.next_hops`), else the node's first
  InternalIP of that family;
- CIDRs are parsed and normalised; host bits or an unparsable value are an error for that node;
- a node whose IPAM data is missing or invalid keeps the routes it has in the committed manifest;
- the same or overlapping prefixes on different nodes are a conflict: none of them is rendered.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.errors import InputError
from reconciler.ipam.model import ClusterIpam, NodeIpam

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
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
class RouteComputation:
    routes: tuple[Route, ...]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    conflicts: tuple[str, ...]


def validate_cluster_name(cluster: str) -> str:
    if not CLUSTER_NAME_PATTERN.fullmatch(cluster):
        raise InputError(
            f"cluster name {cluster[:80]!r}: must be 1-63 letters, digits, '-' or '_' "
            "(it becomes part of every route id and the clustername label)"
        )
    return cluster


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
) -> RouteComputation:
    committed_by_node: dict[str, list[Route]] = {}
    for route in committed:
        committed_by_node.setdefault(route.node, []).append(route)
    warnings: list[str] = list(ipam.warnings)
    errors: list[str] = list(ipam.errors)
    candidates: list[Route] = []
    for node in ipam.nodes:
        routes, node_warnings, node_errors, gaps = _node_routes(node, cluster, ip_family)
        warnings.extend(node_warnings)
        errors.extend(node_errors)
        kept = [
            r
            for r in committed_by_node.get(node.name, ())
            if r.prefix.version in gaps and ip_family.allows(r.prefix.version)
        ]
        if kept:
            warnings.append(
                f"node {node.name}: keeps its {len(kept)} committed route(s) "
                "until its IPAM data and addresses are readable again"
            )
        candidates.extend(routes + kept)
    accepted, conflicts = _drop_conflicts(candidates)
    return RouteComputation(sort_routes(accepted), tuple(warnings), tuple(errors), tuple(conflicts))


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
        try:
            prefixes.setdefault(parse_cidr(text), None)
        except ValueError as problem:
            where = (
                node.pod_cidr_fields[index]
                if index < len(node.pod_cidr_fields)
                else f"{field}[{index}]"
            )
            errors.append(f"node {node.name}: {where} {text[:80]!r} {problem}")
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
    """Per family, the CNI's first candidate, else the first InternalIP, as AKO chooses it."""
    next_hops: dict[int, IPAddress] = {}
    errors: list[str] = []
    for candidate in node.next_hops:
        try:
            if "%" in candidate.address:  # a zone id is meaningless to Avi
                raise ValueError(candidate.address)
            address = ipaddress.ip_address(candidate.address.strip())
        except ValueError:
            errors.append(
                f"node {node.name}: {candidate.source} {candidate.address[:80]!r} "
                "is not an IP address"
            )
            continue
        next_hops.setdefault(address.version, address)
    for index, text in enumerate(node.internal_ips):
        try:
            if "%" in text:  # a zone id is meaningless to Avi
                raise ValueError(text)
            address = ipaddress.ip_address(text)
        except ValueError:
            errors.append(
                f"node {node.name}: status.addresses InternalIP[{index}] {text[:80]!r} "
                "is not an IP address"
            )
            continue
        next_hops.setdefault(address.version, address)
    return next_hops, errors


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
