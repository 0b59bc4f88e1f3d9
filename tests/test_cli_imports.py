"""A command loads only the clients it uses: the Kubernetes client (a second or more of imports)
only when a cluster is read, an HTTP stack only when a service is called. Each case runs in a
fresh interpreter and reads its `sys.modules`; timings are in benchmarks/startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import PROCESS_TIMEOUT, cilium_config, cilium_node, init_repo, node, write_objects

from reconciler.sim.kube import FakeKubeApi

CLIENTS = ("kubernetes", "requests", "urllib3")


def loaded_by(code: str) -> set[str]:
    """The client libraries in `sys.modules` after `code` ran in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=PROCESS_TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout.splitlines()[-1]))
    return {client for client in CLIENTS if client in modules}


def command(*argv: str) -> str:
    """Run one command in-process, its output discarded, exit code ignored."""
    return (
        "import contextlib, io\nfrom reconciler.cli import main\nquiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        f"    main({list(argv)!r})"
    )


def cluster_objects() -> list[dict]:
    return [node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"]), cilium_config()]


def test_importing_the_command_line_loads_no_client():
    assert loaded_by("import reconciler.cli") == set()


def test_help_builds_every_parser_without_a_client():
    assert loaded_by(command("--help")) == set()
    assert loaded_by(command("run", "--help")) == set()


def test_snapshot_render_and_check_load_no_client(tmp_path):
    snapshot = str(write_objects(tmp_path / "cluster.yaml", cluster_objects()))
    repo = init_repo(tmp_path / "repo")
    common = ["--cluster-name", "c", "--snapshot", snapshot]
    assert loaded_by(command("render", *common, "--repo", str(repo.working_dir))) == set()
    assert loaded_by(command("check", *common)) == set()


def test_a_live_cluster_read_loads_the_kubernetes_client(tmp_path):
    """The control: the probe sees the client when a command does read a cluster."""
    with FakeKubeApi(cluster_objects()) as cluster:
        kubeconfig = str(cluster.write_kubeconfig(Path(tmp_path) / "kubeconfig"))
        loaded = loaded_by(command("check", "--cluster-name", "c", "--kubeconfig", kubeconfig))
    assert "kubernetes" in loaded
