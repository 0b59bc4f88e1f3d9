"""`render` against real git repositories: where it writes, what it commits, what it never does."""

from __future__ import annotations

import pytest
from helpers import cilium_config, cilium_node, init_repo, node, run_cli, write_objects

from reconciler.manifest import parse_manifest

MANIFEST = "routes/c/global.yaml"


def cluster(tmp_path, nodes: dict[str, str], name="cluster.yaml"):
    """nodes: name -> pod CIDR; node wN gets InternalIP 192.168.10.N."""
    objects = [cilium_config()]
    for node_name, cidr in nodes.items():
        objects.append(node(node_name, f"192.168.10.{int(node_name[1:])}"))
        objects.append(cilium_node(node_name, [cidr]))
    return str(write_objects(tmp_path / name, objects))


def render(capsys, repo, snapshot, *extra):
    return run_cli(
        capsys,
        "render",
        "--snapshot",
        snapshot,
        "--cluster-name",
        "c",
        "--repo",
        str(repo.working_tree_dir),
        *extra,
    )


FOUR = {"w1": "10.0.1.0/24", "w2": "10.0.2.0/24", "w3": "10.0.3.0/24", "w4": "10.0.4.0/24"}


def test_render_writes_the_worktree_and_reports_changes(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    code, out, _ = render(capsys, repo, cluster(tmp_path, FOUR))
    assert code == 2
    assert "4 added, 0 removed, 0 changed" in out
    assert "+ 10.0.1.0/24 via 192.168.10.1 (node w1)" in out
    written = (tmp_path / "repo" / MANIFEST).read_text()
    assert [str(r.prefix) for r in parse_manifest(written, MANIFEST).routes] == list(FOUR.values())
    assert repo.head.commit.message == "initial"  # nothing committed without --commit


def test_commit_goes_to_the_proposal_branch_and_never_to_main(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    main_before = repo.commit("main").hexsha
    code, out, _ = render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    assert code == 2
    assert repo.commit("main").hexsha == main_before
    assert repo.active_branch.name == "main"
    proposal = repo.commit("route-reconciler/c")
    assert proposal.parents[0].hexsha == main_before
    assert "+ 10.0.4.0/24 via 192.168.10.4 (node w4)" in proposal.message
    assert f"committed {proposal.hexsha[:12]} on route-reconciler/c" in out


def test_no_commit_when_nothing_changed_and_byte_identical_output(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    snapshot = cluster(tmp_path, FOUR)
    render(capsys, repo, snapshot, "--commit")
    tip = repo.commit("route-reconciler/c").hexsha
    code, out, _ = render(capsys, repo, snapshot, "--commit")
    assert code == 0
    assert "no commit" in out
    assert repo.commit("route-reconciler/c").hexsha == tip
    render(capsys, repo, snapshot)
    written = (tmp_path / "repo" / MANIFEST).read_bytes()
    assert written == repo.git.show(f"{tip}:{MANIFEST}").encode() + b"\n"


def test_cluster_change_stacks_a_small_commit_listing_route_changes(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    changed = {**FOUR, "w5": "10.0.5.0/24", "w2": "10.0.2.0/24"}
    del changed["w3"]
    code, _, _ = render(capsys, repo, cluster(tmp_path, changed, "changed.yaml"), "--commit")
    assert code == 2
    message = repo.commit("route-reconciler/c").message
    assert message.startswith(f"routes: {MANIFEST}: 1 added, 1 removed, 0 changed")
    assert "- 10.0.3.0/24 via 192.168.10.3 (node w3)" in message
    assert "+ 10.0.5.0/24 via 192.168.10.5 (node w5)" in message
    assert len(repo.commit("route-reconciler/c").parents[0].parents) == 1


def test_next_hop_change_is_reported_with_node_names(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    moved = {"w1": "10.0.1.0/24", "w2": "10.0.2.0/24", "w3": "10.0.4.0/24", "w5": "10.0.3.0/24"}
    _, out, _ = render(capsys, repo, cluster(tmp_path, moved, "moved.yaml"), "--commit")
    assert "~ 10.0.3.0/24 next hop 192.168.10.3 (node w3) -> 192.168.10.5 (node w5)" in out


def test_a_merged_proposal_restarts_from_main(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    repo.git.merge("--ff-only", "route-reconciler/c")  # the review; the worktree has no copy
    merged = repo.commit("main").hexsha
    bigger = {**FOUR, "w5": "10.0.5.0/24"}
    code, out, _ = render(capsys, repo, cluster(tmp_path, bigger, "bigger.yaml"), "--commit")
    assert code == 2
    assert repo.commit("route-reconciler/c").parents[0].hexsha == merged
    assert "1 added, 0 removed" in out


def reviewed(capsys, repo, snapshot):
    """Render on the proposal branch and merge it: main holds the reviewed manifest."""
    render(capsys, repo, snapshot, "--commit")
    repo.git.merge("--ff-only", "route-reconciler/c")


def test_route_loss_guard_refuses_without_writing(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    reviewed(capsys, repo, cluster(tmp_path, FOUR))
    refs = {ref.path: ref.commit.hexsha for ref in repo.refs}
    one = cluster(tmp_path, {"w1": "10.0.1.0/24"}, "one.yaml")
    for extra in ((), ("--commit",)):
        code, _, err = render(capsys, repo, one, *extra)
        assert code == 3
        assert "removes 3 of 4 reviewed routes (75% > --max-route-loss 50%)" in err
        code, _, err = render(capsys, repo, cluster(tmp_path, {}, "empty.yaml"), *extra)
        assert code == 3
        assert "has no routes but the reviewed one has 4" in err
    assert {ref.path: ref.commit.hexsha for ref in repo.refs} == refs
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""
    code, _, _ = render(capsys, repo, one, "--commit", "--allow-mass-delete")
    assert code == 2
    manifest = repo.git.show(f"route-reconciler/c:{MANIFEST}")
    assert len(parse_manifest(manifest, MANIFEST).routes) == 1


def test_route_loss_guard_measures_against_the_reviewed_ref_so_it_cannot_ratchet(tmp_path, capsys):
    """A read shrinking step by step (100 -> 51 -> 26 -> ... -> 1 nodes) once passed every
    render, each step losing less than half of the open proposal, and ended with a proposal
    deleting 99 of 100 reviewed routes."""
    hundred = {f"w{i}": f"10.0.{i}.0/24" for i in range(1, 101)}
    repo = init_repo(tmp_path / "repo")
    reviewed(capsys, repo, cluster(tmp_path, hundred, "100.yaml"))
    codes = {}
    for size in (51, 26, 14, 7, 4, 2, 1):
        nodes = dict(list(hundred.items())[:size])
        code, _, err = render(capsys, repo, cluster(tmp_path, nodes, f"{size}.yaml"), "--commit")
        codes[size] = code
        if code == 3:
            assert f"removes {100 - size} of 100 reviewed routes" in err
    assert codes == {51: 2, 26: 3, 14: 3, 7: 3, 4: 3, 2: 3, 1: 3}
    proposal = repo.git.show(f"route-reconciler/c:{MANIFEST}")
    assert len(parse_manifest(proposal, MANIFEST).routes) == 51


def test_max_route_loss_accepts_percentages(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    reviewed(capsys, repo, cluster(tmp_path, FOUR))
    one = cluster(tmp_path, {"w1": "10.0.1.0/24"}, "one.yaml")
    assert render(capsys, repo, one, "--max-route-loss", "70%")[0] == 3
    assert render(capsys, repo, one, "--max-route-loss", "80%")[0] == 2


def test_missing_ipam_data_keeps_committed_routes_through_git(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    objects = [cilium_config()] + [node(f"w{i}", f"192.168.10.{i}") for i in range(1, 5)]
    objects += [cilium_node(n, [c]) for n, c in FOUR.items() if n != "w2"]
    code, _, err = render(
        capsys, repo, str(write_objects(tmp_path / "gap.yaml", objects)), "--commit"
    )
    assert code == 0
    assert "node w2: no CiliumNode of that name exists yet" in err
    assert "node w2: keeps its 1 committed route(s)" in err


def test_node_error_is_reported_but_the_rest_proceeds(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    objects = [
        cilium_config(),
        node("w1", "192.168.10.1"),
        cilium_node("w1", ["10.0.1.9/24"]),
        node("w2", "192.168.10.2"),
        cilium_node("w2", ["10.0.2.0/24"]),
    ]
    code, out, err = render(capsys, repo, str(write_objects(tmp_path / "bad.yaml", objects)))
    assert code == 1
    assert "error: node w1: spec.ipam.podCIDRs[0] '10.0.1.9/24' has host bits set" in err
    assert "+ 10.0.2.0/24" in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda tmp: str(tmp), "not a git repository"),
    ],
)
def test_bad_repository_is_one_line_error(tmp_path, capsys, setup, message):
    code, _, err = run_cli(
        capsys,
        "render",
        "--snapshot",
        cluster(tmp_path, FOUR),
        "--cluster-name",
        "c",
        "--repo",
        setup(tmp_path / "nothing"),
    )
    assert code == 1
    assert message in err
    assert err.count("\n") == 1


def test_committed_manifest_of_another_cluster_is_refused(tmp_path, capsys):
    repo = init_repo(tmp_path / "repo")
    render(capsys, repo, cluster(tmp_path, FOUR), "--commit")
    text = (
        repo.git.show(f"route-reconciler/c:{MANIFEST}")
        .replace("cluster: c,", "cluster: d,")
        .replace("routeId: c.", "routeId: d.")
    )
    repo2 = init_repo(tmp_path / "repo2", {MANIFEST: text})
    code, _, err = render(capsys, repo2, cluster(tmp_path, FOUR))
    assert code == 1
    assert "metadata names cluster 'd'" in err


def test_usage_errors_exit_1_not_2(capsys):
    code, _, err = run_cli(capsys, "render", "--cluster-name", "bad.name")
    assert code == 1
    assert "cluster name 'bad.name'" in err
