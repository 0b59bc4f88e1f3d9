"""`check` on what decides whether a Service Engine reaches the pods: Cilium's routing mode and
BGP control plane, and the SE groups AviInfraSettings name, read from kubectl dumps of real
object shapes, over HTTP from the fake Kubernetes API (the official client, discovery first) and
from the dumps themselves, with the SE groups on the Avi stand-in."""

from __future__ import annotations

import pytest
import yaml
from helpers import DATA, cilium_config, live_source, run_cli, write_objects

from reconciler.check import CheckSettings, run_check
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.preflight import infra_setting_se_groups
from reconciler.reachability import NATIVE, TUNNEL, RoutingMode, routing_findings, routing_mode
from reconciler.sim.avi import AviSim
from reconciler.sim.kube import load_objects

NATIVE_BGP = DATA / "cilium_kubernetes_ipam_bgp.yaml"
MULTI_POOL_TUNNEL = DATA / "cilium_multi_pool_tunnel.yaml"
CLUSTER_LABEL = [{"key": "clustername", "value": "c"}]


def no_avi(*_args):
    raise AssertionError("Avi is not read without a controller")


def check_lines(capsys, *argv: str) -> tuple[int, list[str]]:
    code, out, _ = run_cli(capsys, "check", "--cluster-name", "c", *argv)
    return code, out.splitlines()


def with_prefix(lines: list[str], prefix: str) -> list[str]:
    return [line for line in lines if line.startswith(prefix)]


# -- routing mode: the keys and Cilium's defaults -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"routing-mode": "native"}, (NATIVE, None)),
        ({"routing-mode": "tunnel", "tunnel-protocol": "geneve"}, (TUNNEL, "geneve")),
        ({"routing-mode": "tunnel"}, (TUNNEL, "vxlan")),
        ({}, (TUNNEL, "vxlan")),  # Cilium's default
        ({"tunnel": "disabled"}, (NATIVE, None)),  # before Cilium 1.14's routing-mode
        ({"tunnel": "geneve"}, (TUNNEL, "geneve")),
        ({"tunnel": "vxlan", "routing-mode": "native"}, (NATIVE, None)),
    ],
)
def test_routing_mode_from_cilium_config_keys_and_defaults(data, expected):
    found = routing_mode(data)
    assert isinstance(found, RoutingMode)
    assert (found.mode, found.protocol) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"routing-mode": "overlay"}, "routing-mode 'overlay' is neither native nor tunnel"),
        ({"tunnel": "ipip"}, "tunnel 'ipip' is none of disabled, vxlan, geneve"),
    ],
)
def test_an_unknown_routing_mode_fails_naming_the_key(data, message):
    (finding,) = routing_findings(data, "kubernetes-host-scope")
    assert finding.status == "fail" and message in finding.message


def test_a_leftover_tunnel_key_that_disagrees_is_a_warning():
    findings = routing_findings(
        {"routing-mode": "native", "tunnel": "vxlan"}, "cilium-cluster-pool"
    )
    assert [f.status for f in findings] == ["ok", "warn"]
    assert "tunnel: vxlan (deprecated in Cilium 1.14, removed in 1.15)" in findings[1].message


def test_multi_pool_fails_only_in_tunnel_mode():
    tunnel = routing_findings({"ipam": "multi-pool"}, "cilium-multi-pool")
    native = routing_findings({"ipam": "multi-pool", "routing-mode": "native"}, "cilium-multi-pool")
    assert [f.status for f in tunnel] == ["ok", "fail"]
    assert "multi-pool IPAM only with native routing" in tunnel[1].message
    assert [f.status for f in native] == ["ok"]


# -- the fixtures, over HTTP ----------------------------------------------------------------------


def test_check_reports_bgp_routing_mode_and_infra_setting_over_http(
    tmp_path, capsys, serve, monkeypatch
):
    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "pw")
    api, kubeconfig = serve(load_objects([NATIVE_BGP]))
    with AviSim(password="pw") as avi:
        avi.add_se_group("k8s-seg", labels=CLUSTER_LABEL)
        avi.add_se_group("edge-se-group")
        args = ["--kubeconfig", kubeconfig, "--se-group", "k8s-seg", "--avi-controller", avi.url]
        code, lines = check_lines(capsys, *args)
    assert code == 1  # the edge SE group lacks our label
    assert "nodes: 2, routes: 2" in lines
    (routing,) = with_prefix(lines, "ok: Cilium routing:")
    assert "native, from routing-mode: native: the network forwards pod traffic" in routing
    (bgp,) = with_prefix(lines, "warn: Cilium BGP:")
    assert "CiliumBGPAdvertisement bgp-advertisements advertises pod CIDRs" in bgp
    assert "spec.advertisements[0].advertisementType: PodCIDR" in bgp
    assert "static routes are redundant" in bgp
    assert "ok: SE group k8s-seg (--se-group): labelled clustername=c" in lines
    (edge,) = with_prefix(lines, "fail: SE group edge-se-group")
    assert "(AviInfraSetting infra-edge): labels are none, not clustername=c" in edge
    assert "restart or scale out the Service Engines already running in it" in edge
    listed = {request.path for request in api.requests if request.method == "GET"}
    assert "/apis/cilium.io/v2" in listed  # discovery: BGP v2 first, not served by Cilium 1.17
    assert "/apis/cilium.io/v2alpha1/ciliumbgpadvertisements" in listed
    assert "/apis/ako.vmware.com/v1beta1/aviinfrasettings" in listed
    assert "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies" not in listed  # not served


