"""Addresses that can never be a node's, and prefixes that can never be a pod network. Pure.

Refused whatever the route policy says, at render (an error for the node, naming the field) and
at apply (the route is blocked), because a static route to them can only blackhole or hijack:
a loopback or unspecified next hop, a multicast or broadcast one, a link-local one (meaningless
without an interface, and 169.254.169.254 is the cloud metadata service), an IPv4-mapped or
IPv4-compatible IPv6 one (an IPv4 address in disguise).

Deliberately not refused: the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32) and 240.0.0.0/4 (reserved). Both are ordinary unicast that
networks do assign (labs and demos use the first, GKE pod ranges the second), so refusing
them would break working clusters without protecting any other traffic.
"""

from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Most specific first, so a message names the narrowest range.
NEVER_A_NODE: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), name)
    for network, name in (
        ("0.0.0.0/8", "unspecified, 'this network'"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "limited broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible, deprecated"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
)


def never_a_next_hop(address: IPAddress) -> str | None:
    """Why no node can have this address (to follow the address in a message), or None."""
    for network, name in NEVER_A_NODE:
        if address in network:
            return f"lies in {network} ({name}), never a node's address"
    return None


def never_a_pod_network(prefix: IPNetwork) -> str | None:
    """Why this prefix can never be a pod network, or None. Overlapping a range is enough: a
    route to a prefix that holds loopback or multicast addresses sends those to a node."""
    if prefix.prefixlen == 0:
        return "is a default route"
    for network, name in NEVER_A_NODE:
        if network.version == prefix.version and (
            prefix.subnet_of(network) or network.subnet_of(prefix)  # type: ignore[arg-type]
        ):
            return f"overlaps {network} ({name}), never a pod network"
    return None
