"""The fake Kubernetes API, driven through the real `kubernetes` client and a kubeconfig it wrote.

Integration tests trust this fake to behave like a kube-apiserver, so these tests pin the wire
behaviour the production code depends on: paging, snapshots, list envelopes and Status errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from reconciler.sim.kube import FakeKubeApi, RecordedRequest, load_objects

CILIUM_CRD = "ciliumnodes.cilium.io"
PROJECT_ROOT = Path(__file__).resolve().parents[1]

Connect = Callable[[FakeKubeApi], client.ApiClient]


def node(name: str, cidr: str = "10.244.0.0/24") -> dict[str, Any]:
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {"name": name},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {"addresses": [{"type": "InternalIP", "address": "192.168.10.11"}]},
    }


def many_nodes(count: int) -> list[dict[str, Any]]:
    return [node(f"w{index:05d}") for index in range(count)]


def cilium_node(name: str, cidr: str) -> dict[str, Any]:
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNode",
        "metadata": {"name": name},
        "spec": {"ipam": {"podCIDRs": [cidr]}},
    }


def config_map(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def service(namespace: str, name: str) -> dict[str, Any]:
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80, "protocol": "TCP"}]},
    }


def lease_body(name: str, holder: str, resource_version: str | None = None) -> dict[str, Any]:
    metadata = (
        {"name": name, "resourceVersion": resource_version} if resource_version else {"name": name}
    )
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": metadata,
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 60},
    }


def status_of(error: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure" and body["code"] == error.status
    return body


def node_page(core: client.CoreV1Api, limit: int | None, token: str | None = None) -> Any:
    return json.loads(core.list_node(limit=limit, _continue=token, _preload_content=False).data)


@pytest.fixture
def connect(tmp_path: Path) -> Iterator[Connect]:
    """Start a fake and return a client built from the kubeconfig it wrote, as production does."""
    started: list[FakeKubeApi] = []

    def start_and_connect(fake: FakeKubeApi) -> client.ApiClient:
        started.append(fake.start())
        kubeconfig = fake.write_kubeconfig(tmp_path / f"kubeconfig-{len(started)}")
        return config.new_client_from_config(config_file=str(kubeconfig), context="fake")

    yield start_and_connect
    for fake in started:
        fake.stop()


def test_pages_1200_nodes_in_three_pages_with_continue_tokens(connect: Connect) -> None:
    fake = FakeKubeApi(many_nodes(1200))
    core = client.CoreV1Api(connect(fake))

    pages = [node_page(core, 500)]
    while token := pages[-1]["metadata"].get("continue"):
        pages.append(node_page(core, 500, token))

    assert [len(page["items"]) for page in pages] == [500, 500, 200]
    assert [page["metadata"].get("remainingItemCount") for page in pages] == [700, 200, None]
    assert "continue" not in pages[-1]["metadata"]
    assert {page["kind"] for page in pages} == {"NodeList"}
    assert {page["apiVersion"] for page in pages} == {"v1"}
    assert len({page["metadata"]["resourceVersion"] for page in pages}) == 1
    names = [item["metadata"]["name"] for page in pages for item in page["items"]]
    assert names == [f"w{index:05d}" for index in range(1200)]
    assert all("kind" not in item and "apiVersion" not in item for item in pages[0]["items"])
    assert [(r.method, r.path, "continue" in r.query, r.status) for r in fake.requests] == [
        ("GET", "/api/v1/nodes", False, 200),
        ("GET", "/api/v1/nodes", True, 200),
        ("GET", "/api/v1/nodes", True, 200),
    ]
    assert fake.requests[0].query == {"limit": "500"}


def test_typed_client_models_read_the_list_envelope(connect: Connect) -> None:
    core = client.CoreV1Api(connect(FakeKubeApi(many_nodes(3))))

    first = core.list_node(limit=2)
    rest = core.list_node(limit=2, _continue=first.metadata.var_continue)

    assert [n.metadata.name for n in first.items + rest.items] == ["w00000", "w00001", "w00002"]
    assert first.metadata.remaining_item_count == 1
    assert rest.metadata.var_continue is None
    assert first.items[0].spec.pod_cidrs == ["10.244.0.0/24"]


def test_page_size_cap_and_unlimited_list(connect: Connect) -> None:
    core = client.CoreV1Api(connect(FakeKubeApi(many_nodes(250), max_page_size=100)))

    capped = node_page(core, 500)
    everything = node_page(core, None)

    assert len(capped["items"]) == 100 and capped["metadata"]["remainingItemCount"] == 150
    assert len(everything["items"]) == 250 and set(everything["metadata"]) == {"resourceVersion"}


def test_paged_list_keeps_its_snapshot_across_mutations(connect: Connect) -> None:
    fake = FakeKubeApi(many_nodes(1200))
    core = client.CoreV1Api(connect(fake))
    first = node_page(core, 500)

    fake.apply(node("w00700", cidr="10.99.0.0/24"))
    fake.delete("Node", "w00900")
    fake.apply(node("zz-new"))
    rest = node_page(core, 500, first["metadata"]["continue"])
    last = node_page(core, 500, rest["metadata"]["continue"])
    fresh = node_page(core, None)

    paged = {
        item["metadata"]["name"]: item for page in (first, rest, last) for item in page["items"]
    }
    assert len(paged) == 1200 and "w00900" in paged and "zz-new" not in paged
    assert paged["w00700"]["spec"]["podCIDR"] == "10.244.0.0/24"
    assert last["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    current = {item["metadata"]["name"]: item for item in fresh["items"]}
    assert "w00900" not in current and "zz-new" in current
    assert current["w00700"]["spec"]["podCIDR"] == "10.99.0.0/24"
    assert int(fresh["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_get_by_name_carries_kind_and_missing_node_is_not_found(connect: Connect) -> None:
    fake = FakeKubeApi([node("w1")])
    core = client.CoreV1Api(connect(fake))

    got = json.loads(core.read_node("w1", _preload_content=False).data)
    with pytest.raises(ApiException) as missing:
        core.read_node("w9")

    assert got["kind"] == "Node" and got["apiVersion"] == "v1"
    assert got["metadata"]["resourceVersion"] and got["metadata"]["uid"]
    assert missing.value.status == 404
    assert status_of(missing.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'nodes "w9" not found',
        "reason": "NotFound",
        "details": {"name": "w9", "kind": "nodes"},
        "code": 404,
    }


def test_ciliumnodes_list_items_keep_kind(connect: Connect) -> None:
    fake = FakeKubeApi([cilium_node("w2", "10.0.2.0/24"), cilium_node("w1", "10.0.1.0/24")])
    custom = client.CustomObjectsApi(connect(fake))

    first = json.loads(
        custom.list_cluster_custom_object(
            "cilium.io", "v2", "ciliumnodes", limit=1, _preload_content=False
        ).data
    )
    rest = custom.list_cluster_custom_object(
        "cilium.io", "v2", "ciliumnodes", limit=1, _continue=first["metadata"]["continue"]
    )

    assert first["kind"] == "CiliumNodeList" and first["apiVersion"] == "cilium.io/v2"
    assert first["items"][0]["kind"] == "CiliumNode"
    assert first["items"][0]["apiVersion"] == "cilium.io/v2"
    assert [first["items"][0]["metadata"]["name"], rest["items"][0]["metadata"]["name"]] == [
        "w1",
        "w2",
    ]
    assert fake.requests[0].path == "/apis/cilium.io/v2/ciliumnodes"


def test_crd_not_installed_installed_empty_and_uninstalled(connect: Connect) -> None:
    fake = FakeKubeApi([node("w1")])
    custom = client.CustomObjectsApi(connect(fake))

    def list_ciliumnodes() -> Any:
        return custom.list_cluster_custom_object("cilium.io", "v2", "ciliumnodes")

    with pytest.raises(ApiException) as absent:
        list_ciliumnodes()
    fake.install_crd(CILIUM_CRD)
    empty = list_ciliumnodes()
    fake.apply(cilium_node("w1", "10.0.1.0/24"))
    one = list_ciliumnodes()
    fake.uninstall_crd(CILIUM_CRD)
    with pytest.raises(ApiException) as removed:
        list_ciliumnodes()

    assert absent.value.status == 404 and removed.value.status == 404
    body = status_of(absent.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == "the server could not find the requested resource"
    assert empty["kind"] == "CiliumNodeList" and empty["items"] == []
    assert len(one["items"]) == 1 and fake.objects("CiliumNode") == []


def test_crds_argument_forces_installed_or_absent() -> None:
    assert FakeKubeApi(crds={CILIUM_CRD}).objects("CiliumNode") == []
    with pytest.raises(ValueError, match="not installed"):
        FakeKubeApi([cilium_node("w1", "10.0.1.0/24")], crds=())


def test_configmap_read_and_missing(connect: Connect) -> None:
    fake = FakeKubeApi([config_map("kube-system", "cilium-config", {"ipam": "cluster-pool"})])
    core = client.CoreV1Api(connect(fake))

    found = json.loads(
        core.read_namespaced_config_map("cilium-config", "kube-system", _preload_content=False).data
    )
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("cilium-config", "cilium")

    assert found["kind"] == "ConfigMap" and found["data"] == {"ipam": "cluster-pool"}
    assert found["metadata"]["namespace"] == "kube-system"
    assert missing.value.status == 404
    body = status_of(missing.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "cilium-config" not found'
    assert fake.requests[0].path == "/api/v1/namespaces/kube-system/configmaps/cilium-config"


def test_services_across_and_within_namespaces(connect: Connect) -> None:
    fake = FakeKubeApi([service("b", "web"), service("a", "db"), service("a", "web")])
    core = client.CoreV1Api(connect(fake))

    first = core.list_service_for_all_namespaces(limit=2, _preload_content=False)
    first_page = json.loads(first.data)
    rest = core.list_service_for_all_namespaces(
        limit=2, _continue=first_page["metadata"]["continue"]
    )
    in_a = core.list_namespaced_service("a")

    assert first_page["kind"] == "ServiceList" and "kind" not in first_page["items"][0]
    listed = first_page["items"] + [s.to_dict() for s in rest.items]
    assert [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in listed] == [
        ("a", "db"),
        ("a", "web"),
        ("b", "web"),
    ]
    assert [s.metadata.name for s in in_a.items] == ["db", "web"]


def test_forbid_answers_the_real_rbac_message(connect: Connect) -> None:
    fake = FakeKubeApi([node("w1"), config_map("kube-system", "cilium-config", {})])
    core = client.CoreV1Api(connect(fake))
    fake.forbid("nodes")
    fake.forbid("configmaps")

    with pytest.raises(ApiException) as listing:
        core.list_node(limit=500)
    with pytest.raises(ApiException) as reading:
        core.read_namespaced_config_map("cilium-config", "kube-system")
    fake.allow("nodes")

    user = "system:serviceaccount:route-reconciler:route-reconciler"
    assert listing.value.status == 403
    assert status_of(listing.value)["reason"] == "Forbidden"
    assert status_of(listing.value)["message"] == (
        f'nodes is forbidden: User "{user}" cannot list resource "nodes" in API group "" '
        "at the cluster scope"
    )
    assert status_of(reading.value)["message"] == (
        f'configmaps "cilium-config" is forbidden: User "{user}" cannot get resource '
        '"configmaps" in API group "" in the namespace "kube-system"'
    )
    assert len(core.list_node().items) == 1


def test_expired_token_is_gone_and_a_restart_succeeds(connect: Connect) -> None:
    fake = FakeKubeApi(many_nodes(1200))
    core = client.CoreV1Api(connect(fake))
    first = node_page(core, 500)

    fake.expire_continue_tokens()
    fake.apply(node("zz-late"))
    with pytest.raises(ApiException) as expired:
        node_page(core, 500, first["metadata"]["continue"])
    body = status_of(expired.value)
    resumed = [node_page(core, 500, body["metadata"]["continue"])]
    while token := resumed[-1]["metadata"].get("continue"):
        resumed.append(node_page(core, 500, token))
    restarted = node_page(core, 2000)

    assert expired.value.status == 410
    assert body["reason"] == "Expired"
    assert body["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result."
    )
    resumed_names = [item["metadata"]["name"] for page in resumed for item in page["items"]]
    assert resumed_names[0] == "w00500" and resumed_names[-1] == "zz-late"
    assert len(restarted["items"]) == 1201 and "continue" not in restarted["metadata"]


def test_injected_failure_on_page_two_then_retry_succeeds(connect: Connect) -> None:
    fake = FakeKubeApi(many_nodes(1200))
    core = client.CoreV1Api(connect(fake))
    fake.fail("nodes", 500, on_page=2)

    first = node_page(core, 500)
    with pytest.raises(ApiException) as failed:
        node_page(core, 500, first["metadata"]["continue"])
    second = node_page(core, 500, first["metadata"]["continue"])

    assert failed.value.status == 500
    assert status_of(failed.value)["reason"] == "InternalError"
    assert second["items"][0]["metadata"]["name"] == "w00500"
    assert [r.status for r in fake.requests] == [200, 500, 200]


def test_injected_failures_count_down(connect: Connect) -> None:
    fake = FakeKubeApi([config_map("kube-system", "cilium-config", {})])
    core = client.CoreV1Api(connect(fake))
    fake.fail("configmaps", 503, count=2)

    statuses = []
    for _ in range(3):
        try:
            core.read_namespaced_config_map("cilium-config", "kube-system")
            statuses.append(200)
        except ApiException as error:
            statuses.append(error.status)
            assert status_of(error)["reason"] == "ServiceUnavailable"

    assert statuses == [503, 503, 200]


@pytest.mark.parametrize("token", ["not a token!", "e30", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"])
def test_malformed_continue_token_is_a_bad_request(connect: Connect, token: str) -> None:
    core = client.CoreV1Api(connect(FakeKubeApi(many_nodes(3))))

    with pytest.raises(ApiException) as bad:
        node_page(core, 2, token)

    assert bad.value.status == 400
    body = status_of(bad.value)
    assert body["reason"] == "BadRequest"
    assert body["message"].startswith("invalid continue token: continue key is not valid")


def test_truncated_list_body_is_broken_once(connect: Connect) -> None:
    fake = FakeKubeApi(many_nodes(50))
    core = client.CoreV1Api(connect(fake))
    fake.truncate_next_list("nodes")

    broken = core.list_node(limit=500, _preload_content=False)
    whole = node_page(core, 500)

    assert int(broken.headers["Content-Length"]) == len(broken.data)
    with pytest.raises(ValueError):
        json.loads(broken.data)
    assert len(whole["items"]) == 50


def test_lease_create_conflict_replace_delete(connect: Connect) -> None:
    fake = FakeKubeApi()
    leases = client.CoordinationV1Api(connect(fake))

    created = leases.create_namespaced_lease("ops", lease_body("rr", "pod-a"))
    with pytest.raises(ApiException) as exists:
        leases.create_namespaced_lease("ops", lease_body("rr", "pod-b"))
    version = created.metadata.resource_version
    renewed = leases.replace_namespaced_lease("rr", "ops", lease_body("rr", "pod-a", version))
    with pytest.raises(ApiException) as stale:
        leases.replace_namespaced_lease("rr", "ops", lease_body("rr", "pod-b", version))
    with pytest.raises(ApiException) as unconditional:
        leases.replace_namespaced_lease("rr", "ops", lease_body("rr", "pod-b"))
    leases.delete_namespaced_lease("rr", "ops")
    with pytest.raises(ApiException) as gone:
        leases.read_namespaced_lease("rr", "ops")

    assert created.spec.holder_identity == "pod-a" and created.metadata.namespace == "ops"
    assert exists.value.status == 409 and status_of(exists.value)["reason"] == "AlreadyExists"
    assert status_of(exists.value)["message"] == 'leases.coordination.k8s.io "rr" already exists'
    assert int(renewed.metadata.resource_version) > int(version)
    assert stale.value.status == 409 and status_of(stale.value)["reason"] == "Conflict"
    assert "the object has been modified" in status_of(stale.value)["message"]
    assert unconditional.value.status == 422
    assert gone.value.status == 404 and fake.objects("Lease") == []
    assert [(r.method, r.status) for r in fake.requests] == [
        ("POST", 201),
        ("POST", 409),
        ("PUT", 200),
        ("PUT", 409),
        ("PUT", 422),
        ("DELETE", 200),
        ("GET", 404),
    ]


def test_put_creates_a_missing_lease(connect: Connect) -> None:
    fake = FakeKubeApi()
    leases = client.CoordinationV1Api(connect(fake))

    leases.replace_namespaced_lease("rr", "ops", lease_body("rr", "pod-a"))

    assert fake.requests[-1] == RecordedRequest(
        "PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/rr", {}, 201
    )
    assert fake.objects("Lease")[0]["spec"]["holderIdentity"] == "pod-a"


def test_discovery_version_and_unknown_paths(connect: Connect) -> None:
    fake = FakeKubeApi([cilium_node("w1", "10.0.1.0/24")])
    api_client = connect(fake)

    version = client.VersionApi(api_client).get_code()
    core_versions = client.CoreApi(api_client).get_api_versions()
    groups = client.ApisApi(api_client).get_api_versions()
    params = api_client.param_serialize(
        method="GET", resource_path="/api/v1/namespaces/x/pods", auth_settings=["BearerToken"]
    )
    unknown = api_client.call_api(*params)
    unknown.read()

    assert version.git_version.startswith("v1.")
    assert core_versions.versions == ["v1"]
    assert {group.name for group in groups.groups} == {"cilium.io", "coordination.k8s.io"}
    assert unknown.status == 404
    assert json.loads(unknown.data)["message"] == "the server could not find the requested resource"


def test_wrong_credentials_are_unauthorized(connect: Connect) -> None:
    fake = FakeKubeApi([node("w1")])
    connect(fake)
    anonymous = client.ApiClient(client.Configuration(host=fake.url))

    with pytest.raises(ApiException) as denied:
        client.CoreV1Api(anonymous).list_node()

    assert denied.value.status == 401 and status_of(denied.value)["reason"] == "Unauthorized"


def test_load_objects_reads_lists_single_objects_and_multi_document_yaml(tmp_path: Path) -> None:
    node_list = tmp_path / "nodes.json"
    node_list.write_text(
        json.dumps(
            {
                "kind": "NodeList",
                "apiVersion": "v1",
                "items": [{"metadata": {"name": "w1"}, "spec": {}}],
            }
        )
    )
    documents = tmp_path / "more.yaml"
    documents.write_text(
        yaml.safe_dump_all(
            [
                {"kind": "List", "apiVersion": "v1", "items": [cilium_node("w1", "10.0.1.0/24")]},
                None,
                config_map("kube-system", "cilium-config", {"ipam": "cluster-pool"}),
            ]
        )
    )

    loaded = load_objects([node_list, documents])

    assert [(obj["kind"], obj["apiVersion"]) for obj in loaded] == [
        ("Node", "v1"),
        ("CiliumNode", "cilium.io/v2"),
        ("ConfigMap", "v1"),
    ]
