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


# The same ranges as (first address, length, text) per IP version, checked with integer
# arithmetic: a render checks every pod CIDR and next hop.
_NEVER: dict[int, tuple[tuple[int, int, str], ...]] = {
    version: tuple(
        (int(network.network_address), network.prefixlen, f"{network} ({name})")
        for network, name in NEVER_A_NODE
        if network.version == version
    )
    for version in (4, 6)
}
_BITS = {4: 32, 6: 128}


def never_a_next_hop(address: IPAddress) -> str | None:
    """Why no node can have this address (to follow the address in a message), or None."""
    version, value = address.version, int(address)
    bits = _BITS[version]
    for start, length, text in _NEVER[version]:
        if value >> (bits - length) == start >> (bits - length):
            return f"lies in {text}, never a node's address"
    return None


def never_a_pod_network(prefix: IPNetwork) -> str | None:
    """Why this prefix can never be a pod network, or None. Overlapping a range is enough: a
    route to a prefix that holds loopback or multicast addresses sends those to a node. Two
    prefixes overlap when one holds the other: their leading bits agree up to the shorter."""
    length = prefix.prefixlen
    if length == 0:
        return "is a default route"
    version, value = prefix.version, int(prefix.network_address)
    bits = _BITS[version]
    for start, range_length, text in _NEVER[version]:
        shift = bits - min(length, range_length)
        if value >> shift == start >> shift:
            return f"overlaps {text}, never a pod network"
    return None
