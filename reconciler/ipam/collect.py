"""Raw API objects (wire JSON, as a live list or a kubectl dump gives them) -> ClusterIpam, by
the reader the registry names for the mode: the same result from both sources by construction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.ipam.model import ClusterIpam
from reconciler.ipam.modes import CniEvidence, ModeDecision
from reconciler.ipam.raw import RawObject, annotations_of, by_name
from reconciler.ipam.registry import ANNOTATIONS, BY_MODE


def collect_cluster_ipam(
    decision: ModeDecision, nodes: Sequence[RawObject], objects: Sequence[RawObject] = ()
) -> ClusterIpam:
    """`objects`: those of the custom resource the mode's CNI reads; none if it reads Nodes only."""
    cni = BY_MODE[decision.mode]
    read = cni.reader_for(decision.by_cilium)(by_name(nodes, "Node"), objects)
    counts = {"nodes": len(nodes)}
    if cni.reads:
        counts[cni.reads.plural] = len(objects)
    return ClusterIpam(
        decision.mode, decision.evidence, read.nodes, read.warnings, counts, read.errors
    )


def cni_evidence(nodes: Sequence[RawObject], served_crds: Iterable[str]) -> CniEvidence:
    """What auto-detection needs from the Nodes, which are read anyway: annotation counts."""
    found = [annotations_of(node) for node in nodes]
    return CniEvidence(
        served_crds=tuple(served_crds),
        nodes=len(nodes),
        annotated={key: sum(key in keys for keys in found) for key in ANNOTATIONS},
    )
