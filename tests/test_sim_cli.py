"""`route-reconciler sim kube|avi|github` as real processes on 127.0.0.1, judged by real clients
(the kubernetes client, kubectl, our Avi and GitHub clients): settings in an env file, HTTPS
for kubectl, cleanup on SIGINT and SIGTERM, and one-line errors."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git
import pytest
import yaml
from helpers import as_started_from_a_terminal, cilium_node, node, write_objects
from kubernetes import client, config

from reconciler.avi.client import AviClient, AviSettings
from reconciler.cli import main
from reconciler.ownership import owner_label
from reconciler.review.github import GitHubClient, GitHubSettings
from reconciler.sim.avi import AviSim

EXAMPLES = Path(__file__).resolve().parents[1] / "reconciler" / "examples"
CLI = (sys.executable, "-c", "from reconciler.cli import main; raise SystemExit(main())")
START_DEADLINE_SECONDS = 60  # a safety net for a broken start, not a speed requirement


@dataclass
class Running:
    exports: dict[str, str]  # what the stand-in wrote to its env file once listening
    output: str = ""  # stdout and stderr, once stopped


@contextmanager
def sim(tmp_path: Path, *args: str, stop: signal.Signals = signal.SIGTERM) -> Iterator[Running]:
    """Run `route-reconciler sim ARGS --env-file F` until it listens, then stop it with ``stop``
    and check that it exited cleanly and removed the env file."""
    env_file = tmp_path / f"{args[0]}.env"
    process = subprocess.Popen(
        [*CLI, "sim", *args, "--env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_started_from_a_terminal,
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while not env_file.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the stand-in did not start"
            time.sleep(0.05)
        running = Running(
            dict(
                shlex.split(line.removeprefix("export "))[0].split("=", 1)
                for line in env_file.read_text().splitlines()
            )
        )
        yield running
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
    assert not env_file.exists()
    running.output = out + err


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err.strip()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_sim_kube_serves_https_to_the_python_client_and_cleans_up(tmp_path, stop):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "ciliumnodes.cilium.io"},
    }
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}}
    snapshot = write_objects(tmp_path / "cluster.yaml", [node("w1", "192.168.0.1", []), crd, pod])

    with sim(tmp_path, "kube", "--snapshot", str(snapshot), stop=stop) as kube:
        kubeconfig = Path(kube.exports["KUBECONFIG"])
        cluster = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]
        api = config.new_client_from_config(config_file=str(kubeconfig))
        nodes = client.CoreV1Api(api).list_node()
        ciliumnodes = client.CustomObjectsApi(api).list_cluster_custom_object(
            "cilium.io", "v2", "ciliumnodes"
        )
        api.close()

    assert cluster["server"].startswith("https://127.0.0.1:")
    assert Path(cluster["certificate-authority"]).parent == kubeconfig.parent
    assert [n.metadata.name for n in nodes.items] == ["w1"]
    assert ciliumnodes["items"] == []  # the CRD is served although no object of it was dumped
    assert "ignored objects of unsupported kinds: Pod (1)" in kube.output
    assert not kubeconfig.parent.exists()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_gets_nodes_ciliumnodes_and_the_cilium_config(tmp_path):
    snapshot = EXAMPLES / "demo-cluster.yaml"
    with sim(tmp_path, "kube", "--snapshot", str(snapshot)) as kube:

        def kubectl(*args: str) -> list[list[str]]:
            command = ["kubectl", "--cache-dir", str(tmp_path / "cache"), *args]
            env = {**os.environ, "KUBECONFIG": kube.exports["KUBECONFIG"], "HOME": str(tmp_path)}
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 0, done.stderr
            return [line.split() for line in done.stdout.splitlines()]

        nodes = kubectl("get", "nodes", "-o", "wide")
        ciliumnodes = kubectl("get", "ciliumnodes")
        cilium_config = kubectl("get", "configmap", "-n", "kube-system", "cilium-config")

    assert nodes[0] == [
        *("NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP"),
        *("OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"),
    ]
    cp1, w2 = nodes[1], nodes[3]
    assert cp1[:3] == ["cp1", "Ready", "control-plane"]
    assert cp1[4:7] == ["v1.31.2", "192.168.10.10", "<none>"]
    assert cp1[-2:] == ["6.1.0-13-cloud-amd64", "containerd://1.7.22"]
    assert w2[:3] == ["w2", "Ready,SchedulingDisabled", "<none>"]
    assert ciliumnodes[0] == ["NAME", "AGE"] and [row[0] for row in ciliumnodes[1:]] == [
        "cp1",
        "w1",
        "w2",
        "w3",
    ]
    assert cilium_config[0] == ["NAME", "DATA", "AGE"] and cilium_config[1][:2] == [
        "cilium-config",
        "8",
    ]


def test_sim_avi_loads_the_example_seed_and_labels_default_group(tmp_path, monkeypatch):
    monkeypatch.setenv("AVI_PASSWORD", "from-env-secret")
    seed = EXAMPLES / "avi-seed.yaml"
    args = ("avi", "--seed", str(seed), "--cluster-name", "demo")
    with sim(tmp_path, *args) as stand_in:
        exports = stand_in.exports
        settings = AviSettings(
            exports["AVI_CONTROLLER"], exports["AVI_USERNAME"], "from-env-secret"
        )
        with AviClient(settings) as avi:
            group = avi.find_se_group("Default-Group", "Default-Cloud")
            vrf = avi.get_vrf(avi.find_vrf("global", "Default-Cloud")["uuid"])

    assert group["labels"] == owner_label("demo")
    assert vrf["static_routes"] == yaml.safe_load(seed.read_text())["vrfs"][0]["static_routes"]
    assert "AVI_PASSWORD" not in exports  # given by the user, so not repeated
    assert "from-env-secret" not in stand_in.output


def test_sim_github_serves_pull_requests_of_a_bare_repository_and_merges_them(
    tmp_path, monkeypatch, capsys
):
    bare = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    work = git.Repo.clone_from(bare.working_dir, tmp_path / "work")
    with work.config_writer() as writer:
        writer.set_value("user", "name", "T").set_value("user", "email", "t@example.invalid")
    work.git.commit("--allow-empty", "-m", "start")
    work.git.push("origin", "main")
    work.git.switch("-c", "route-reconciler/demo")
    work.git.commit("--allow-empty", "-m", "routes")
    work.git.push("origin", "route-reconciler/demo")

    with sim(tmp_path, "github", "--git-dir", bare.working_dir) as stand_in:
        for name, value in stand_in.exports.items():
            monkeypatch.setenv(name, value)
        settings = GitHubSettings.from_env(os.environ, repository="acme/routes")
        with GitHubClient(settings) as github:
            pull = github.create_pull(
                head_branch="route-reconciler/demo", base="main", title="routes", body="plan"
            )
            code = main(["sim", "github", "merge", str(pull.number)])
            merged = github.find_open_pull("route-reconciler/demo", "main")

    out = capsys.readouterr().out
    assert code == 0 and f"merged pull request #{pull.number} of acme/routes" in out
    assert merged is None
    main_commit = bare.commit("main")
    assert [p.hexsha for p in main_commit.parents] == [
        work.commit("main").hexsha,
        work.commit("route-reconciler/demo").hexsha,
    ]
    assert main_commit.hexsha in out


def test_edit_route_changes_one_next_hop_in_place(monkeypatch, capsys):
    with AviSim(password="edit-pw") as avi:
        avi.load_seed(yaml.safe_load((EXAMPLES / "avi-seed.yaml").read_text()))
        before = avi.vrf("global")["static_routes"]
        monkeypatch.setenv("AVI_CONTROLLER", avi.url)
        monkeypatch.setenv("AVI_USERNAME", "admin")
        monkeypatch.setenv("AVI_PASSWORD", "edit-pw")

        code = main(["sim", "avi", "edit-route", "10.1.0.0/24", "192.168.20.99"])
        out = capsys.readouterr().out
        missing = one_line_error(capsys, "sim", "avi", "edit-route", "10.9.0.0/24", "10.0.0.1")
        after = avi.vrf("global")["static_routes"]

    assert code == 0 and "10.1.0.0/24" in out
    edited = {**before[1], "next_hop": {"addr": "192.168.20.99", "type": "V4"}}
    assert after == [before[0], edited, before[2]]
    assert missing == "error: edit-route: VRF global has no route for 10.9.0.0/24 to change"


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize("stand_in", ["kube", "avi", "github"])
def test_a_port_in_use_is_one_line(tmp_path, capsys, busy_port, stand_in):
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    extra = ["--git-dir", str(tmp_path / "remote.git")] if stand_in == "github" else []

    error = one_line_error(capsys, "sim", stand_in, "--port", str(busy_port), *extra)

    assert error.startswith(f"error: --port {busy_port}: cannot listen on 127.0.0.1:{busy_port}")


def test_bad_arguments_are_one_line(tmp_path, capsys, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [unclosed\n")
    nameless = write_objects(tmp_path / "nameless.yaml", [cilium_node("w1", ["10.0.1.0/24"])])
    nameless.write_text(nameless.read_text().replace("name: w1", "labels: {}"))
    missing = tmp_path / "missing.yaml"
    monkeypatch.setenv("GITHUB_TOKEN", "a-token")

    errors = {
        "missing snapshot": one_line_error(capsys, "sim", "kube", "--snapshot", str(missing)),
        "broken snapshot": one_line_error(capsys, "sim", "kube", "--snapshot", str(broken)),
        "nameless object": one_line_error(capsys, "sim", "kube", "--snapshot", str(nameless)),
        "missing seed": one_line_error(capsys, "sim", "avi", "--seed", str(missing)),
        "no git dir": one_line_error(capsys, "sim", "github"),
        "not a repository": one_line_error(capsys, "sim", "github", "--git-dir", str(tmp_path)),
        "real GitHub": one_line_error(
            capsys, "sim", "github", "merge", "1", "--github-repo", "acme/routes"
        ),
    }

    assert errors["missing snapshot"] == f"error: --snapshot {missing}: No such file or directory"
    assert errors["broken snapshot"].startswith(f"error: --snapshot {broken}: ")
    assert errors["nameless object"] == "error: --snapshot: CiliumNode without metadata.name"
    assert errors["missing seed"] == f"error: --seed {missing}: No such file or directory"
    assert "--git-dir is required" in errors["no git dir"]
    assert "not a git repository" in errors["not a repository"]
    assert "https://api.github.com is not a stand-in on 127.0.0.1" in errors["real GitHub"]
