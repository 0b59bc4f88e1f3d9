"""Route-hijack policy: which desired routes may reach Avi at all.

A static route is a traffic path; a CiliumNode or a hand-edited manifest that claims the service
range, a default route or a next hop outside the node network would hijack or blackhole
traffic. Checked at render and again at apply, so a merged hand edit cannot slip through.
Routes that can never be right (addresses.py) are blocked whatever the settings say.
Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from reconciler.addresses import IPNetwork, never_a_next_hop, never_a_pod_network
from reconciler.errors import InputError, brief
from reconciler.prefixes import PrefixKey, contains, prefix_key
from reconciler.routes import BlockedRoute, Route

POLICY_REASON = "route policy: "


@dataclass(frozen=True)
class RoutePolicy:
    pod_pools: tuple[IPNetwork, ...] = ()
    min_prefix_v4: int = 8
    min_prefix_v6: int = 32
    node_networks: tuple[IPNetwork, ...] = ()

    @cached_property
    def pool_keys(self) -> tuple[PrefixKey, ...]:
        return tuple(prefix_key(pool) for pool in self.pod_pools)

    def with_cilium_pools(self, cilium_config: Mapping[str, str] | None) -> RoutePolicy:
        """Cluster-pool's own ranges, unless pools were configured explicitly."""
        if self.pod_pools or not cilium_config:
            return self
        texts = [
            cilium_config.get(key, "")
            for key in ("cluster-pool-ipv4-cidr", "cluster-pool-ipv6-cidr")
        ]
        pools = parse_networks(
            (part for text in texts for part in text.replace(",", " ").split()),
            "ConfigMap cilium-config cluster-pool CIDR",
        )
        return RoutePolicy(tuple(pools), self.min_prefix_v4, self.min_prefix_v6, self.node_networks)


def parse_networks(texts: Iterable[str], what: str) -> list[IPNetwork]:
    networks = []
    for text in texts:
        try:
            networks.append(parse_network(text))
        except ValueError as problem:
            raise InputError(f"{what} {problem}") from None
    return networks


def parse_network(text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise ValueError(f"{brief(text)} is not a valid CIDR") from None


def violation(route: Route, policy: RoutePolicy) -> str | None:
    prefix = route.prefix
    never = never_a_pod_network(prefix)
    if never:
        return f"{prefix} {never}"
    never = never_a_next_hop(route.next_hop)
    if never:
        return f"next hop {route.next_hop} {never}"
    return configured_violation(route, policy)


def configured_violation(route: Route, policy: RoutePolicy) -> str | None:
    """What the settings refuse. Alone for the routes render computes: routes.py already made a
    prefix or next hop that can never be right an error of its node, so none reaches here."""
    prefix = route.prefix
    minimum = policy.min_prefix_v4 if prefix.version == 4 else policy.min_prefix_v6
    if prefix.prefixlen < minimum:
        return f"{prefix} is shorter than the minimum prefix length /{minimum}"
    if policy.pod_pools and not _in_a_pool(prefix, policy.pool_keys):
        return f"{prefix} lies outside the pod pools ({', '.join(map(str, policy.pod_pools))})"
    networks = [net for net in policy.node_networks if net.version == route.next_hop.version]
    if policy.node_networks and not any(route.next_hop in net for net in networks):
        return (
            f"next hop {route.next_hop} lies outside the node networks "
            f"({', '.join(map(str, policy.node_networks))})"
        )
    return None


def _in_a_pool(prefix: IPNetwork, pool_keys: Sequence[PrefixKey]) -> bool:
    key = prefix_key(prefix)
    return any(contains(pool, key) for pool in pool_keys)


def blocked_reason(
    route: Route,
    policy: RoutePolicy,
    check: Callable[[Route, RoutePolicy], str | None] = violation,
) -> str | None:
    """The reason shown for a route the policy blocks, or None. Render passes
    `configured_violation` as `check` for the routes compute_routes built."""
    reason = check(route, policy)
    return f"{POLICY_REASON}{reason}" if reason else None


def enforce(routes: Sequence[Route], policy: RoutePolicy) -> tuple[list[Route], list[BlockedRoute]]:
    allowed: list[Route] = []
    blocked: list[BlockedRoute] = []
    for route in routes:
        reason = blocked_reason(route, policy)
        if reason is None:
            allowed.append(route)
        else:
            blocked.append(BlockedRoute(route, reason))
    return allowed, blocked
