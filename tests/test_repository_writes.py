"""Where `render` writes: only inside the repository, never through a symbolic link, and with
`--commit` only on the proposal branch (the user's working tree stays as it was)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import cilium_config, cilium_node, init_repo, node, run_cli, write_objects

from reconciler.errors import InputError

MANIFEST = "routes/c/global.yaml"
BRANCH = "route-reconciler/c"


@pytest.fixture
def snapshot(tmp_path) -> str:
    objects = [cilium_config(), node("w1", "192.168.10.1"), cilium_node("w1", ["10.0.1.0/24"])]
    return str(write_objects(tmp_path / "cluster.yaml", objects))


def render(capsys, repo, snapshot, *extra):
    return run_cli(
        capsys,
        "render",
        *("--snapshot", snapshot, "--cluster-name", "c", "--repo", repo.working_dir),
        *extra,
    )


def outside_files(tmp_path: Path) -> dict[str, bytes]:
    """Every file outside the repository, by path: none may appear or change."""
    outside = tmp_path / "outside"
    return {str(p): p.read_bytes() for p in outside.rglob("*") if p.is_file()}


def repo_with_symlink(tmp_path: Path, link: str, target: Path, commit: bool = True):
    """A repository with a symbolic link at `link`: committed on main and checked out as git
    does, or only in the working tree."""
    repo = init_repo(tmp_path / "repo")
    path = Path(repo.working_dir) / link
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    if commit:
        repo.index.add([link])
        repo.index.commit("a symbolic link")
    return repo


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "worktree-only"])
@pytest.mark.parametrize(
    ("link", "target"),
    [("routes", "outside"), ("routes/c", "outside"), (MANIFEST, "outside/global.yaml")],
)
def test_render_refuses_a_symbolic_link_on_the_manifest_path(
    tmp_path, capsys, snapshot, link, target, committed
):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/global.yaml").write_text("someone else's file\n")
    repo = repo_with_symlink(tmp_path, link, tmp_path / target, commit=committed)
    before = outside_files(tmp_path)
    code, _, err = render(capsys, repo, snapshot)
    assert code == 1
    where = f"{link}@{repo.head.commit.hexsha[:12]}" if committed else link
    assert err == f"error: {where}: is a symbolic link; refusing to follow it\n"
    assert outside_files(tmp_path) == before


def test_a_committed_symlink_at_the_temporary_name_is_never_written_through(
    tmp_path, capsys, snapshot
):
    (tmp_path / "outside").mkdir()
    victim = tmp_path / "outside/victim"
    victim.write_text("someone else's file\n")
    repo = repo_with_symlink(tmp_path, "routes/c/.global.yaml.tmp", victim)
    code, _, _ = render(capsys, repo, snapshot)
    assert code == 2
    assert victim.read_text() == "someone else's file\n"
    written = Path(repo.working_dir) / MANIFEST
    assert not written.is_symlink() and "10.0.1.0/24" in written.read_text()
    assert os.readlink(Path(repo.working_dir) / "routes/c/.global.yaml.tmp") == str(victim)
    assert sorted(os.listdir(written.parent)) == [".global.yaml.tmp", "global.yaml"]


@pytest.mark.parametrize(
    ("how", "value"),
    [
        ("flag", "../../../outside/x"),
        ("config", "../../../outside/x"),
        ("environment", "../../../outside/x"),
        ("ako-values", "../../../outside/x"),
        ("flag", "v" * 300),
    ],
)
def test_a_vrf_name_never_leads_outside_the_repository(
    tmp_path, capsys, monkeypatch, snapshot, how, value
):
    (tmp_path / "outside").mkdir()
    repo = init_repo(tmp_path / "repo")
    extra: list[str] = []
    if how == "flag":
        extra = ["--vrf", value]
    elif how == "config":
        (tmp_path / "settings.yaml").write_text(f"vrf: '{value}'\n")
        extra = ["--config", str(tmp_path / "settings.yaml")]
    elif how == "ako-values":
        (tmp_path / "values.yaml").write_text(
            "AKOSettings: {disableStaticRouteSync: true}\n"
            f"ControllerSettings: {{vrfName: '{value}'}}\n"
        )
        extra = ["--ako-values", str(tmp_path / "values.yaml")]
    else:
        monkeypatch.setenv("ROUTE_RECONCILER_VRF", value)
    code, _, err = render(capsys, repo, snapshot, *extra)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "VRF name" in lines[0], err
    source = {
        "flag": "--vrf",
        "config": "settings.yaml: vrf",
        "environment": "environment ROUTE_RECONCILER_VRF",
        "ako-values": "ControllerSettings.vrfName",
    }[how]
    assert source in lines[0]
    assert outside_files(tmp_path) == {}
    assert not (Path(repo.working_dir) / "routes").exists()


def test_render_commit_leaves_the_working_tree_alone_unless_asked(tmp_path, capsys, snapshot):
    repo = init_repo(tmp_path / "repo")
    code, out, _ = render(capsys, repo, snapshot, "--commit")
    assert code == 2
    assert f"committed {repo.commit(BRANCH).hexsha[:12]} on {BRANCH}" in out
    assert "10.0.1.0/24" in repo.git.show(f"{BRANCH}:{MANIFEST}")
    assert not (Path(repo.working_dir) / "routes").exists()
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""
    code, _, _ = render(capsys, repo, snapshot, "--commit", "--write-worktree")
    assert code == 0  # the branch already holds it: no commit, yet the worktree is written
    written = (Path(repo.working_dir) / MANIFEST).read_text()
    assert written == repo.git.show(f"{BRANCH}:{MANIFEST}") + "\n"


def test_the_writer_refuses_paths_that_leave_the_repository(tmp_path):
    from reconciler.gitstore import GitStore

    store = GitStore(init_repo(tmp_path / "repo").working_dir)
    for path in ("../x.yaml", "routes/../../x.yaml", "/tmp/x.yaml", "routes/./x.yaml", ""):
        with pytest.raises(InputError, match="not a plain relative path"):
            store.write_worktree(path, "x\n")
    assert sorted(os.listdir(tmp_path)) == ["repo"]
    assert not (tmp_path / "repo/routes").exists()
