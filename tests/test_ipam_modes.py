"""IPAM mode selection: auto-detection from cilium-config, else from the other CNIs' traces,
refusal of contradictions and of guesses between two CNIs."""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.ipam.antrea import TRANSPORT_ANNOTATION as ANTREA
from reconciler.ipam.model import CALICO_CRD, OPENSHIFT_CRD, IpamMode
from reconciler.ipam.modes import CNI_PLUGIN_CHOICES, CniEvidence, decide_mode
from reconciler.ipam.ovn_kubernetes import SUBNETS_ANNOTATION as OVN
from reconciler.ipam.registry import BY_MODE, CNIS, REFUSED_PLUGINS, AnnotatedNodes

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
            CniEvidence(nodes=3, annotated={OVN: 2}),
            IpamMode.OVN_KUBERNETES_ANNOTATION,
            "2 of 3 Node(s) carry annotation k8s.ovn.org/node-subnets (OVN-Kubernetes)",
        ),
        (
            CniEvidence(nodes=3, annotated={ANTREA: 3}),
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
    evidence = CniEvidence(served_crds=(CALICO_CRD,), nodes=1, annotated={OVN: 1})
    assert decide_mode("auto", {"ipam": "kubernetes"}, CM, evidence).mode is (
        IpamMode.KUBERNETES_HOST_SCOPE
    )


@pytest.mark.parametrize(
    ("evidence", "named"),
    [
        (CniEvidence(served_crds=(CALICO_CRD, OPENSHIFT_CRD)), ["calico", "openshift"]),
        (
            CniEvidence(served_crds=(OPENSHIFT_CRD,), nodes=4, annotated={OVN: 4}),
            ["openshift", "ovn"],
        ),
        (
            CniEvidence(served_crds=(CALICO_CRD,), nodes=2, annotated={ANTREA: 1}),
            ["calico", "antrea"],
        ),
        (CniEvidence(nodes=2, annotated={OVN: 1, ANTREA: 1}), ["ovn-kubernetes", "antrea"]),
    ],
)
def test_auto_never_guesses_between_two_cnis(evidence, named):
    with pytest.raises(InputError, match="will not guess between them") as raised:
        decide_mode("auto", None, CM, evidence)
    message = str(raised.value)
    for plugin in named:
        assert f"{plugin}" in message
    assert "set --cni-plugin (" in message


# -- the registry: mode selection knows exactly the registered CNIs ------------------------------


def test_every_mode_has_exactly_one_registered_cni():
    assert [cni.mode for cni in CNIS] == list(BY_MODE) and set(BY_MODE) == set(IpamMode)


# Every cniPlugin value AKO knows (its constants.go), and the Flannel-based CNIs its docs name,
# which take AKO's default branch (Node spec.podCIDRs).
AKO_CNI_PLUGINS = ("", "cilium", "calico", "antrea", "openshift", "ovn-kubernetes", "ncp")
AKO_DEFAULT_BRANCH = ("canal", "flannel")


def test_the_plugin_choices_are_the_registered_and_refused_ones_and_akos():
    registered = {p for cni in CNIS for p in (*cni.plugins, *cni.aliases)}
    assert set(CNI_PLUGIN_CHOICES) == {"auto", *registered} | set(REFUSED_PLUGINS)
    assert set(AKO_CNI_PLUGINS + AKO_DEFAULT_BRANCH) <= set(CNI_PLUGIN_CHOICES)


@pytest.mark.parametrize("plugin", AKO_DEFAULT_BRANCH)
def test_canal_and_flannel_mean_node_pod_cidrs_whatever_cilium_config_says(plugin):
    decision = decide_mode(plugin, {"ipam": "cluster-pool"}, CM)
    assert decision.mode is IpamMode.KUBERNETES_HOST_SCOPE
    assert decision.evidence == (f"--cni-plugin {plugin} (explicit)",)
    with pytest.raises(InputError, match="--cni-plugin 'weave-net' is not supported"):
        decide_mode("weave-net", None, CM)


@pytest.mark.parametrize(
    ("plugin", "mode"),
    [
        pytest.param(plugin, cni.mode, id=f"{plugin!r} {cni.mode}")
        for cni in CNIS
        for plugin in cni.plugins
    ],
)
def test_each_registered_plugin_selects_its_cni(plugin, mode):
    """Explicitly, in a cluster whose cilium-config (if the CNI is decided by one) agrees."""
    cilium_ipam = BY_MODE[mode].cilium_ipam
    config = {"ipam": cilium_ipam[0]} if cilium_ipam else None
    assert decide_mode(plugin, config, CM).mode is mode


@pytest.mark.parametrize(
    ("ipam", "mode"), [(ipam, cni.mode) for cni in CNIS for ipam in cni.cilium_ipam], ids=str
)
def test_auto_follows_each_registered_cilium_ipam_value(ipam, mode):
    assert decide_mode("auto", {"ipam": ipam}, CM).mode is mode


@pytest.mark.parametrize("cni", [cni for cni in CNIS if cni.trace], ids=lambda cni: cni.mode)
def test_auto_without_cilium_config_recognises_each_registered_trace(cni):
    if isinstance(cni.trace, AnnotatedNodes):
        evidence = CniEvidence(nodes=2, annotated={cni.trace.annotation: 1})
    else:
        evidence = CniEvidence(served_crds=(cni.trace.resource.name,), nodes=2)
    decision = decide_mode("auto", None, CM, evidence)
    assert decision.mode is cni.mode and f"({cni.trace.cni})" in decision.evidence[-1]
