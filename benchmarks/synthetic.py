"""Deterministic synthetic inputs: a Cilium cluster-pool cluster as `kubectl get -o json` prints
it, and the Avi VRF entries (ours and foreign) that the plan and apply scenarios run against.

Objects carry the fields a real cluster has (labels, conditions, images, ...), because parsing
them is most of the offline cost and the floor is measured on the same bytes.

Run as a script, it writes one file: the cluster as a snapshot, the routes render writes for it
(as JSON, for the floors), or its canonical manifest, maybe with next hops moved or routes added:

    synthetic.py snapshot --nodes N --cidrs 2 --out FILE
    synthetic.py routes --nodes N --cidrs 2 --out FILE
    synthetic.py manifest --nodes N --cidrs 2 --out FILE [--moved I ...] [--added K]
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.manifest import Manifest, render_manifest
from reconciler.ownership import to_avi
from reconciler.routes import Route, route_id

CLUSTER = "bench"
VRF = "bench-vrf"
CLOUD = "Default-Cloud"
IPAM_MODE = "cilium-cluster-pool"
MOVED_BY = 65_536  # a moved next hop: the node got a new address this far from the old one
NODE_V4_BASE = ipaddress.IPv4Address("172.16.0.1")
NODE_V6_BASE = ipaddress.IPv6Address("fd00:172:16::1")
FOREIGN_V4_BASE = ipaddress.IPv4Address("100.64.0.0")
FOREIGN_MASK = 26
MAX_NODES = 65_536  # one /24 of 10.0.0.0/8 per node
CILIUM_CONFIG = {
    "ipam": "cluster-pool",
    "cluster-pool-ipv4-cidr": "10.0.0.0/8",
    "cluster-pool-ipv4-mask-size": "24",
    "cluster-pool-ipv6-cidr": "fd00:10:244::/48",
    "cluster-pool-ipv6-mask-size": "64",
    "enable-ipv4": "true",
    "enable-ipv6": "true",
    "enable-sctp": "false",
    "tunnel-protocol": "vxlan",
    "kube-proxy-replacement": "true",
}
IMAGES = [
    ("quay.io/cilium/cilium", "v1.15.6", 212_345_678),
    ("quay.io/cilium/operator-generic", "v1.15.6", 31_234_567),
    ("registry.k8s.io/kube-proxy", "v1.29.6", 28_345_678),
    ("registry.k8s.io/pause", "3.9", 321_578),
    ("docker.io/library/nginx", "1.27.0", 71_234_567),
    ("registry.k8s.io/coredns/coredns", "v1.11.1", 18_234_567),
]
CONDITIONS = [
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ("NetworkUnavailable", "False", "CiliumIsUp", "Cilium is running on this node"),
]


def node_name(index: int) -> str:
    return f"node-{index:05d}"


def node_ips(index: int) -> tuple[str, str]:
    """The node's InternalIPs: every node is dual-stack."""
    return str(NODE_V4_BASE + index), str(NODE_V6_BASE + index)


def pod_cidrs(index: int, cidrs_per_node: int) -> list[str]:
    """One IPv4 /24, plus one IPv6 /64 when the node has two pod CIDRs."""
    if not 0 <= index < MAX_NODES or cidrs_per_node not in (1, 2):
        raise ValueError(f"node index below {MAX_NODES} and 1 or 2 CIDRs per node, please")
    cidrs = [f"10.{index >> 8}.{index & 255}.0/24"]
    if cidrs_per_node == 2:
        cidrs.append(f"fd00:10:244:{index:x}::/64")
    return cidrs


def _uid(kind: str, index: int) -> str:
    return f"{index:08x}-{kind[:4].lower():0<4}-4000-8000-{index:012x}"


def _labels(name: str, index: int) -> dict[str, str]:
    zone = "abc"[index % 3]
    return {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "m6i.2xlarge",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node-role.kubernetes.io/worker": "",
        "node.kubernetes.io/instance-type": "m6i.2xlarge",
        "topology.kubernetes.io/region": "eu-west-1",
        "topology.kubernetes.io/zone": f"eu-west-1{zone}",
    }


def node_object(index: int) -> dict[str, Any]:
    name = node_name(index)
    ipv4, ipv6 = node_ips(index)
    heartbeat = "2024-06-01T12:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                "io.cilium.network.ipv4-cilium-host": f"10.{index >> 8}.{index & 255}.17",
            },
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": _labels(name, index),
            "name": name,
            "resourceVersion": str(100_000 + index),
            "uid": _uid("Node", index),
        },
        "spec": {"providerID": f"aws:///eu-west-1a/i-{index:017x}"},
        "status": {
            "addresses": [
                {"address": ipv4, "type": "InternalIP"},
                {"address": ipv6, "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": {
                "cpu": "7910m",
                "ephemeral-storage": "95551679124",
                "hugepages-2Mi": "0",
                "memory": "31619708Ki",
                "pods": "110",
            },
            "capacity": {
                "cpu": "8",
                "ephemeral-storage": "103675908Ki",
                "hugepages-2Mi": "0",
                "memory": "32587964Ki",
                "pods": "110",
            },
            "conditions": [
                {
                    "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": "2024-05-01T10:01:00Z",
                    "message": message,
                    "reason": reason,
                    "status": status,
                    "type": kind,
                }
                for kind, status, reason, message in CONDITIONS
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": [
                {"names": [f"{image}@sha256:{index:064x}", f"{image}:{tag}"], "sizeBytes": size}
                for image, tag, size in IMAGES
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": _uid("boot", index),
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "6.1.0-21-cloud-amd64",
                "kubeProxyVersion": "v1.29.6",
                "kubeletVersion": "v1.29.6",
                "machineID": f"{index:032x}",
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": _uid("syst", index),
            },
        },
    }


def cilium_node_object(index: int, cidrs_per_node: int) -> dict[str, Any]:
    name = node_name(index)
    ipv4, ipv6 = node_ips(index)
    host_v4 = f"10.{index >> 8}.{index & 255}.17"
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNode",
        "metadata": {
            "creationTimestamp": "2024-05-01T10:00:30Z",
            "labels": _labels(name, index),
            "name": name,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": name, "uid": _uid("Node", index)}
            ],
            "resourceVersion": str(200_000 + index),
            "uid": _uid("CiliumNode", index),
        },
        "spec": {
            "addresses": [
                {"ip": ipv4, "type": "InternalIP"},
                {"ip": ipv6, "type": "InternalIP"},
                {"ip": host_v4, "type": "CiliumInternalIP"},
            ],
            "alibaba-cloud": {},
            "azure": {},
            "encryption": {},
            "eni": {},
            "health": {"ipv4": f"10.{index >> 8}.{index & 255}.201"},
            "ingress": {},
            "ipam": {"podCIDRs": pod_cidrs(index, cidrs_per_node), "pools": {}},
        },
        "status": {"alibaba-cloud": {}, "azure": {}, "eni": {}, "ipam": {"operator-status": {}}},
    }