def test_check_fails_multi_pool_in_tunnel_mode_and_warns_on_exported_pod_cidrs(capsys, serve):
    _, kubeconfig = serve(load_objects([MULTI_POOL_TUNNEL]))
    code, lines = check_lines(capsys, "--kubeconfig", kubeconfig, "--avi-controller", "")
    assert code == 1
    assert "ok: Cilium routing: tunnel (geneve), from routing-mode: tunnel" in " ".join(lines)
    (multi_pool,) = with_prefix(lines, "fail: Cilium routing: ipam multi-pool")
    assert "set routing-mode: native (Helm routingMode=native)" in multi_pool
    (bgp,) = with_prefix(lines, "warn: Cilium BGP:")
    assert "CiliumBGPPeeringPolicy rack0 exports pod CIDRs" in bgp
    assert "spec.virtualRouters[0].exportPodCIDR: true, localASN 64512" in bgp


def test_resources_not_served_are_only_discovered_never_listed(serve):
    objects = [
        cilium_config("kubernetes"),
        *[o for o in load_objects([NATIVE_BGP]) if o["kind"] == "Node"],
    ]
    api, kubeconfig = serve(objects)
    result = run_check(live_source(kubeconfig), no_avi, CheckSettings("c"))
    messages = [finding.message for finding in result.findings]
    assert "Cilium BGP: the BGP control plane's resources are not served" in messages
    assert not any("SE group" in message for message in messages)
    listed = [r.path for r in api.requests if r.path.count("/") > 3 and "apis" in r.path]
    assert listed == [], "a resource the API does not serve needs no list, hence no RBAC"


def test_an_rbac_refusal_is_a_warning_and_the_other_findings_remain(serve):
    api, kubeconfig = serve(load_objects([NATIVE_BGP]))
    api.forbid("aviinfrasettings.ako.vmware.com")
    api.forbid("ciliumbgpadvertisements.cilium.io")
    result = run_check(live_source(kubeconfig), no_avi, CheckSettings("c"))
    warned = [f.message for f in result.findings if f.status == "warn"]
    assert any(m.startswith("Cilium BGP: list ciliumbgpadvertisements") for m in warned)
    assert any(m.startswith("AviInfraSettings: list aviinfrasettings") for m in warned)
    assert "forbidden by RBAC" in " ".join(warned)
    assert any(f.message.startswith("Cilium routing: native") for f in result.findings)


# -- kubectl dumps: the newer API versions, and what the CRD dump says is served ------------------


def newer_versions() -> list[dict]:
    """The native-routing fixture as Cilium 1.18 and an older AKO serve it: BGP at cilium.io/v2,
    AviInfraSetting at ako.vmware.com/v1alpha1, with the CRDs dumped beside them."""
    versions = {
        "CiliumBGPAdvertisement": "cilium.io/v2",
        "AviInfraSetting": "ako.vmware.com/v1alpha1",
    }
    objects = [
        {**o, "apiVersion": versions.get(o["kind"], o["apiVersion"])}
        for o in load_objects([NATIVE_BGP])
    ]
    crds = [
        ("ciliumbgpadvertisements.cilium.io", [("v2", True), ("v2alpha1", True)]),
        ("ciliumbgppeeringpolicies.cilium.io", [("v2alpha1", False)]),  # removed from serving
        ("aviinfrasettings.ako.vmware.com", [("v1alpha1", True)]),
    ]
    return objects + [
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {"versions": [{"name": v, "served": served} for v, served in versions_]},
        }
        for name, versions_ in crds
    ]


def test_a_kubectl_dump_of_the_newer_versions_gives_the_same_findings(tmp_path):
    source = SnapshotSource([write_objects(tmp_path / "cluster.yaml", newer_versions())])
    result = run_check(source, no_avi, CheckSettings("c"))
    messages = [f"{f.status}: {f.message}" for f in result.findings]
    assert any(
        "CiliumBGPAdvertisement bgp-advertisements advertises pod CIDRs" in m for m in messages
    )
    assert any(
        m.startswith(
            "warn: SE groups named by AviInfraSettings (edge-se-group): labels not checked"
        )
        for m in messages
    )
    assert len(result.computation.routes) == 2


def test_infra_settings_name_their_se_groups_and_an_unreadable_name_is_a_warning():
    settings = [
        {"metadata": {"name": "a"}, "spec": {"seGroup": {"name": "seg-1"}}},
        {"metadata": {"name": "b"}, "spec": {"seGroup": {"name": "seg-1"}}},
        {
            "metadata": {"name": "c"},
            "spec": {"network": {"enableRhi": True}},
        },  # AKO's default group
        {"metadata": {"name": "d"}, "spec": {"seGroup": {"name": ["seg-2"]}}},
        {"metadata": {"name": "e\u202e"}, "spec": {"seGroup": {"name": "seg-3"}}},
    ]
    groups, problems = infra_setting_se_groups(settings)
    assert groups == {"seg-1": ["a", "b"], "seg-3": ["'e\\u202e'"]}
    (problem,) = problems
    assert problem.status == "warn"
    assert problem.message.startswith("AviInfraSetting d: spec.seGroup.name ['seg-2'] is not")


def test_ako_values_supply_the_se_group_check_verifies(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "pw")
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "AKOSettings": {"clusterName": "c", "disableStaticRouteSync": True},
                "ControllerSettings": {"serviceEngineGroupName": "ako-seg"},
            }
        )
    )
    snapshot = str(write_objects(tmp_path / "c.yaml", [cilium_config()]))
    with AviSim(password="pw") as avi:
        avi.add_se_group("ako-seg", labels=[{"key": "clustername", "value": "other"}])
        code, out, _ = run_cli(
            capsys,
            "check",
            "--ako-values",
            str(values),
            "--snapshot",
            snapshot,
            "--avi-controller",
            avi.url,
        )
    assert code == 1
    assert "fail: SE group ako-seg (--se-group): labels are clustername=other" in out
