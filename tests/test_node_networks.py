"""Next hop by node network on a multi-NIC cluster (a kubectl dump in tests/data): from the flag
or from AKO's nodeNetworkList, over the fake Kubernetes API and from the dump alike."""

from __future__ import annotations

from pathlib import Path

import yaml
from helpers import DATA, init_repo, run_cli

from reconciler.manifest import parse_manifest

CLUSTER = DATA / "multi_nic_cluster.yaml"
DATA_NETWORK = "192.168.20.0/24"
# cp1 lists its data address second, w1 first; w2 only on its CiliumNode; w3 has none.
VIA_DATA_NETWORK = [
    ("10.0.0.0/24", "192.168.20.21", "cp1"),
    ("10.0.1.0/24", "192.168.20.31", "w1"),
    ("10.0.2.0/24", "192.168.20.32", "w2"),
]
W3_NAMED = (
    "node w3: no IPv4 address inside the node networks (192.168.20.0/24): status.addresses "
    "InternalIP[0] 10.10.0.33, CiliumNode spec.addresses InternalIP[0] 10.10.0.33 lie outside; "
    "no new route for 10.0.3.0/24"
)


def render(capsys, repo: Path, *source: str) -> tuple[int, str, str]:
    init_repo(repo)
    return run_cli(capsys, "render", "--cluster-name", "c", "--repo", str(repo), *source)


def routes_in(repo: Path) -> list[tuple[str, str, str]]:
    manifest = parse_manifest((repo / "routes/c/global.yaml").read_text(), "manifest")
    return [(str(r.prefix), str(r.next_hop), r.node) for r in manifest.routes]


def ako_values(path: Path) -> str:
    values = {
        "AKOSettings": {"clusterName": "c", "cniPlugin": "cilium", "disableStaticRouteSync": True},
        "NetworkSettings": {
            "nodeNetworkList": [{"networkName": "data-pg", "cidrs": [DATA_NETWORK]}],
        },
    }
    path.write_text(yaml.safe_dump(values))
    return str(path)


def test_multi_nic_nodes_route_via_the_data_network_and_a_node_without_one_is_named(
    tmp_path, capsys
):
    code, _, err = render(
        capsys, tmp_path / "repo", "--snapshot", str(CLUSTER), "--node-network", DATA_NETWORK
    )
    assert code == 2, err
    assert routes_in(tmp_path / "repo") == VIA_DATA_NETWORK
    assert f"warning: {W3_NAMED}" in err.splitlines()


def test_ako_node_network_list_over_the_live_api_gives_the_same_manifest(tmp_path, capsys, serve):
    _, kubeconfig = serve(yaml.safe_load(CLUSTER.read_text())["items"])
    values = ako_values(tmp_path / "values.yaml")
    code, _, err = render(
        capsys, tmp_path / "live", "--kubeconfig", kubeconfig, "--ako-values", values
    )
    assert code == 2, err
    assert W3_NAMED in err
    render(capsys, tmp_path / "dump", "--snapshot", str(CLUSTER), "--node-network", DATA_NETWORK)
    manifest = "routes/c/global.yaml"
    assert (tmp_path / "live" / manifest).read_bytes() == (
        tmp_path / "dump" / manifest
    ).read_bytes()


def test_without_node_networks_the_first_internal_ip_stays_the_next_hop(tmp_path, capsys):
    code, _, err = render(capsys, tmp_path / "repo", "--snapshot", str(CLUSTER))
    assert code == 2, err
    assert routes_in(tmp_path / "repo") == [
        ("10.0.0.0/24", "10.10.0.21", "cp1"),
        ("10.0.1.0/24", "192.168.20.31", "w1"),
        ("10.0.2.0/24", "10.10.0.32", "w2"),
        ("10.0.3.0/24", "10.10.0.33", "w3"),
    ]
    assert "warning" not in err


def test_check_says_which_address_was_chosen_and_why(capsys):
    code, out, err = run_cli(
        capsys,
        "check",
        "--cluster-name",
        "c",
        "--snapshot",
        str(CLUSTER),
        "--node-network",
        DATA_NETWORK,
    )
    assert code == 0, err
    chosen = [line for line in out.splitlines() if line.startswith("next hop")]
    assert chosen == [
        "next hop: node cp1: IPv4 next hop 192.168.20.21 from status.addresses InternalIP[1], "
        "inside node network 192.168.20.0/24 (instead of first InternalIP 10.10.0.21)",
        "next hop: node w2: IPv4 next hop 192.168.20.32 from CiliumNode spec.addresses "
        "InternalIP[1], inside node network 192.168.20.0/24 (instead of first InternalIP "
        "10.10.0.32)",
        "next hops: 3 node(s) routed, 2 of them through an address other than their first "
        "InternalIP",
    ]
    assert W3_NAMED in err
