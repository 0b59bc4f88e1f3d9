"""The live source over real HTTP: the official client, a kubeconfig, the project's fake API.

Same objects, same manifest as from a kubectl dump; paging, restarts and API errors handled.
"""

from __future__ import annotations

import math

import pytest
from helpers import cilium_config, cilium_node, init_repo, live_source, node, run_cli, write_objects

from reconciler.errors import ApiError, InputError
from reconciler.ipam.kube import KubeSource
from reconciler.ipam.kubeconfig import api_client
from reconciler.ipam.read import read_cluster
from reconciler.sim.kube import FakeKubeApi


def objects(count: int, dual_stack: bool = False) -> list[dict]:
    result = [cilium_config()]
    for i in range(count):
        ips = [f"192.168.{i // 250}.{i % 250 + 1}"] + ([f"fd00::{i + 1:x}"] if dual_stack else [])
        cidrs = [f"10.{i // 256}.{i % 256}.0/24"] + ([f"fd00:10:{i:x}::/64"] if dual_stack else [])
        result += [node(f"w{i}", ips), cilium_node(f"w{i}", cidrs)]
    return result


def render_live(capsys, kubeconfig: str, repo, *extra: str) -> tuple[int, str, str]:
    """`render` of cluster `c` through a kubeconfig, as a user runs it."""
    return run_cli(
        capsys,
        "render",
        "--kubeconfig",
        kubeconfig,
        "--cluster-name",
        "c",
        "--repo",
        str(repo),
        *extra,
    )


def test_live_render_equals_snapshot_render(tmp_path, capsys, serve):
    objs = objects(7, dual_stack=True)
    _, kubeconfig = serve(objs)
    live_repo, dump_repo = init_repo(tmp_path / "live"), init_repo(tmp_path / "dump")
    code, _, _ = render_live(capsys, kubeconfig, tmp_path / "live")
    assert code == 2
    snapshot = str(write_objects(tmp_path / "dump.yaml", objs))
    run_cli(
        capsys,
        "render",
        "--snapshot",
        snapshot,
        "--cluster-name",
        "c",
        "--repo",
        str(tmp_path / "dump"),
    )
    live = (tmp_path / "live/routes/c/global.yaml").read_text()
    assert live == (tmp_path / "dump/routes/c/global.yaml").read_text()
    assert live.count("routeId") == 14
    assert live_repo and dump_repo


def test_kubeconfig_from_environment_and_context(tmp_path, capsys, serve, monkeypatch):
    _, kubeconfig = serve(objects(2))
    init_repo(tmp_path / "repo")
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    code, _, _ = run_cli(
        capsys,
        "render",
        "--context",
        "fake",
        "--cluster-name",
        "c",
        "--repo",
        str(tmp_path / "repo"),
    )
    assert code == 2
    code, _, err = run_cli(
        capsys,
        "render",
        "--context",
        "nope",
        "--cluster-name",
        "c",
        "--repo",
        str(tmp_path / "repo"),
    )
    assert code == 1
    assert f"error: KUBECONFIG {kubeconfig} (context nope): no context 'nope' in it; its " in err
    assert "its contexts: fake" in err


def test_lists_are_paged_with_one_request_per_page(serve):
    api, kubeconfig = serve(objects(1201))
    live = live_source(kubeconfig)
    read = read_cluster(live, "auto", "kube-system")
    assert len(read.ipam.nodes) == 1201
    assert live.list_requests == {"nodes": math.ceil(1201 / 500), "ciliumnodes.cilium.io": 3}
    limits = {
        r.query.get("limit") for r in api.requests if r.path.endswith(("nodes", "ciliumnodes"))
    }
    assert limits == {"500"}


def test_server_may_return_short_pages(serve):
    _, kubeconfig = serve(objects(30), max_page_size=7)
    live = live_source(kubeconfig)
    assert len(live.nodes()) == 30
    assert live.list_requests["nodes"] == 5


