"""OpenShift SDN: a node's pod subnet is the HostSubnet whose top-level `host` names it."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.ipam.model import CniRead
from reconciler.ipam.raw import CidrsByNode, Named, RawObject, by_name


def read_openshift(nodes: Sequence[Named], host_subnets: Sequence[RawObject]) -> CniRead:
    subnets = _subnets(host_subnets)
    missing = "no HostSubnet names this node (OpenShift SDN has not given it a subnet)"
    node_names = {name for name, _ in nodes}
    return CniRead(
        tuple(
            subnets.node_ipam(name, node, f"HostSubnet host {name}", missing)
            for name, node in nodes
        ),
        tuple(
            f"HostSubnet host {host}: no Node of that name exists; its subnet is not routed"
            for host in sorted(set(subnets.by_node) - node_names)
        ),
        tuple(subnets.errors),
    )


def _subnets(host_subnets: Sequence[RawObject]) -> CidrsByNode:
    subnets = CidrsByNode()
    for name, item in by_name(host_subnets, "HostSubnet"):
        host = item.get("host")
        if not isinstance(host, str) or not host:
            subnets.errors.append(
                f"HostSubnet {name}: host is missing or not a string; its subnet is not routed"
            )
            continue
        subnet = item.get("subnet")
        if not isinstance(subnet, str) or not subnet.strip():
            subnets.add_invalid(host, f"HostSubnet {name}: subnet is missing or not a string")
            continue
        subnets.add(host, subnet.strip(), f"HostSubnet {name} subnet")
    return subnets
