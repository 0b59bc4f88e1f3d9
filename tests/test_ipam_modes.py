"""IPAM mode selection: auto-detection from cilium-config and refusal of contradictions."""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.ipam.model import IpamMode
from reconciler.ipam.modes import decide_mode

CM = "kube-system/cilium-config"


@pytest.mark.parametrize(
    ("requested", "config", "mode"),
    [
        ("auto", {"ipam": "cluster-pool"}, IpamMode.CILIUM_CLUSTER_POOL),
        ("auto", {}, IpamMode.CILIUM_CLUSTER_POOL),  # Cilium's default when the key is unset
        ("auto", {"ipam": "kubernetes"}, IpamMode.KUBERNETES_HOST_SCOPE),
        ("auto", None, IpamMode.KUBERNETES_HOST_SCOPE),
        ("cilium", {"ipam": "cluster-pool"}, IpamMode.CILIUM_CLUSTER_POOL),
        ("cilium", None, IpamMode.CILIUM_CLUSTER_POOL),
        ("kubernetes", {"ipam": "kubernetes"}, IpamMode.KUBERNETES_HOST_SCOPE),
        ("", None, IpamMode.KUBERNETES_HOST_SCOPE),  # AKO's empty cniPlugin
        ("CILIUM", {"ipam": "cluster-pool"}, IpamMode.CILIUM_CLUSTER_POOL),
    ],
)
def test_mode_selection(requested, config, mode):
    decision = decide_mode(requested, config, CM)
    assert decision.mode is mode
    assert decision.evidence


def test_evidence_names_the_configmap_and_value():
    assert decide_mode("auto", {"ipam": "cluster-pool"}, CM).evidence == (
        f"ConfigMap {CM} ipam: cluster-pool",
    )
    assert "not found" in decide_mode("auto", None, CM).evidence[0]


@pytest.mark.parametrize(
    "mode", ["multi-pool", "eni", "azure", "alibabacloud", "crd", "delegated-plugin", "weird"]
)
def test_unroutable_cilium_modes_are_named(mode):
    with pytest.raises(
        InputError, match=f"ConfigMap {CM} field data.ipam: Cilium IPAM mode '{mode}'"
    ):
        decide_mode("auto", {"ipam": mode}, CM)


def test_explicit_kubernetes_in_cluster_pool_cluster_explains_wrong_routes():
    with pytest.raises(InputError, match="would be wrong"):
        decide_mode("kubernetes", {"ipam": "cluster-pool"}, CM)


def test_explicit_cilium_in_kubernetes_ipam_cluster_is_refused():
    with pytest.raises(
        InputError, match="contradicts ConfigMap kube-system/cilium-config ipam: kubernetes"
    ):
        decide_mode("cilium", {"ipam": "kubernetes"}, CM)


def test_unknown_plugin_is_refused():
    with pytest.raises(InputError, match="--cni-plugin 'calico2'"):
        decide_mode("calico2", None, CM)
