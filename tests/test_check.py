"""`check`: IPAM evidence, counts, gaps and the SCTP preflight."""

from __future__ import annotations

import pytest
from helpers import cilium_config, cilium_node, node, run_cli, write_objects

from reconciler.preflight import CILIUM_SCTP_FATAL, kernel_version, sctp_findings


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("5.15.0-91-generic", (5, 15)),
        ("4.18.0-477.27.1.el8_8.x86_64", (4, 18)),
        ("6.1.0-13-cloud-amd64", (6, 1)),
        ("5.2.0", (5, 2)),
        ("3.10.0-1160.el7.x86_64", (3, 10)),
        ("v5.4.0", (5, 4)),
        ("", None),
        ("unknown", None),
    ],
)
def test_kernel_versions_from_real_uname_strings(text, version):
    assert kernel_version(text) == version


def kernel(name: str, version: str) -> dict:
    obj = node(name, "192.168.0.1")
    obj["status"]["nodeInfo"] = {"kernelVersion": version}
    return obj


SCTP_SERVICE = {
    "kind": "Service",
    "apiVersion": "v1",
    "metadata": {"name": "sig", "namespace": "tel"},
    "spec": {"ports": [{"port": 3868, "protocol": "SCTP"}]},
}


def test_sctp_service_without_enable_sctp_fails():
    findings = sctp_findings(
        {"ipam": "cluster-pool"}, [SCTP_SERVICE], [kernel("w1", "6.1.0")], False
    )
    assert [f.status for f in findings] == ["fail"]
    assert (
        "tel/sig port 3868" in findings[0].message
        and 'enable-sctp is not "true"' in findings[0].message
    )


def test_enable_sctp_with_old_kernels_names_each_node_and_quotes_the_agent():
    nodes = [
        kernel("w1", "4.18.0-477.27.1.el8_8.x86_64"),
        kernel("w2", "5.15.0-91-generic"),
        kernel("w3", "5.1.21"),
    ]
    findings = sctp_findings({"enable-sctp": "true"}, [], nodes, False)
    failing = [f.message for f in findings if f.status == "fail"]
    assert len(failing) == 2
    assert "node w1: kernel 4.18.0-477.27.1.el8_8.x86_64 is older than 5.2" in failing[0]
    assert CILIUM_SCTP_FATAL in failing[0]
    assert "node w3" in failing[1]


def test_sctp_ready_and_not_needed():
    ready = sctp_findings({"enable-sctp": "true"}, [SCTP_SERVICE], [kernel("w1", "5.2.0")], True)
    assert [f.status for f in ready] == ["ok"]
    assert [f.status for f in sctp_findings({}, [], [], False)] == ["ok"]
    assert [f.status for f in sctp_findings(None, [SCTP_SERVICE], [], False)] == ["warn"]


def test_expect_sctp_checks_before_any_service_exists():
    assert sctp_findings({"enable-sctp": "false"}, [], [], True)[0].status == "fail"


def test_check_command_reports_mode_counts_gaps_and_fails_on_sctp(tmp_path, capsys):
    objs = [
        cilium_config(**{"enable-sctp": "true"}),
        kernel("w1", "4.18.0-477.27.1.el8_8.x86_64"),
        cilium_node("w1", ["10.0.1.0/24"]),
        kernel("w2", "6.1.0-13-cloud-amd64"),
        SCTP_SERVICE,
    ]
    snapshot = str(write_objects(tmp_path / "c.yaml", objs))
    code, out, err = run_cli(capsys, "check", "--snapshot", snapshot, "--cluster-name", "c")
    assert code == 1
    assert (
        "IPAM mode: cilium-cluster-pool (ConfigMap kube-system/cilium-config ipam: cluster-pool)"
        in out
    )
    assert "nodes: 2, ciliumnodes: 1, routes: 1" in out
    assert "node w2: no CiliumNode of that name exists yet" in err
    assert "fail: SCTP: node w1: kernel 4.18.0-477.27.1.el8_8.x86_64 is older than 5.2" in out
    assert out.rstrip().endswith("check failed")


def test_check_passes_on_a_healthy_cluster(tmp_path, capsys):
    objs = [cilium_config(), kernel("w1", "6.1.0"), cilium_node("w1", ["10.0.1.0/24"])]
    snapshot = str(write_objects(tmp_path / "c.yaml", objs))
    code, out, _ = run_cli(capsys, "check", "--snapshot", snapshot, "--cluster-name", "c")
    assert code == 0
    assert out.rstrip().endswith("check passed")


def test_check_with_avi_reports_se_group_labels_and_ako_sync(tmp_path, capsys, monkeypatch):
    import time

    from reconciler.preflight import ako_sync_findings
    from reconciler.sim.avi import AviSim, static_route

    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "pw")
    objs = [cilium_config(), kernel("w1", "6.1.0"), cilium_node("w1", ["10.0.1.0/24"])]
    snapshot = str(write_objects(tmp_path / "c.yaml", objs))
    with AviSim(password="pw") as avi:
        avi.add_se_group("Default-Group", labels=[{"key": "clustername", "value": "c"}])
        avi.add_se_group("Edge", labels=[{"key": "clustername", "value": "other"}])
        ako_route = static_route(
            "c-5b0f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b-0",
            "10.0.1.0/24",
            "192.168.0.1",
            labels=[{"key": "clustername", "value": "c"}],
        )
        avi.set_routes(avi.vrf("global")["uuid"], [ako_route])
        args = ["check", "--snapshot", snapshot, "--cluster-name", "c", "--avi-controller", avi.url]
        code, out, _ = run_cli(capsys, *args)
        assert code == 0, out
        assert "ok: Avi: logged in; VRF global in cloud Default-Cloud found" in out
        assert "ok: SE group Default-Group (--se-group): labelled clustername=c" in out
        assert "warn: VRF global: 1 AKO-format routes of cluster c" in out
        code, out, _ = run_cli(capsys, *args, "--se-group", "Edge")
        assert code == 1
        assert "fail: SE group Edge (--se-group): labels are clustername=other" in out
        code, out, _ = run_cli(capsys, *args, "--vrf", "nope")
        assert code == 1 and "fail: Avi:" in out
        vrf = avi.vrf("global")
    later = int(vrf["_last_modified"]) / 1e6 + 3600
    assert ako_sync_findings("c", vrf, later)[0].status == "ok"
    assert ako_sync_findings("c-eu", vrf, time.time())[0].message.endswith(
        "no AKO-format routes of cluster c-eu"
    )
