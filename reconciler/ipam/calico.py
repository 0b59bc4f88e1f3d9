"""Calico (Kubernetes API datastore): a node's pod CIDRs are the blocks its BlockAffinities
give it; the next hop is the address Calico itself announces for the node."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.ipam.model import AddressOrigin, CniRead, NextHopCandidate
from reconciler.ipam.raw import CidrsByNode, Named, RawObject, annotations_of, by_name, some

IPV4_ANNOTATION = "projectcalico.org/IPv4Address"
IPV6_ANNOTATION = "projectcalico.org/IPv6Address"


@dataclass
class _Blocks(CidrsByNode):
    """Only confirmed, not deleted blocks are routed; the others are counted in a warning."""

    not_confirmed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def warnings(self, node_names: set[str]) -> list[str]:
        found = [
            f"BlockAffinity spec.node {node}: no Node of that name exists; its "
            f"{len(blocks)} block(s) are not routed"
            for node, blocks in sorted(self.by_node.items())
            if node not in node_names
        ]
        skipped = len(self.not_confirmed) + len(self.deleted)
        if skipped:
            parts = [
                f"{len(names)} {what} ({some(names)})"
                for what, names in (
                    ("not confirmed", self.not_confirmed),
                    ("deleted", self.deleted),
                )
                if names
            ]
            found.append(f"{skipped} BlockAffinity block(s) not routed: " + ", ".join(parts))
        return found


def read_calico(nodes: Sequence[Named], block_affinities: Sequence[RawObject]) -> CniRead:
    blocks = _blocks(block_affinities)
    missing = "no confirmed BlockAffinity names this node (Calico has not given it a block)"
    return CniRead(
        tuple(
            blocks.node_ipam(
                name, node, f"BlockAffinity spec.node {name}", missing, _next_hops(node)
            )
            for name, node in nodes
        ),
        tuple(blocks.warnings({name for name, _ in nodes})),
        tuple(blocks.errors),
    )


def _blocks(block_affinities: Sequence[RawObject]) -> _Blocks:
    blocks = _Blocks()
    for name, block in by_name(block_affinities, "BlockAffinity"):
        spec = block.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        state, deleted = spec.get("state"), spec.get("deleted")
        if deleted is True or (isinstance(deleted, str) and deleted.strip().lower() == "true"):
            blocks.deleted.append(name)
            continue
        if state != "confirmed":
            blocks.not_confirmed.append(f"{name} state {state!r}" if state else f"{name} no state")
            continue
        node = spec.get("node")
        if not isinstance(node, str) or not node:
            blocks.errors.append(
                f"BlockAffinity {name}: spec.node is missing or not a string; its block is "
                "not routed"
            )
            continue
        cidr = spec.get("cidr")
        if not isinstance(cidr, str) or not cidr.strip():
            blocks.add_invalid(node, f"BlockAffinity {name}: spec.cidr is missing or empty")
            continue
        blocks.add(node, cidr.strip(), f"BlockAffinity {name} spec.cidr")
    return blocks


def _next_hops(node: RawObject) -> tuple[NextHopCandidate, ...]:
    """Calico's node addresses, with the mask stripped ("192.168.10.11/24")."""
    found = annotations_of(node)
    candidates = []
    for key in (IPV4_ANNOTATION, IPV6_ANNOTATION):
        value = str(found.get(key) or "").strip()
        if value:
            candidates.append(
                NextHopCandidate(
                    value.split("/", 1)[0].strip(),
                    f"metadata.annotations[{key}]",
                    AddressOrigin.CNI,
                )
            )
    return tuple(candidates)
