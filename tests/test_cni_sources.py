"""Every CNI that AKO supports, read over HTTP from the fake Kubernetes API (the official client,
a kubeconfig, paging) and from kubectl dumps: the same IPAM data, byte-identical manifests, one
paged list per resource the mode needs, and auto-detection that never guesses."""

from __future__ import annotations

import math

import git
import pytest
import yaml
from cni_clusters import CLUSTERS, block, node, ovn_subnets, write_kubectl_dumps
from helpers import DATA, init_repo, live_source, run_cli, write_objects

from reconciler.errors import ApiError, InputError
from reconciler.ipam.kube import KubeSource
from reconciler.ipam.model import BLOCK_AFFINITIES, CALICO_CRD, OPENSHIFT_CRD, ClusterIpam
from reconciler.ipam.read import read_cluster
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.ipam.source import CUSTOM_RESOURCES
from reconciler.routes import compute_routes

ROUTE_CASES = yaml.safe_load((DATA / "route_cases.yaml").read_text())


def live(kubeconfig: str, page_size: int = 500) -> KubeSource:
    return live_source(kubeconfig, page_size)


def comparable(ipam: ClusterIpam) -> tuple:
    """Everything but the order the source happened to list Nodes in."""
    return (
        ipam.mode,
        ipam.evidence,
        sorted(ipam.nodes, key=lambda n: n.name),
        sorted(ipam.warnings),
        ipam.counts,
        sorted(ipam.errors),
    )


def render(capsys, repo, *source: str, cni_plugin: str = "auto", commit: bool = False):
    argv = ["render", *source, "--cluster-name", "c", "--repo", str(repo)]
    argv += ["--cni-plugin", cni_plugin] + (["--commit"] if commit else [])
    return run_cli(capsys, *argv)


def manifest_routes(repo, branch: str | None = None) -> list[str]:
    """The manifest in the working tree, or committed on `branch` (render --commit)."""
    text = (
        git.Repo(repo).git.show(f"{branch}:routes/c/global.yaml")
        if branch
        else (repo / "routes/c/global.yaml").read_text()
    )
    document = yaml.safe_load(text)
    return [f"{r['prefix']} {r['nextHop']} {r['node']}" for r in document["spec"]["routes"]]


# -- the same data both ways ---------------------------------------------------------------------


@pytest.mark.parametrize("case", ROUTE_CASES, ids=[case["name"] for case in ROUTE_CASES])
def test_every_route_case_reads_the_same_over_http_as_from_a_dump(case, tmp_path, serve):
    plugin = case.get("cniPlugin", "auto")
    dump = SnapshotSource([write_objects(tmp_path / "cluster.yaml", case["objects"])])
    _, kubeconfig = serve(case["objects"])
    from_dump = read_cluster(dump, plugin, "kube-system").ipam
    over_http = read_cluster(live(kubeconfig, page_size=2), plugin, "kube-system").ipam
    assert comparable(over_http) == comparable(from_dump)
    assert compute_routes(over_http, "c") == compute_routes(from_dump, "c")


@pytest.mark.parametrize("name", sorted(CLUSTERS))
@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "auto"])
def test_render_gives_identical_manifests_over_http_and_from_kubectl_dumps(
    name, explicit, tmp_path, capsys, serve
):
    cluster = CLUSTERS[name]()
    plugin = cluster.cni_plugin if explicit else "auto"
    _, kubeconfig = serve(cluster.objects)
    dumps = write_kubectl_dumps(tmp_path / "dumps", cluster.objects)
    init_repo(tmp_path / "live")
    init_repo(tmp_path / "dump")
    code, out, err = render(
        capsys, tmp_path / "live", "--kubeconfig", kubeconfig, cni_plugin=plugin
    )
    assert code == cluster.exit_code, err
    assert f"IPAM mode: {cluster.mode}" in out
    for message in cluster.messages:
        assert message in err
    snapshot = [argument for path in dumps for argument in ("--snapshot", path)]
    code, _, dump_err = render(capsys, tmp_path / "dump", *snapshot, cni_plugin=plugin)
    assert code == cluster.exit_code and dump_err == err
    manifest = (tmp_path / "live/routes/c/global.yaml").read_bytes()
    assert manifest == (tmp_path / "dump/routes/c/global.yaml").read_bytes()
    assert manifest_routes(tmp_path / "live") == cluster.routes
    assert f"ipamMode: {cluster.mode}" in manifest.decode()


