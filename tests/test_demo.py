"""`route-reconciler demo` runs the whole loop, and routes/demo/global.yaml is what it renders."""

from __future__ import annotations

from pathlib import Path

import git
from helpers import run_cli

EXAMPLE = Path(__file__).parents[1] / "routes" / "demo" / "global.yaml"


def test_demo_runs_the_whole_loop(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "demo", "--keep", str(tmp_path))
    assert code == 0
    assert EXAMPLE.read_text() in out
    assert "5 added, 0 removed, 0 changed" in out
    assert "update  10.0.1.0/24       192.168.10.11 -> 192.168.10.11  adopted from AKO" in out
    after = out.split("Avi VRF global after")[1]
    assert (
        after.index("dc-core") < after.index("prod-b.10.1.0.0_24") < after.index("demo.10.0.1.0_24")
    )
    assert "- 10.0.2.0/24 via 192.168.10.12 (node w2)" in out
    assert (
        "drift  update  10.0.3.0/24  192.168.10.99 -> 192.168.10.13  applied only with --heal"
        in out
    )
    assert "writes to Avi during the second run: 0" in out
    repo = git.Repo(tmp_path / "routes-repo")
    assert repo.git.show("main:routes/demo/global.yaml").count("routeId") == 5
    assert repo.tags["route-reconciler/applied/demo/global"].commit == repo.commit("main")
