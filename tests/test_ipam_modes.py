"""IPAM mode selection: auto-detection from cilium-config, else from the other CNIs' traces,
refusal of contradictions and of guesses between two CNIs."""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.ipam.model import CALICO_CRD, OPENSHIFT_CRD, IpamMode
from reconciler.ipam.modes import CniEvidence, decide_mode

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
        ("auto", {"ipam": "multi-pool"}, IpamMode.CILIUM_MULTI_POOL),
        ("cilium", {"ipam": "multi-pool"}, IpamMode.CILIUM_MULTI_POOL),
        ("calico", None, IpamMode.CALICO_BLOCK_AFFINITY),
        ("openshift", None, IpamMode.OPENSHIFT_HOST_SUBNET),
        ("ovn-kubernetes", None, IpamMode.OVN_KUBERNETES_ANNOTATION),
        (" Antrea ", None, IpamMode.ANTREA_NODE),
        # Explicitly another CNI: a leftover cilium-config neither decides nor contradicts.
        ("calico", {"ipam": "cluster-pool"}, IpamMode.CALICO_BLOCK_AFFINITY),
        ("antrea", {"ipam": "eni"}, IpamMode.ANTREA_NODE),
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
    "mode", ["eni", "azure", "alibabacloud", "crd", "delegated-plugin", "weird"]
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


def test_explicit_kubernetes_in_multi_pool_cluster_is_refused():
    with pytest.raises(InputError, match="contradicts ConfigMap kube-system/cilium-config"):
        decide_mode("kubernetes", {"ipam": "multi-pool"}, CM)


def test_ncp_is_refused_with_the_reason():
    with pytest.raises(InputError, match="NSX-T segments routed by NSX-T itself") as raised:
        decide_mode("ncp", None, CM)
    assert raised.value.exit_code == 1


def test_auto_refuses_a_chained_cilium():
    with pytest.raises(InputError, match="cni-chaining-mode: generic-veth: Cilium runs chained"):
        decide_mode("auto", {"ipam": "cluster-pool", "cni-chaining-mode": "generic-veth"}, CM)
    assert decide_mode("auto", {"cni-chaining-mode": "none"}, CM).mode is (
        IpamMode.CILIUM_CLUSTER_POOL
    )


@pytest.mark.parametrize(
    ("evidence", "mode", "trace"),
    [
        (CniEvidence(), IpamMode.KUBERNETES_HOST_SCOPE, "reading Node spec.podCIDRs"),
        (
            CniEvidence(served_crds=(CALICO_CRD,), nodes=3),
            IpamMode.CALICO_BLOCK_AFFINITY,
            f"CRD {CALICO_CRD} is served (Calico)",
        ),
        (
            CniEvidence(served_crds=(OPENSHIFT_CRD,), nodes=3),
            IpamMode.OPENSHIFT_HOST_SUBNET,
            f"CRD {OPENSHIFT_CRD} is served (OpenShift SDN)",
        ),
        (
            CniEvidence(nodes=3, ovn_annotated=2),
            IpamMode.OVN_KUBERNETES_ANNOTATION,
            "2 of 3 Node(s) carry annotation k8s.ovn.org/node-subnets (OVN-Kubernetes)",
        ),
        (
            CniEvidence(nodes=3, antrea_annotated=3),
            IpamMode.ANTREA_NODE,
            "3 of 3 Node(s) carry annotation node.antrea.io/transport-addresses (Antrea)",
        ),
    ],
)
def test_auto_without_cilium_config_follows_the_one_cni_it_finds(evidence, mode, trace):
    decision = decide_mode("auto", None, CM, evidence)
    assert decision.mode is mode
    assert decision.evidence[0].startswith(f"ConfigMap {CM} not found")
    assert trace in decision.evidence[-1]


def test_auto_ignores_other_cnis_when_cilium_config_decides():
    evidence = CniEvidence(served_crds=(CALICO_CRD,), nodes=1, ovn_annotated=1)
    assert decide_mode("auto", {"ipam": "kubernetes"}, CM, evidence).mode is (
        IpamMode.KUBERNETES_HOST_SCOPE
    )


@pytest.mark.parametrize(
    ("evidence", "named"),
    [
        (CniEvidence(served_crds=(CALICO_CRD, OPENSHIFT_CRD)), ["calico", "openshift"]),
        (CniEvidence(served_crds=(OPENSHIFT_CRD,), nodes=4, ovn_annotated=4), ["openshift", "ovn"]),
        (CniEvidence(served_crds=(CALICO_CRD,), nodes=2, antrea_annotated=1), ["calico", "antrea"]),
        (CniEvidence(nodes=2, ovn_annotated=1, antrea_annotated=1), ["ovn-kubernetes", "antrea"]),
    ],
)
def test_auto_never_guesses_between_two_cnis(evidence, named):
    with pytest.raises(InputError, match="will not guess between them") as raised:
        decide_mode("auto", None, CM, evidence)
    message = str(raised.value)
    for plugin in named:
        assert f"{plugin}" in message
    assert "set --cni-plugin (" in message
