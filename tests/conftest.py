import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from world import World

from reconciler.sim.avi import AviSim
from reconciler.sim.kube import FakeKubeApi


@pytest.fixture
def world(tmp_path, capsys, monkeypatch):
    """A routes repo with a bare remote, the Avi stand-in with foreign routes, credentials set."""
    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "s3cret-avi-password")
    with AviSim(username="admin", password="s3cret-avi-password") as avi:
        yield World(tmp_path, capsys, avi)


@pytest.fixture
def serve(tmp_path):
    """Start fake Kubernetes APIs serving the given objects; yields (api, kubeconfig path)."""
    started = []

    def start(objs, **kwargs):
        api = FakeKubeApi(objs, **kwargs).start()
        started.append(api)
        return api, str(api.write_kubeconfig(tmp_path / f"kubeconfig-{len(started)}"))

    yield start
    for api in started:
        api.stop()