# -- reads ----------------------------------------------------------------------------------------


def many_blocks(count: int) -> list[dict]:
    objects = [node(f"w{i:04}", [f"192.168.{i // 250}.{i % 250 + 1}"]) for i in range(count)]
    objects += [
        block(f"w{i:04}-{half}", f"w{i:04}", f"10.{i // 256}.{i % 256}.{half * 128}/25")
        for i in range(count)
        for half in (0, 1)
    ]
    return objects


def test_explicit_calico_reads_one_paged_list_each_of_nodes_and_blocks(serve):
    api, kubeconfig = serve(many_blocks(260))
    source = live(kubeconfig, page_size=100)
    read = read_cluster(source, "calico", "kube-system")
    assert len(read.ipam.nodes) == 260 and read.ipam.counts["blockaffinities"] == 520
    assert source.list_requests == {"nodes": 3, "blockaffinities.crd.projectcalico.org": 6}
    # Nothing else: no cilium-config (another CNI was named), no discovery, no CiliumNodes.
    assert {r.path for r in api.requests} == {
        "/api/v1/nodes",
        "/apis/crd.projectcalico.org/v1/blockaffinities",
    }
    assert len(compute_routes(read.ipam, "c").routes) == 520


def test_auto_adds_only_cilium_config_and_two_discovery_reads(serve):
    api, kubeconfig = serve(many_blocks(30))
    source = live(kubeconfig, page_size=25)
    read = read_cluster(source, "auto", "kube-system")
    assert read.ipam.mode == "calico-blockaffinity"
    assert source.list_requests == {
        "nodes": math.ceil(30 / 25),
        "blockaffinities.crd.projectcalico.org": math.ceil(60 / 25),
    }
    others = [r.path for r in api.requests if not r.path.endswith(("/nodes", "/blockaffinities"))]
    assert others == [
        "/api/v1/namespaces/kube-system/configmaps/cilium-config",
        "/apis/crd.projectcalico.org/v1",
        "/apis/network.openshift.io/v1",
    ]


def test_an_expired_continue_token_restarts_the_block_list(serve):
    api, kubeconfig = serve(many_blocks(6))
    api.fail("blockaffinities.crd.projectcalico.org", 410, on_page=2)
    source = live(kubeconfig, page_size=5)
    blocks = source.custom_objects(BLOCK_AFFINITIES)
    assert len(blocks) == 12 and len({b["metadata"]["name"] for b in blocks}) == 12


def test_explicit_cni_whose_crd_is_not_served_says_so(serve):
    _, kubeconfig = serve([node("w1", ["192.168.10.11"])])
    with pytest.raises(InputError, match=r"BlockAffinity CRD \(blockaffinities\..*not served"):
        read_cluster(live(kubeconfig), "calico", "kube-system")
    with pytest.raises(InputError, match=r"HostSubnet CRD .* --cni-plugin ovn-kubernetes"):
        read_cluster(live(kubeconfig), "openshift", "kube-system")


def test_forbidden_block_list_is_a_clear_error(serve):
    api, kubeconfig = serve(CLUSTERS["calico"]().objects)
    api.forbid("blockaffinities.crd.projectcalico.org")
    with pytest.raises(ApiError, match=r"list blockaffinities\.crd\.projectcalico\.org: forbidden"):
        read_cluster(live(kubeconfig), "auto", "kube-system")