def cilium_config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        "data": CILIUM_CONFIG,
    }


def cluster_objects(nodes: int, cidrs_per_node: int) -> Iterator[dict[str, Any]]:
    """In `kubectl get nodes,ciliumnodes` order, then the ConfigMap."""
    yield from (node_object(index) for index in range(nodes))
    yield from (cilium_node_object(index, cidrs_per_node) for index in range(nodes))
    yield cilium_config_map()


def write_snapshot(path: Path, nodes: int, cidrs_per_node: int) -> None:
    """Write a `kind: List` as `kubectl get -o json` does (4-space indent), one item at a time so
    the writer never holds the whole cluster."""
    item_indent = "\n" + " " * 8
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n    "apiVersion": "v1",\n    "items": [')
        for position, obj in enumerate(cluster_objects(nodes, cidrs_per_node)):
            out.write("," if position else "")
            out.write(item_indent + json.dumps(obj, indent=4).replace("\n", item_indent))
        out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""')
        out.write("\n    }\n}\n")


def cluster_routes(nodes: int, cidrs_per_node: int) -> list[Route]:
    """The routes `render` computes for the cluster, built directly (to seed a VRF with them)."""
    routes = []
    for index in range(nodes):
        hops = [ipaddress.ip_address(ip) for ip in node_ips(index)]
        for cidr in pod_cidrs(index, cidrs_per_node):
            prefix = ipaddress.ip_network(cidr)
            next_hop = next(hop for hop in hops if hop.version == prefix.version)
            routes.append(Route(prefix, next_hop, node_name(index), route_id(CLUSTER, prefix)))
    return routes


def avi_entries(routes: list[Route]) -> list[dict[str, Any]]:
    return [to_avi(route, CLUSTER) for route in routes]


def foreign_route(index: int) -> dict[str, Any]:
    """A route the cluster does not own: unlabelled, another cluster's, or another owner's."""
    prefix = FOREIGN_V4_BASE + index * 2 ** (32 - FOREIGN_MASK)
    entry: dict[str, Any] = {
        "route_id": f"legacy-{index}",
        "prefix": {"ip_addr": {"addr": str(prefix), "type": "V4"}, "mask": FOREIGN_MASK},
        "next_hop": {"addr": f"192.0.2.{1 + index % 250}", "type": "V4"},
    }
    if index % 3 == 1:
        entry["route_id"] = f"other-{index:08x}-0000-4000-8000-000000000000-{index}"
        entry["labels"] = [{"key": "clustername", "value": "other"}]
    elif index % 3 == 2:
        entry["labels"] = [{"key": "owner", "value": "netops"}]
    return entry


def interleaved(ours: list[dict[str, Any]], foreign: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our entries spread evenly among foreign ones, as years of AKO syncs leave a VRF."""
    if not ours:
        return list(foreign)
    step = max(1, len(foreign) // len(ours))
    merged: list[dict[str, Any]] = []
    for position, entry in enumerate(ours):
        merged.extend(foreign[position * step : (position + 1) * step])
        merged.append(entry)
    merged.extend(foreign[len(ours) * step :])
    return merged


def manifest_text(nodes: int, cidrs_per_node: int, moved: list[int], added: int) -> str:
    """The canonical manifest of the cluster with the routes at `moved` given another next hop
    and the routes of `added` more nodes."""
    routes = cluster_routes(nodes + added, cidrs_per_node)
    for index in moved:
        routes[index] = dataclasses.replace(
            routes[index], next_hop=routes[index].next_hop + MOVED_BY
        )
    return render_manifest(Manifest(CLUSTER, VRF, CLOUD, IPAM_MODE, tuple(routes)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("snapshot", "routes", "manifest"))
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--cidrs", type=int, choices=(1, 2), default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--moved", type=int, nargs="*", default=[], help="route indexes")
    parser.add_argument("--added", type=int, default=0, help="nodes")
    args = parser.parse_args()
    if args.what == "snapshot":
        write_snapshot(args.out, args.nodes, args.cidrs)
    elif args.what == "routes":
        routes = [
            {
                "routeId": route.route_id,
                "prefix": str(route.prefix),
                "nextHop": str(route.next_hop),
                "node": route.node,
            }
            for route in cluster_routes(args.nodes, args.cidrs)
        ]
        args.out.write_text(json.dumps(routes))
    else:
        args.out.write_text(manifest_text(args.nodes, args.cidrs, args.moved, args.added))


if __name__ == "__main__":
    main()
