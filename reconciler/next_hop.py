"""Which of a node's addresses is its next hop, for each address family. Pure.

Without node networks the rule is AKO's: the CNI's own address of the family (Calico's
annotation, Antrea's transport address) when the node has one, else its first InternalIP of
the family; a CiliumNode's addresses are never used. With node networks (the networks the
Service Engines reach the nodes on: `--node-network`, `nodeNetworks`, AKO's `nodeNetworkList`)
it is the first address, in `NodeIpam.addresses` order, that lies inside one of them: on a
node with a management and a data interface, the data address, whichever the kubelet lists
first. A family without such an address gets no next hop, and the reason names what was offered.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.addresses import IPAddress, IPNetwork, never_a_next_hop
from reconciler.ipam.model import AddressOrigin, NextHopCandidate, NodeIpam

# At most this many offered addresses are named when none fits.
_SHOWN = 4


@dataclass(frozen=True)
class NextHopChoice:
    """The next hop of one node in one family, the field it came from and why it was chosen."""

    node: str
    address: IPAddress
    source: str
    reason: str
    first_internal_ip: IPAddress | None

    @property
    def is_first_internal_ip(self) -> bool:
        return self.address == self.first_internal_ip

    def describe(self) -> str:
        first = (
            f"first InternalIP {self.first_internal_ip}"
            if self.first_internal_ip is not None
            else "no InternalIP of this family"
        )
        return (
            f"node {self.node}: IPv{self.address.version} next hop {self.address} from "
            f"{self.source}, {self.reason} (instead of {first})"
        )


@dataclass(frozen=True)
class NodeNextHops:
    """`missing`: for each family without a next hop, why; `errors`: offered values that are
    not addresses, or a chosen one that can never be a node's."""

    chosen: dict[int, NextHopChoice]
    missing: dict[int, str]
    errors: tuple[str, ...]


def choose_next_hops(node: NodeIpam, node_networks: Sequence[IPNetwork] = ()) -> NodeNextHops:
    by_network = bool(node_networks)
    offered: list[tuple[IPAddress, NextHopCandidate]] = []
    errors: list[str] = []
    for candidate in node.addresses:
        if candidate.origin is AddressOrigin.CILIUM_NODE and not by_network:
            continue
        address = _parse(candidate.address)
        if address is None:
            errors.append(
                f"node {node.name}: {candidate.source} {candidate.address[:80]!r} "
                "is not an IP address"
            )
        else:
            offered.append((address, candidate))
    first_internal: dict[int, IPAddress] = {}
    for address, candidate in offered:
        if candidate.origin is AddressOrigin.NODE:
            first_internal.setdefault(address.version, address)
    chosen: dict[int, NextHopChoice] = {}
    for address, candidate in offered:
        if address.version in chosen:
            continue
        reason = _reason(address, candidate, node_networks)
        if reason is not None:
            chosen[address.version] = NextHopChoice(
                node.name, address, candidate.source, reason, first_internal.get(address.version)
            )
    for choice in chosen.values():
        never = never_a_next_hop(choice.address)
        if never:
            errors.append(f"node {node.name}: {choice.source} {str(choice.address)!r} {never}")
    missing = {
        version: _why_none(version, offered, node_networks)
        for version in (4, 6)
        if version not in chosen
    }
    return NodeNextHops(chosen, missing, tuple(errors))


def _parse(text: str) -> IPAddress | None:
    if "%" in text:  # a zone id is meaningless to Avi
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _reason(
    address: IPAddress, candidate: NextHopCandidate, node_networks: Sequence[IPNetwork]
) -> str | None:
    """Why this address is the next hop of its family, or None when it may not be."""
    if not node_networks:
        if candidate.origin is AddressOrigin.CNI:
            return "the CNI's own address for the node"
        return "first InternalIP"
    for network in node_networks:
        if network.version == address.version and address in network:
            return f"inside node network {network}"
    return None


def _why_none(
    version: int,
    offered: Sequence[tuple[IPAddress, NextHopCandidate]],
    node_networks: Sequence[IPNetwork],
) -> str:
    if not node_networks:
        return f"no IPv{version} InternalIP in status.addresses"
    networks = [str(network) for network in node_networks if network.version == version]
    if not networks:
        return f"no IPv{version} node network is configured (add one, or limit --ip-family)"
    outside = [f"{c.source} {address}" for address, c in offered if address.version == version]
    shown = ", ".join(outside[:_SHOWN]) + (", ..." if len(outside) > _SHOWN else "")
    return f"no IPv{version} address inside the node networks ({', '.join(networks)})" + (
        f": {shown} lie outside" if outside else f"; it offers no IPv{version} address"
    )