def test_a_node_annotated_after_creation_gets_its_routes_on_the_next_run(tmp_path, capsys, serve):
    """AKO's update filter misses this annotation (B5); a full read each run does not."""
    w1 = node("w1", ["192.168.10.11"], ovn_subnets("10.128.0.0/23"))
    api, kubeconfig = serve([w1, node("w2", ["192.168.10.12"])])
    init_repo(tmp_path / "repo")
    code, _, err = render(
        capsys,
        tmp_path / "repo",
        "--kubeconfig",
        kubeconfig,
        cni_plugin="ovn-kubernetes",
        commit=True,
    )
    assert code == 2 and "node w2: annotation k8s.ovn.org/node-subnets is not set" in err
    api.apply(node("w2", ["192.168.10.12"], ovn_subnets(["10.128.2.0/23"])))
    code, out, err = render(
        capsys,
        tmp_path / "repo",
        "--kubeconfig",
        kubeconfig,
        cni_plugin="ovn-kubernetes",
        commit=True,
    )
    assert code == 2 and err == ""
    assert "1 added, 0 removed" in out and "+ 10.128.2.0/23 via 192.168.10.12 (node w2)" in out
    assert manifest_routes(tmp_path / "repo", "route-reconciler/c") == [
        "10.128.0.0/23 192.168.10.11 w1",
        "10.128.2.0/23 192.168.10.12 w2",
    ]


# -- auto-detection -------------------------------------------------------------------------------


def test_auto_with_a_served_but_empty_calico_crd_still_picks_calico(serve):
    """A fresh Calico cluster has no blocks yet; Node podCIDRs there are not Calico's ranges."""
    _, kubeconfig = serve(
        [node("w1", ["192.168.10.11"], podCIDRs=["10.244.1.0/24"])], crds=[CALICO_CRD]
    )
    read = read_cluster(live(kubeconfig), "auto", "kube-system")
    assert read.ipam.mode == "calico-blockaffinity"
    assert read.ipam.nodes[0].pod_cidrs == () and read.ipam.nodes[0].ipam_missing


@pytest.mark.parametrize(
    ("crds", "annotations", "named"),
    [
        ([CALICO_CRD], ovn_subnets("10.128.0.0/23"), ["calico", "ovn-kubernetes"]),
        ([CALICO_CRD, OPENSHIFT_CRD], {}, ["calico", "openshift"]),
        ([OPENSHIFT_CRD], ovn_subnets(["10.128.0.0/23"]), ["openshift", "ovn-kubernetes"]),
        (
            [],
            {"node.antrea.io/transport-addresses": "172.16.0.11"} | ovn_subnets("10.1.0.0/23"),
            ["ovn-kubernetes", "antrea"],
        ),
    ],
)
def test_auto_with_two_kinds_of_evidence_asks_for_cni_plugin(
    crds, annotations, named, tmp_path, capsys, serve
):
    _, kubeconfig = serve([node("w1", ["192.168.10.11"], annotations)], crds=crds)
    init_repo(tmp_path / "repo")
    code, out, err = render(capsys, tmp_path / "repo", "--kubeconfig", kubeconfig)
    assert code == 1 and out == ""
    assert "will not guess between them" in err and err.count("\n") == 1
    for plugin in named:
        assert f"{plugin}: " in err
    assert f"set --cni-plugin ({' or '.join(named)})" in err
    assert not (tmp_path / "repo/routes").exists()


def test_check_shows_the_evidence(capsys, serve):
    _, kubeconfig = serve(CLUSTERS["calico"]().objects)
    code, out, _ = run_cli(capsys, "check", "--cluster-name", "c", "--kubeconfig", kubeconfig)
    assert code == 0
    assert (
        "IPAM mode: calico-blockaffinity (ConfigMap kube-system/cilium-config not found; "
        "CRD blockaffinities.crd.projectcalico.org is served (Calico))"
    ) in out
    assert "nodes: 3, blockaffinities: 8, routes: 4" in out


def test_ncp_is_refused_before_reading_anything(tmp_path, capsys, serve):
    api, kubeconfig = serve(CLUSTERS["antrea"]().objects)
    init_repo(tmp_path / "repo")
    code, out, err = render(capsys, tmp_path / "repo", "--kubeconfig", kubeconfig, cni_plugin="ncp")
    assert code == 1 and out == ""
    assert "error: argument --cni-plugin: ncp: with NSX-T and NCP" in err and "nothing" in err
    assert api.requests == []


