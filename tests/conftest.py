import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from world import World

from reconciler.sim.avi import AviSim


@pytest.fixture
def world(tmp_path, capsys, monkeypatch):
    """A routes repo with a bare remote, the Avi stand-in with foreign routes, credentials set."""
    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "s3cret-avi-password")
    with AviSim(username="admin", password="s3cret-avi-password") as avi:
        yield World(tmp_path, capsys, avi)
