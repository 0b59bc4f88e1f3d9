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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from reconciler.addresses import IPAddress, IPNetwork, never_a_next_hop
from reconciler.ip_text import parse_address
from reconciler.ipam.model import AddressOrigin, NextHopCandidate, NodeIpam

# At most this many offered addresses are named when none fits.
_SHOWN = 4


class NextHopChoice(NamedTuple):
    """A next hop that is not the node's first InternalIP of its family: the field it came from
    and why it was chosen, for `check` to say so."""

    node: str
    address: IPAddress
    source: str
    reason: str
    first_internal_ip: IPAddress | None

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


@dataclass(frozen=True, slots=True)
class NodeNextHops:
    """`chosen`: the next hop of each family that has one; `others`: those that are not the
    node's first InternalIP, with where they came from and why (usually none); `errors`: offered
    values that are not addresses, or a chosen one that can never be a node's; `offered`: the
    addresses considered, for saying why a family has none."""

    chosen: dict[int, IPAddress]
    others: list[NextHopChoice]
    errors: list[str]
    offered: list[tuple[IPAddress, NextHopCandidate]]
    node_networks: Sequence[IPNetwork]

    def why_none(self, version: int) -> str:
        if not self.node_networks:
            return f"no IPv{version} InternalIP in status.addresses"
        networks = [str(net) for net in self.node_networks if net.version == version]
        if not networks:
            return f"no IPv{version} node network is configured (add one, or limit --ip-family)"
        outside = [
            f"{c.source} {address}" for address, c in self.offered if address.version == version
        ]
        shown = ", ".join(outside[:_SHOWN]) + (", ..." if len(outside) > _SHOWN else "")
        return f"no IPv{version} address inside the node networks ({', '.join(networks)})" + (
            f": {shown} lie outside" if outside else f"; it offers no IPv{version} address"
        )


def choose_next_hops(node: NodeIpam, node_networks: Sequence[IPNetwork] = ()) -> NodeNextHops:
    """One pass over the offered addresses: a render calls it for every node."""
    offered: list[tuple[IPAddress, NextHopCandidate]] = []
    errors: list[str] = []
    first_internal: dict[int, IPAddress] = {}
    chosen: dict[int, tuple[IPAddress, NextHopCandidate, str]] = {}
    for candidate in node.addresses:
        if candidate.origin is AddressOrigin.CILIUM_NODE and not node_networks:
            continue
        address = _parse(candidate.address)
        if address is None:
            errors.append(
                f"node {node.name}: {candidate.source} {candidate.address[:80]!r} "
                "is not an IP address"
            )
            continue
        offered.append((address, candidate))
        version = address.version
        if candidate.origin is AddressOrigin.NODE and version not in first_internal:
            first_internal[version] = address
        if version not in chosen:
            reason = _reason(address, candidate, node_networks)
            if reason is not None:
                chosen[version] = (address, candidate, reason)
    others = []
    for family, (address, candidate, reason) in chosen.items():
        never = never_a_next_hop(address)
        if never:
            errors.append(f"node {node.name}: {candidate.source} {str(address)!r} {never}")
        first = first_internal.get(family)
        if address is not first and address != first:
            others.append(NextHopChoice(node.name, address, candidate.source, reason, first))
    addresses = {family: address for family, (address, _, _) in chosen.items()}
    return NodeNextHops(addresses, others, errors, offered, node_networks)


def _parse(text: str) -> IPAddress | None:
    if "%" in text:  # a zone id is meaningless to Avi
        return None
    try:
        return parse_address(text)
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