def test_expired_continue_token_restarts_the_list_from_scratch(serve):
    api, kubeconfig = serve(objects(12))
    live = live_source(kubeconfig, page_size=5)
    api.fail("nodes", 410, on_page=2)
    names = [n["metadata"]["name"] for n in live.nodes()]
    assert names == sorted(set(names), key=names.index) and len(names) == 12
    continues = [r for r in api.requests if r.path == "/api/v1/nodes"]
    assert [bool(r.query.get("continue")) for r in continues] == [False, True, False, True, True]


def test_expired_tokens_from_compaction_restart(serve):
    api, kubeconfig = serve(objects(12))
    live = live_source(kubeconfig, page_size=5)
    first = live.nodes()
    api.expire_continue_tokens()
    assert live.nodes() == first


def test_forbidden_is_a_clear_error(serve):
    api, kubeconfig = serve(objects(2))
    api.forbid("ciliumnodes.cilium.io")
    with pytest.raises(
        ApiError, match=r"list ciliumnodes\.cilium\.io: forbidden by RBAC .*cannot list resource"
    ):
        read_cluster(live_source(kubeconfig), "auto", "kube-system")


def test_missing_cilium_crd_in_cluster_pool_mode_is_an_error(serve):
    _, kubeconfig = serve([cilium_config(), node("w1", "192.168.0.1")], crds=())
    with pytest.raises(InputError, match="CiliumNode CRD"):
        read_cluster(live_source(kubeconfig), "auto", "kube-system")


def test_absent_cilium_config_means_host_scope(serve):
    _, kubeconfig = serve([node("w1", "192.168.0.1", ["10.244.0.0/24"])], crds=())
    read = read_cluster(live_source(kubeconfig), "auto", "kube-system")
    assert read.ipam.mode == "kubernetes-host-scope"
    assert read.ipam.nodes[0].pod_cidrs == ("10.244.0.0/24",)


def test_server_error_mid_pagination_fails_the_read(serve):
    api, kubeconfig = serve(objects(12))
    api.fail("nodes", 500, on_page=2)
    with pytest.raises(ApiError, match=r"list nodes: the Kubernetes API at .* answered 500"):
        live_source(kubeconfig, page_size=5).nodes()


def test_truncated_list_is_an_error_not_a_short_list(serve):
    api, kubeconfig = serve(objects(3))
    api.truncate_next_list("nodes")
    with pytest.raises(ApiError, match=r"list nodes: .*(not valid JSON|unreachable)"):
        live_source(kubeconfig).nodes()


def test_api_failure_leaves_git_untouched(tmp_path, capsys, serve):
    api, kubeconfig = serve(objects(4))
    repo = init_repo(tmp_path / "repo")
    api.fail("ciliumnodes.cilium.io", 503, count=5)
    code, _, err = render_live(capsys, kubeconfig, tmp_path / "repo", "--commit")
    assert code == 1
    assert err.count("\n") == 1
    assert not (tmp_path / "repo/routes").exists()
    assert [h.name for h in repo.heads] == ["main"]


def test_kubeconfig_pointing_nowhere(tmp_path, capsys):
    kubeconfig = tmp_path / "kubeconfig"
    api = FakeKubeApi([]).start()
    api.write_kubeconfig(kubeconfig)
    server = api.url
    api.stop()
    init_repo(tmp_path / "repo")
    code, _, err = render_live(capsys, str(kubeconfig), tmp_path / "repo")
    assert code == 1
    assert err == (
        f"error: ConfigMap kube-system/cilium-config: no answer from the Kubernetes API at "
        f"{server} (connection refused: nothing listens on that address and port); check the "
        f"cluster's server in --kubeconfig {kubeconfig}, and that the cluster is up\n"
    )


def test_progress_on_a_terminal_counts_items_per_page(serve, capsys):
    _, kubeconfig = serve(objects(12))
    KubeSource(api_client(kubeconfig), page_size=5, progress=True).nodes()
    assert capsys.readouterr().err == "\rreading nodes: 5\rreading nodes: 10\rreading nodes: 12\n"
