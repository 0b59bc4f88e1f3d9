"""The fake GitHub's issues, labels, commit statuses and commit pull requests, judged by
PyGithub, a client written against api.github.com: if it reads the fake's answers, so would
GitHub's. Pinned here: one number space for issues and pull requests, pull requests in the
issues list, `state_reason`, label creation (explicit and on the fly), the 140-character status
description, and the pull requests of a merge commit."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github, GithubException

from reconciler.sim.github import FakeGitHub

TOKEN = "ghp_tracking-token-0123456789"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path) -> Path:
    """A bare repository with `main` and a branch `topic` one commit ahead."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.email", "t@example.invalid")
    git(work, "config", "user.name", "T")
    (work / "a").write_text("a\n")
    git(work, "add", "a")
    git(work, "commit", "-q", "-m", "initial")
    git(work, "switch", "-q", "-c", "topic")
    (work / "b").write_text("b\n")
    git(work, "add", "b")
    git(work, "commit", "-q", "-m", "topic")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


@pytest.fixture
def site(remote) -> Iterator[tuple[FakeGitHub, object]]:
    with FakeGitHub(token=TOKEN, git_dir=remote) as github:
        client = Github(auth=Auth.Token(TOKEN), base_url=github.url, retry=None)
        yield github, client.get_repo("acme/routes")


def test_issues_and_pull_requests_share_numbers_and_the_issues_list(site):
    _, repo = site
    pull = repo.create_pull(title="Routes", body="plan", head="topic", base="main")
    issue = repo.create_issue(title="Drift", body="table", labels=["route-reconciler-drift"])
    assert (pull.number, issue.number) == (1, 2)
    listed = {item.number: item for item in repo.get_issues(state="open")}
    assert set(listed) == {1, 2}
    assert listed[1].pull_request is not None and listed[2].pull_request is None
    labelled = list(repo.get_issues(state="open", labels=["route-reconciler-drift"]))
    assert [item.number for item in labelled] == [2]
    assert [label.name for label in labelled[0].labels] == ["route-reconciler-drift"]
    issue.create_comment("seen")
    assert repo.get_issue(2).comments == 1


def test_closing_sets_a_state_reason_and_reopening_another(site):
    _, repo = site
    issue = repo.create_issue(title="Drift", body="table")
    issue.edit(state="closed")
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert issue.closed_at is not None
    issue.edit(state="open")
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    issue.edit(state="closed", state_reason="not_planned")
    assert repo.get_issue(issue.number).state_reason == "not_planned"
    assert [i.number for i in repo.get_issues(state="closed")] == [issue.number]
    with pytest.raises(GithubException) as refused:
        issue.edit(state="bogus")
    assert refused.value.status == 422


def test_labels_are_created_once_and_on_the_fly_in_grey(site):
    _, repo = site
    label = repo.create_label("route-reconciler-drift", "d93f0b", "Avi differs from git")
    assert (label.name, label.color, label.description) == (
        "route-reconciler-drift",
        "d93f0b",
        "Avi differs from git",
    )
    with pytest.raises(GithubException) as taken:
        repo.create_label("Route-Reconciler-Drift", "000000")
    assert taken.value.status == 422
    assert taken.value.data["errors"][0]["code"] == "already_exists"
    repo.create_issue(title="x", labels=["new-label"])
    assert repo.get_label("new-label").color == "ededed"
    with pytest.raises(GithubException) as missing:
        repo.get_label("nothing")
    assert missing.value.status == 404


def test_commit_statuses_newest_first_with_githubs_limits(site, remote):
    github, repo = site
    sha = git(remote, "rev-parse", "main")
    commit = repo.get_commit(sha)
    commit.create_status("failure", description="blocked 1", context="route-reconciler/apply/c/g")
    commit.create_status("success", description="applied 2", context="route-reconciler/apply/c/g")
    assert [s.state for s in commit.get_statuses()] == ["success", "failure"]
    with pytest.raises(GithubException) as too_long:
        commit.create_status("success", description="x" * 141, context="c")
    assert too_long.value.status == 422
    assert "maximum is 140 characters" in too_long.value.data["errors"][0]["message"]
    with pytest.raises(GithubException) as bad_state:
        commit.create_status("done", context="c")
    assert bad_state.value.status == 422
    with pytest.raises(GithubException) as unknown:
        repo.get_commit("0" * 40).create_status("success")
    assert unknown.value.status in (404, 422)
    assert [s["state"] for s in github.statuses(sha)] == ["success", "failure"]


def test_a_merge_commit_lists_the_pull_request_it_merged(site, remote):
    github, repo = site
    pull = repo.create_pull(title="Routes", body="plan", head="topic", base="main")
    topic = git(remote, "rev-parse", "topic")
    assert [p.number for p in repo.get_commit(topic).get_pulls()] == [pull.number]
    merged = git(remote, "commit-tree", f"{topic}^{{tree}}", "-p", "main", "-p", topic, "-m", "m")
    git(remote, "update-ref", "refs/heads/main", merged)
    github.merge(pull.number, merged)
    (found,) = repo.get_commit(merged).get_pulls()
    assert (found.number, found.merged, found.head.ref) == (pull.number, True, "topic")
    main_before = git(remote, "rev-parse", "main^1")
    assert list(repo.get_commit(main_before).get_pulls()) == []
