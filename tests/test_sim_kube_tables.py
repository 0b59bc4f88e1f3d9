"""The fake Kubernetes API over HTTPS, and the Tables it prints for kubectl (server-side printing),
read over real HTTP as kubectl asks for them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from kubernetes import client, config

from reconciler.sim.kube import FakeKubeApi
from reconciler.sim.kube.tables import human_duration
from reconciler.sim.tls import make_throwaway_ca

KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def node(name: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name}, **fields}


READY_NODE = node(
    "cp1",
    metadata={
        "name": "cp1",
        "creationTimestamp": "2020-01-01T00:00:00Z",
        "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "edge"},
    },
    spec={"unschedulable": True},
    status={
        "conditions": [
            {"type": "MemoryPressure", "status": "False"},
            {"type": "Ready", "status": "True"},
        ],
        "addresses": [
            {"type": "Hostname", "address": "cp1"},
            {"type": "InternalIP", "address": "192.168.10.10"},
            {"type": "ExternalIP", "address": "203.0.113.10"},
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.31.2",
            "osImage": "Ubuntu 22.04.3 LTS",
            "kernelVersion": "5.15.0-91-generic",
            "containerRuntimeVersion": "containerd://1.7.22",
        },
    },
)
BARE_NODE = node("w1", status={"conditions": [{"type": "Ready", "status": "Unknown"}]})


@pytest.fixture
def cluster() -> Iterator[FakeKubeApi]:
    config_map = {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        "data": {"ipam": "cluster-pool", "enable-ipv4": "true"},
        "binaryData": {"blob": "AA=="},
    }
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNode", "metadata": {"name": "cp1"}}
    with FakeKubeApi([READY_NODE, BARE_NODE, config_map, cilium]) as fake:
        yield fake


def table(fake: FakeKubeApi, path: str, accept: str = KUBECTL_ACCEPT, **params: str) -> Any:
    answer = requests.get(
        fake.url + path,
        params=params,
        headers={"Authorization": f"Bearer {fake.token}", "Accept": accept},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_nodes_print_the_apiservers_columns(cluster: FakeKubeApi) -> None:
    printed = table(cluster, "/api/v1/nodes")

    assert (printed["kind"], printed["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    columns = [(c["name"], c["priority"]) for c in printed["columnDefinitions"]]
    assert columns == [
        *[("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0)],
        *[("Internal-IP", 1), ("External-IP", 1), ("OS-Image", 1), ("Kernel-Version", 1)],
        ("Container-Runtime", 1),
    ]
    ready, bare = (row["cells"] for row in printed["rows"])
    assert ready[:3] == ["cp1", "Ready,SchedulingDisabled", "control-plane,edge"]
    assert re.fullmatch(r"\d+y(\d+d)?", ready[3])  # created in 2020: years old
    assert ready[4:] == [
        *("v1.31.2", "192.168.10.10", "203.0.113.10", "Ubuntu 22.04.3 LTS"),
        *("5.15.0-91-generic", "containerd://1.7.22"),
    ]
    assert bare[:3] == ["w1", "NotReady", "<none>"]
    assert bare[4:] == ["<unknown>", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
    assert printed["metadata"]["resourceVersion"]


def test_rows_carry_the_object_as_include_object_asks(cluster: FakeKubeApi) -> None:
    metadata = table(cluster, "/api/v1/nodes/cp1")["rows"][0]["object"]
    whole = table(cluster, "/api/v1/nodes/cp1", includeObject="Object")["rows"][0]["object"]
    nothing = table(cluster, "/api/v1/nodes/cp1", includeObject="None")["rows"][0]
    v1beta1 = table(
        cluster, "/api/v1/nodes", accept="application/json;as=Table;v=v1beta1;g=meta.k8s.io"
    )

    assert metadata["kind"] == "PartialObjectMetadata" and metadata["metadata"]["name"] == "cp1"
    assert "status" not in metadata
    assert (
        whole["kind"] == "Node" and whole["status"]["nodeInfo"]["osImage"] == "Ubuntu 22.04.3 LTS"
    )
    assert "object" not in nothing
    assert v1beta1["apiVersion"] == "meta.k8s.io/v1beta1"


def test_other_resources_print_name_and_age_configmaps_their_data(cluster: FakeKubeApi) -> None:
    ciliumnodes = table(cluster, "/apis/cilium.io/v2/ciliumnodes")
    config_map = table(cluster, "/api/v1/namespaces/kube-system/configmaps/cilium-config")

    assert [c["name"] for c in ciliumnodes["columnDefinitions"]] == ["Name", "Age"]
    assert ciliumnodes["rows"][0]["cells"][0] == "cp1"
    assert [c["name"] for c in config_map["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert config_map["rows"][0]["cells"][:2] == ["cilium-config", 3]
    assert config_map["rows"][0]["object"]["metadata"]["namespace"] == "kube-system"


def test_tables_page_like_lists_and_plain_json_stays_a_list(cluster: FakeKubeApi) -> None:
    first = table(cluster, "/api/v1/nodes", limit="1")
    second = table(
        cluster, "/api/v1/nodes", limit="1", **{"continue": first["metadata"]["continue"]}
    )
    plain = table(cluster, "/api/v1/nodes", accept="application/json")

    assert [r["cells"][0] for r in first["rows"] + second["rows"]] == ["cp1", "w1"]
    assert first["metadata"]["remainingItemCount"] == 1 and "continue" not in second["metadata"]
    assert plain["kind"] == "NodeList"


def test_an_unknown_include_object_is_a_bad_request(cluster: FakeKubeApi) -> None:
    answer = requests.get(
        f"{cluster.url}/api/v1/nodes",
        params={"includeObject": "Everything"},
        headers={"Authorization": f"Bearer {cluster.token}", "Accept": KUBECTL_ACCEPT},
        timeout=10,
    )
    assert answer.status_code == 400 and "includeObject" in answer.json()["message"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (119, "119s"),
        (120, "2m"),
        (330, "5m30s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60 * 5, "3h5m"),
        (47 * 3600, "47h"),
        (2 * 86400 + 4 * 3600, "2d4h"),
        (7 * 86400, "7d"),
        (400 * 86400, "400d"),
        (2 * 365 * 86400 + 10 * 86400, "2y10d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_as_kubectl_prints_them(seconds: int, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_https_with_the_throwaway_ca_is_verified_by_the_python_client(tmp_path: Path) -> None:
    with FakeKubeApi([BARE_NODE], tls=make_throwaway_ca(tmp_path)) as fake:
        url = fake.url
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
        trusted = config.new_client_from_config(config_file=str(kubeconfig))
        names = [n.metadata.name for n in client.CoreV1Api(trusted).list_node().items]
        trusted.close()
        untrusted = client.Configuration(host=fake.url)
        untrusted.retries = 0
        untrusted.api_key = {"authorization": f"Bearer {fake.token}"}
        with pytest.raises(urllib3.exceptions.MaxRetryError) as refused:
            client.CoreV1Api(client.ApiClient(untrusted)).list_node()

    assert url.startswith("https://127.0.0.1:") and names == ["w1"]
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == ["ca.crt", "kubeconfig", "server.crt", "server.key"]  # the CA's key is gone
