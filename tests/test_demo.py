"""`route-reconciler demo` runs end to end, and routes/demo/global.yaml is what it renders."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli

EXAMPLE = Path(__file__).parents[1] / "routes" / "demo" / "global.yaml"


def test_demo_renders_the_example_manifest_then_the_change(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "demo", "--keep", str(tmp_path))
    assert code == 0
    assert EXAMPLE.read_text() in out
    assert "5 added, 0 removed, 0 changed" in out
    assert "- 10.0.2.0/24 via 192.168.10.12 (node w2)" in out
    assert "+ 10.0.4.0/24 via 192.168.10.14 (node w4)" in out
    import git

    repo = git.Repo(tmp_path / "routes-repo")
    assert (
        repo.git.show("route-reconciler/demo~1:routes/demo/global.yaml") + "\n"
        == EXAMPLE.read_text()
    )
    assert "routes" not in repo.git.ls_tree("-r", "main", "--name-only")
