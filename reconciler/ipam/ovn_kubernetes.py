"""OVN-Kubernetes: each Node's subnets are a JSON annotation the ovnkube master writes."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import brief
from reconciler.ipam.model import NodeIpam
from reconciler.ipam.raw import RawObject, annotations_of, node_addresses, per_node
from reconciler.json_depth import TooDeep, parse_json

SUBNETS_ANNOTATION = "k8s.ovn.org/node-subnets"


def _read_ovn_node(name: str, node: RawObject) -> NodeIpam:
    """`{"default": "10.128.0.0/23"}` (before OpenShift 4.13) or `{"default": [...]}`."""
    ips = node_addresses(node)
    field = f"metadata.annotations[{SUBNETS_ANNOTATION}]"
    source = f"Node {name} {field}"
    raw = annotations_of(node).get(SUBNETS_ANNOTATION)
    if raw is None:
        missing = f"annotation {SUBNETS_ANNOTATION} is not set (no subnet assigned yet)"
        return NodeIpam(name, ips, (), source, ipam_missing=missing)

    def invalid(problem: str) -> NodeIpam:
        return NodeIpam(
            name, ips, (), source, ipam_invalid=f"annotation {SUBNETS_ANNOTATION} {problem}"
        )

    try:
        value = parse_json(str(raw))
    except TooDeep as error:
        return invalid(f"{error}: {brief(str(raw))}")
    except ValueError:
        return invalid(f"is not valid JSON: {brief(str(raw))}")
    if not isinstance(value, Mapping):
        return invalid(f"must be a JSON object with key 'default', got {brief(str(raw))}")
    if "default" not in value:
        return invalid(f"has no key 'default' (the cluster network): {brief(str(raw))}")
    default = value["default"]
    if isinstance(default, str):
        cidrs, fields = [default.strip()], [f"{field}.default"]
    elif isinstance(default, list) and all(isinstance(item, str) for item in default):
        cidrs = [item.strip() for item in default]
        fields = [f"{field}.default[{index}]" for index in range(len(default))]
    else:
        return invalid(f"key 'default' must be a string or a list of strings, got {brief(default)}")
    if not cidrs or not all(cidrs):
        return invalid(f"key 'default' is empty: {brief(default)}")
    return NodeIpam(name, ips, tuple(cidrs), source, pod_cidr_fields=tuple(fields))


read_ovn_kubernetes = per_node(_read_ovn_node)
