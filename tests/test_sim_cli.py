"""`route-reconciler sim kube|avi` serve the stand-ins as real processes on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests
from helpers import node, write_objects

from reconciler.avi.client import AviClient, AviSettings


def serve(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from reconciler.cli import main; raise SystemExit(main())", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert match, line + process.stderr.read()
    return process, match[0]


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    return out


def test_sim_avi_serves_with_the_password_from_the_environment():
    process, url = serve("sim", "avi", "--port", "0", env={"AVI_PASSWORD": "from-env-secret"})
    try:
        client = AviClient(AviSettings(url, "admin", "from-env-secret"))
        assert client.find_vrf("global", "Default-Cloud")["name"] == "global"
        client.close()
    finally:
        output = stop(process)
    assert "from-env-secret" not in output


def test_sim_kube_serves_a_snapshot(tmp_path):
    snapshot = write_objects(tmp_path / "nodes.yaml", [node("w1", "192.168.0.1", ["10.0.0.0/24"])])
    process, url = serve("sim", "kube", "--snapshot", str(snapshot))
    try:
        kubeconfig = process.stdout.readline().split(":", 1)[1].strip()
        token = re.search(r"token: (\S+)", Path(kubeconfig).read_text())[1]
        nodes = requests.get(
            f"{url}/api/v1/nodes", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert [n["metadata"]["name"] for n in nodes.json()["items"]] == ["w1"]
    finally:
        stop(process)
