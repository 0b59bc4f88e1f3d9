"""One small cluster per CNI that AKO supports, as kubectl prints its objects, with the awkward
cases each CNI has; the routes render must produce from it. Served by the fake Kubernetes API over
HTTP and written as kubectl dumps (tests/test_cni_sources.py), and run for RBAC against
deploy/base plus the CNI's component (tests/test_deploy.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]


def node(name: str, ips: list[str], annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    metadata: Obj = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": metadata,
        "spec": spec,
        "status": {
            "addresses": [{"type": "Hostname", "address": name}]
            + [{"type": "InternalIP", "address": ip} for ip in ips],
            "nodeInfo": {"kernelVersion": "6.1.0-18-amd64"},
        },
    }


def block(name: str, node_name: str, cidr: str, state: str = "confirmed", deleted: Any = "false"):
    return {
        "kind": "BlockAffinity",
        "apiVersion": "crd.projectcalico.org/v1",
        "metadata": {"name": name},
        "spec": {"node": node_name, "cidr": cidr, "state": state, "deleted": deleted},
    }


def host_subnet(name: str, host: str | None, subnet: str, host_ip: str = "") -> Obj:
    obj: Obj = {
        "kind": "HostSubnet",
        "apiVersion": "network.openshift.io/v1",
        "metadata": {"name": name},
        "subnet": subnet,
    }
    if host is not None:
        obj["host"] = host
    if host_ip:
        obj["hostIP"] = host_ip
    return obj


def ovn_subnets(default: Any) -> dict[str, str]:
    return {"k8s.ovn.org/node-subnets": json.dumps({"default": default})}


def cilium_config(ipam: str) -> Obj:
    return {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        "data": {"ipam": ipam},
    }


def cilium_node(name: str, allocated: list[Obj]) -> Obj:
    return {
        "kind": "CiliumNode",
        "apiVersion": "cilium.io/v2",
        "metadata": {"name": name},
        "spec": {"ipam": {"pools": {"allocated": allocated}}},
    }


@dataclass(frozen=True)
class CniCluster:
    cni_plugin: str
    mode: str
    objects: list[Obj]
    routes: list[str]  # "<prefix> <nextHop> <node>", in manifest order
    exit_code: int = 2  # render against an empty repository: 2 (written), 1 (node errors)
    messages: list[str] = field(default_factory=list)  # fragments expected on stderr


def calico() -> CniCluster:
    calico_v4 = {"projectcalico.org/IPv4Address": "192.168.10.11/24"}
    return CniCluster(
        "calico",
        "calico-blockaffinity",
        [
            # kube-controller-manager's node CIDRs, which Calico IPAM does not use: never read.
            node("w1", ["192.168.99.11"], calico_v4, podCIDRs=["10.244.1.0/24"]),
            node("w2", ["192.168.10.12"], podCIDRs=["10.244.2.0/24"]),
            node("w3", ["192.168.10.13"]),
            block("w1-10-0-1-0-26", "w1", "10.0.1.0/26"),
            block("w1-10-0-1-64-26", "w1", "10.0.1.64/26"),
            block("w2-10-0-2-0-26", "w2", "10.0.2.0/26"),
            block("w2-10-0-2-0-26-duplicate", "w2", "10.0.2.0/26"),
            block("w2-10-0-2-64-26", "w2", "10.0.2.64/26", state="pending"),
            block("w3-10-0-3-0-26", "w3", "10.0.3.0/26", deleted="true"),
            block("w3-10-0-3-64-26", "w3", "10.0.3.64/26", deleted=True),
            block("w3-10-0-3-128-26", "w3", "10.0.3.128/26"),
        ],
        [
            "10.0.1.0/26 192.168.10.11 w1",
            "10.0.1.64/26 192.168.10.11 w1",
            "10.0.2.0/26 192.168.10.12 w2",
            "10.0.3.128/26 192.168.10.13 w3",
        ],
        messages=["3 BlockAffinity block(s) not routed: 1 not confirmed", "2 deleted"],
    )


def openshift() -> CniCluster:
    return CniCluster(
        "openshift",
        "openshift-hostsubnet",
        [
            node("w1", ["192.168.10.11"]),
            node("w2", ["192.168.10.12"]),
            host_subnet("w1", "w1", "10.128.0.0/23", "192.168.10.11"),
            host_subnet("w2", "w2", "10.128.2.0/23", "192.168.10.12"),
            host_subnet("stray", None, "10.128.4.0/23"),
        ],
        ["10.128.0.0/23 192.168.10.11 w1", "10.128.2.0/23 192.168.10.12 w2"],
        exit_code=1,
        messages=["error: HostSubnet stray: host is missing"],
    )


def ovn_kubernetes() -> CniCluster:
    return CniCluster(
        "ovn-kubernetes",
        "ovn-kubernetes-annotation",
        [
            node("w1", ["192.168.10.11"], ovn_subnets("10.128.0.0/23")),
            node(
                "w2",
                ["192.168.10.12", "fd00:1::12"],
                ovn_subnets(["10.128.2.0/23", "fd01:0:0:2::/64"]),
            ),
            node("w3", ["192.168.10.13"], {"k8s.ovn.org/node-subnets": '{"default":'}),
            node("w4", ["192.168.10.14"], ovn_subnets("")),
            node("w5", ["192.168.10.15"], ovn_subnets([])),
            node("w6", ["192.168.10.16"]),  # not annotated yet
            node("w7", ["192.168.10.17"], {"k8s.ovn.org/node-subnets": "[" * 100_000}),
        ],
        [
            "10.128.0.0/23 192.168.10.11 w1",
            "10.128.2.0/23 192.168.10.12 w2",
            "fd01:0:0:2::/64 fd00:1::12 w2",
        ],
        exit_code=1,
        messages=[
            "error: node w3: annotation k8s.ovn.org/node-subnets is not valid JSON",
            "error: node w4: annotation k8s.ovn.org/node-subnets key 'default' is empty",
            "error: node w5: annotation k8s.ovn.org/node-subnets key 'default' is empty",
            "warning: node w6: annotation k8s.ovn.org/node-subnets is not set",
            "error: node w7: annotation k8s.ovn.org/node-subnets nests deeper than 100 levels",
        ],
    )


def antrea() -> CniCluster:
    transport = {
        "node.antrea.io/transport-addresses": "172.16.0.11,fd00:16::1, 172.16.1.11,fd00:16::11"
    }
    return CniCluster(
        "antrea",
        "antrea-node",
        [
            node(
                "w1",
                ["192.168.10.11", "fd00:1::11"],
                transport,
                podCIDRs=["10.244.1.0/24", "fd00:10:244:1::/64"],
            ),
            node(
                "w2",
                ["192.168.10.12"],
                {"node.antrea.io/transport-addresses": "172.16.0.12"},
                podCIDRs=["10.244.2.0/24"],
            ),
            node("w3", ["192.168.10.13"], podCIDR="10.244.3.0/24"),
        ],
        [
            "10.244.1.0/24 172.16.1.11 w1",
            "10.244.2.0/24 172.16.0.12 w2",
            "10.244.3.0/24 192.168.10.13 w3",
            "fd00:10:244:1::/64 fd00:16::11 w1",
        ],
    )


def cilium_multi_pool() -> CniCluster:
    return CniCluster(
        "cilium",
        "cilium-multi-pool",
        [
            cilium_config("multi-pool"),
            node("w1", ["192.168.10.11"]),
            node("w2", ["192.168.10.12"]),
            cilium_node(
                "w1",
                [
                    {"pool": "default", "cidrs": ["10.10.1.0/27", "10.10.1.32/27"]},
                    {"pool": "blue", "cidrs": ["10.20.1.0/28"]},
                ],
            ),
            cilium_node("w2", [{"pool": "default", "cidrs": ["10.10.2.0/27"]}]),
        ],
        [
            "10.10.1.0/27 192.168.10.11 w1",
            "10.10.1.32/27 192.168.10.11 w1",
            "10.10.2.0/27 192.168.10.12 w2",
            "10.20.1.0/28 192.168.10.11 w1",
        ],
    )


CLUSTERS = {
    "calico": calico,
    "openshift": openshift,
    "ovn-kubernetes": ovn_kubernetes,
    "antrea": antrea,
    "cilium-multi-pool": cilium_multi_pool,
}


def write_kubectl_dumps(folder: Path, objects: list[Obj]) -> list[str]:
    """One file per kind, as `kubectl get <kind> -o yaml` (or `-o json` for custom resources)
    prints it: a `List` whose items carry kind and apiVersion."""
    folder.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Obj]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    paths = []
    for kind, items in sorted(by_kind.items()):
        listed = {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": sorted(items, key=lambda obj: obj["metadata"]["name"]),
        }
        if kind in ("Node", "ConfigMap"):
            path = folder / f"{kind.lower()}s.yaml"
            path.write_text(yaml.safe_dump(listed, sort_keys=False))
        else:
            path = folder / f"{kind.lower()}s.json"
            path.write_text(json.dumps(listed, indent=4))
        paths.append(str(path))
    return paths
