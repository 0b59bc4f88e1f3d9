"""What the reviewer of a proposal sees: a pull request made after the run's apply (its "Avi
now" is current), the IPAM evidence whichever command opened it, and a proposal that someone's
hand edit on the reviewed branch made unmergeable rebuilt from that branch, and said so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cronjob import add_node
from helpers import init_repo

from reconciler.cli import main
from reconciler.gitstore import GitStore

BRANCH = "route-reconciler/c"
MANIFEST = "routes/c/global.yaml"


def body_of(job, number: int) -> str:
    return next(pull for pull in job.github.pulls if pull["number"] == number)["body"]


def test_the_pull_request_plan_is_made_after_the_runs_apply(job):
    job, cluster = job
    job.run()
    job.merge(1)
    add_node(cluster, "w3", "10.0.3.0/24")
    code, out = job.run()
    assert code == 2 and "applied 2 change(s)" in out and "pull request #2 opened" in out, out
    body = body_of(job, 2)
    # Avi already holds the merged routes when the plan is made: only w3 is new, nothing drifts.
    assert "1 reviewed change(s), 0 drift" in body
    assert "`10.0.3.0/24`" in body and "`10.0.1.0/24`" not in body


def test_an_apply_a_guard_refused_does_not_hold_the_next_proposal_back(job, tmp_path):
    job, _ = job
    values = tmp_path / "values.yaml"
    values.write_text("AKOSettings:\n  clusterName: c\n  disableStaticRouteSync: false\n")
    job.push_reviewed("10.0.1.0/24 192.168.10.1 w1")
    code, out = job.run("--ako-values", str(values))
    assert code == 3 and "AKOSettings.disableStaticRouteSync is not true" in out, out
    assert "pull request #1 opened" in out and job.avi_routes() == set()


def test_a_standalone_propose_shows_the_evidence_its_render_recorded(job):
    job, _ = job
    clone = job.fresh_clone()
    common = ["--cluster-name", "c", "--repo", clone]
    assert main(["render", *common, "--kubeconfig", job.kubeconfig, "--commit"]) == 2
    github = ["--github-repo", "acme/routes", "--github-api-url", job.github.url]
    assert main(["propose", *common, *github]) == 2
    job.capsys.readouterr()
    body = body_of(job, 1)
    evidence = body.split("#### IPAM evidence\n\n", 1)[1]
    assert evidence.startswith(
        "- IPAM mode cilium-cluster-pool: ConfigMap kube-system/cilium-config ipam: cluster-pool"
    )


def test_a_proposal_a_hand_edit_made_unmergeable_is_rebuilt_and_says_so(job):
    job, _ = job
    code, out = job.run()
    assert "pull request #1 opened" in out
    # Someone writes the manifest on main by hand: the open proposal now conflicts with it.
    edited = job.push_reviewed("10.0.1.0/24 192.168.10.99 w1")
    code, out = job.run()
    assert "no longer merged cleanly with the reviewed ref: rebuilt from it" in out, out
    assert "pull request #1 updated, branch pushed" in out
    proposal = job.remote.commit(BRANCH)
    assert [parent.hexsha for parent in proposal.parents] == [edited]
    merge = subprocess.run(
        ["git", "merge-tree", "--write-tree", "main", BRANCH],
        cwd=job.remote.git_dir,
        capture_output=True,
    )
    assert merge.returncode == 0, merge.stdout
    body = body_of(job, 1)
    assert "> [!NOTE]\n> Rebuilt from the reviewed ref" in body
    assert f"({MANIFEST} changed there by hand)" in body
    code, out = job.run()
    assert code == 0, out
    assert "pull request #1 unchanged" in out, out


def test_a_rebuilt_proposal_with_nothing_left_goes_back_to_the_reviewed_commit(tmp_path):
    repo = init_repo(tmp_path / "repo", {MANIFEST: "routes: [a]\n"})
    store = GitStore(repo.working_dir)
    main_tip = repo.head.commit.hexsha
    store.commit_on_branch(BRANCH, main_tip, {MANIFEST: "routes: [b]\n"}, "proposal\n")
    (Path(repo.working_dir) / MANIFEST).write_text("routes: [c]\n")
    repo.index.add([MANIFEST])
    edited = repo.index.commit("by hand").hexsha
    base = store.proposal_base(BRANCH, "main")
    assert (base.parent, base.conflicts) == (edited, (MANIFEST,))
    assert store.commit_proposal(BRANCH, base, {MANIFEST: "routes: [c]\n"}, "same\n") is None
    assert store.resolve(f"refs/heads/{BRANCH}") == edited
