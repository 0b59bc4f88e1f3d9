"""Pull-request bodies stay under GitHub's limit: long plans are summarised, the JSON committed."""

from __future__ import annotations

import json

import git
from helpers import init_repo, route

from reconciler.apply import Target
from reconciler.gitstore import GitStore
from reconciler.manifest import Manifest, manifest_path, render_manifest
from reconciler.plan import three_way_plan
from reconciler.propose import BODY_LIMIT, offline_live, plan_file_path, propose
from reconciler.review.github import GitHubClient, GitHubSettings
from reconciler.sim.github import FakeGitHub


def test_a_long_plan_is_summarised_and_the_full_plan_committed(tmp_path):
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo = init_repo(tmp_path / "repo")
    repo.create_remote("origin", remote.working_dir)
    repo.git.push("origin", "main")
    routes = tuple(
        route(f"10.{i // 256}.{i % 256}.0/24 192.168.0.{i % 250 + 1} w{i}") for i in range(3000)
    )
    manifest = Manifest("c", "global", "Default-Cloud", "cilium-cluster-pool", routes)
    store = GitStore(repo.working_dir)
    branch = "route-reconciler/c"
    store.commit_on_branch(
        branch,
        repo.head.commit.hexsha,
        {manifest_path("c", "global"): render_manifest(manifest)},
        "routes\n",
    )
    plan = three_way_plan("c", "global", (), routes, offline_live(()))
    with FakeGitHub(token="t0ken", git_dir=remote.working_dir) as fake:
        github = GitHubClient(GitHubSettings("acme/routes", "t0ken", api_url=fake.url))
        result = propose(
            store,
            github,
            Target("c", "global", "Default-Cloud"),
            lambda: plan,
            [],
            branch=branch,
            reviewed_ref="main",
            remote="origin",
        )
        body = fake.pulls[0]["body"]
    assert result.action == "opened" and result.pushed
    assert len(body) <= BODY_LIMIT
    assert f"`{plan_file_path('c', 'global')}`" in body
    committed = json.loads(remote.git.show(f"{branch}:{plan_file_path('c', 'global')}"))
    assert len(committed["changes"]) == 3000