# -- settings and the fake API --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cluster", "mode"),
    [
        ("calico", "calico", "calico-blockaffinity (--cni-plugin calico (explicit))"),
        ("Antrea", "antrea", "antrea-node (--cni-plugin antrea (explicit))"),
        ("openshift", "openshift", "openshift-hostsubnet (--cni-plugin openshift (explicit))"),
        ("ovn-kubernetes", "ovn-kubernetes", "ovn-kubernetes-annotation (--cni-plugin ovn"),
        ("cilium", "cilium-multi-pool", "cilium-multi-pool (--cni-plugin cilium (explicit); "),
        ("", "antrea", "kubernetes-host-scope (--cni-plugin kubernetes (explicit); ConfigMap"),
        ("canal", "antrea", "kubernetes-host-scope (--cni-plugin canal (explicit))"),
        ("flannel", "antrea", "kubernetes-host-scope (--cni-plugin flannel (explicit))"),
    ],
)
def test_ako_values_take_every_cni_plugin_ako_accepts(value, cluster, mode, tmp_path, capsys):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"AKOSettings": {"clusterName": "c", "cniPlugin": value}}))
    dump = write_objects(tmp_path / "cluster.yaml", CLUSTERS[cluster]().objects)
    _, out, _ = run_cli(capsys, "check", "--ako-values", str(values), "--snapshot", str(dump))
    assert f"IPAM mode: {mode}" in out


@pytest.mark.parametrize("plugin", ["canal", "flannel"])
def test_canal_and_flannel_from_ako_values_render_node_pod_cidrs(plugin, tmp_path, capsys):
    """Flannel-based: Node spec.podCIDRs via the InternalIP, even where Antrea's annotation is."""
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"AKOSettings": {"clusterName": "c", "cniPlugin": plugin}}))
    cluster = CLUSTERS["antrea"]()
    dump = write_objects(tmp_path / "cluster.yaml", cluster.objects)
    init_repo(tmp_path / "repo")
    repo = str(tmp_path / "repo")
    code, _, err = run_cli(
        capsys, "render", "--ako-values", str(values), "--snapshot", str(dump), "--repo", repo
    )
    assert code == 2, err
    manifest = yaml.safe_load((tmp_path / "repo/routes/c/global.yaml").read_text())
    assert manifest["spec"]["ipamMode"] == "kubernetes-host-scope"
    nodes = {obj["metadata"]["name"]: obj for obj in cluster.objects if obj["kind"] == "Node"}
    for route in manifest["spec"]["routes"]:
        node_ = nodes[route["node"]]
        assert route["prefix"] in node_["spec"].get("podCIDRs", [node_["spec"].get("podCIDR")])
        first = next(
            a["address"]
            for a in node_["status"]["addresses"]
            if a["type"] == "InternalIP" and (":" in a["address"]) == (":" in route["prefix"])
        )
        assert route["nextHop"] == first


@pytest.mark.parametrize("crd", [CALICO_CRD, OPENSHIFT_CRD])
def test_fake_api_serves_the_cni_resources_like_ciliumnodes(crd, serve):
    resource = CUSTOM_RESOURCES[crd]
    objects = [
        {
            "kind": resource.kind,
            "apiVersion": f"{resource.group}/{resource.version}",
            "metadata": {"name": f"x{i}"},
        }
        for i in range(3)
    ]
    api, kubeconfig = serve(objects)
    source = live(kubeconfig, page_size=2)
    assert source.crd_served(crd)
    listed = source.custom_objects(resource)
    assert [(o["kind"], o["metadata"]["name"]) for o in listed] == [
        (resource.kind, f"x{i}") for i in range(3)
    ]
    assert source.list_requests == {crd: 2}
    page = next(r for r in api.requests if r.path.endswith(resource.plural))
    assert page.query["limit"] == "2"
    api.uninstall_crd(crd)
    assert not source.crd_served(crd)
    assert api.objects(resource.kind) == []
    with pytest.raises(InputError, match="not served"):
        source.custom_objects(resource)


def test_snapshot_counts_a_dumped_crd_as_served(tmp_path):
    definition = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": OPENSHIFT_CRD},
    }
    source = SnapshotSource([write_objects(tmp_path / "crd.yaml", [definition])])
    assert source.crd_served(OPENSHIFT_CRD) and not source.crd_served(CALICO_CRD)
