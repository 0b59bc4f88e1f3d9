"""The scheduled job as plain code: settings and adapters in, a result out, no command line.

Real parts throughout: a bare git remote and a fresh clone per run, the fake Kubernetes API read
by the production source, the Avi and GitHub stand-ins reached by the production clients."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import git
import pytest
from helpers import cilium_config, cilium_node, init_repo, live_source, node

from reconciler.apply import ApplySettings, Target
from reconciler.avi.client import AviClient, AviSettings
from reconciler.errors import EXIT_CHANGED, EXIT_REFUSED, GuardRefusal
from reconciler.gitstore import GitStore, proposal_branch
from reconciler.job import JobAdapters, JobSettings, Stages, run_job
from reconciler.lock import file_lock
from reconciler.metrics import RunMetrics
from reconciler.propose import ProposalSettings
from reconciler.render import RenderSettings
from reconciler.review.github import GitHubClient, GitHubSettings
from reconciler.sim.avi import AviSim
from reconciler.sim.github import FakeGitHub
from reconciler.sim.kube import FakeKubeApi
from reconciler.target import PlanSettings

AVI_PASSWORD = "job-avi-password"
GITHUB_TOKEN = "ghp_jobtoken123"
TARGET = Target("c", "global", "Default-Cloud")


def settings(stages: Stages | None = None, read_avi: bool = True) -> JobSettings:
    return JobSettings(
        render=RenderSettings("c"),
        proposal=ProposalSettings(PlanSettings(TARGET, proposal_branch("c")), read_avi=read_avi),
        apply=ApplySettings(TARGET),
        stages=stages or Stages(),
    )


class Site:
    """The remote, the cluster and both controllers; `adapters` gives each run a fresh clone
    and counts the clients the stages build."""

    def __init__(self, tmp_path: Path, remote: git.Repo, avi: AviSim, github: FakeGitHub) -> None:
        self.tmp_path, self.remote, self.avi, self.github = tmp_path, remote, avi, github
        self.kubeconfig = ""
        self.built: Counter[str] = Counter()
        self.clusters_read = 0
        self.runs = 0

    def adapters(self, metrics: RunMetrics | None = None) -> JobAdapters:
        self.runs += 1
        checkout = self.tmp_path / f"run-{self.runs}"
        git.Repo.clone_from(self.remote.working_dir, checkout)
        store = GitStore(checkout)
        return JobAdapters(
            cluster=self.cluster,
            store=store,
            avi=self.avi_client,
            github=self.github_client,
            lock=file_lock(Path(store.repo.git_dir), "c"),
            metrics=metrics or RunMetrics("c", "global"),
        )

    def cluster(self):
        self.clusters_read += 1
        return live_source(self.kubeconfig)

    def avi_client(self) -> AviClient:
        self.built["avi"] += 1
        return AviClient(AviSettings(self.avi.url, "admin", AVI_PASSWORD))

    def github_client(self) -> GitHubClient:
        self.built["github"] += 1
        return GitHubClient(GitHubSettings("acme/routes", GITHUB_TOKEN, api_url=self.github.url))

    def merge(self, number: int) -> None:
        reviewer = git.Repo.clone_from(self.remote.working_dir, self.tmp_path / "reviewer")
        reviewer.git.merge("--no-ff", "-m", f"Merge #{number}", "origin/route-reconciler/c")
        reviewer.git.push("origin", "main")
        self.github.merge(number, reviewer.head.commit.hexsha)

    def avi_prefixes(self) -> set[str]:
        return {
            f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}"
            for r in self.avi.vrf("global")["static_routes"]
        }


@pytest.fixture
def site(tmp_path):
    objects = [cilium_config()]
    for name, cidr in {"w1": "10.0.1.0/24", "w2": "10.0.2.0/24"}.items():
        objects += [node(name, f"192.168.10.{name[1:]}"), cilium_node(name, [cidr])]
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    seed = init_repo(tmp_path / "seed")
    seed.create_remote("origin", remote.working_dir)
    seed.git.push("origin", "main")
    with (
        FakeKubeApi(objects) as cluster,
        AviSim(password=AVI_PASSWORD) as avi,
        FakeGitHub(token=GITHUB_TOKEN, git_dir=remote.working_dir) as github,
    ):
        site = Site(tmp_path, remote, avi, github)
        site.kubeconfig = str(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        yield site


def test_the_job_applies_what_was_merged_then_proposes(site):
    first = run_job(settings(), site.adapters())
    assert first.exit_code == EXIT_CHANGED and first.error is None
    assert first.rendered is not None and first.rendered.commit is not None
    assert first.proposal is not None and first.proposal.action == "opened"
    assert first.applied is None
    assert first.outcome[1] == "apply: nothing reviewed yet (routes/c/global.yaml not on main)"
    assert first.outcome[2].startswith("propose: pull request #1 opened")
    assert site.avi_prefixes() == set()

    site.merge(first.proposal.pull.number)
    metrics = RunMetrics("c", "global")
    second = run_job(settings(), site.adapters(metrics=metrics))
    assert second.exit_code == EXIT_CHANGED, second.outcome
    assert second.proposal is not None and second.proposal.action == "nothing to propose"
    assert second.applied is not None and len(second.applied.applied) == 2
    assert site.avi_prefixes() == {"10.0.1.0/24", "10.0.2.0/24"}
    labels = {"cluster": "c", "vrf": "global"}
    assert metrics.registry.get_sample_value("route_reconciler_applied_changes", labels) == 2
    assert metrics.registry.get_sample_value(
        "route_reconciler_last_success_timestamp_seconds", labels
    )


def test_clients_are_built_only_for_the_stages_that_run(site):
    result = run_job(settings(Stages(propose=False, apply=False)), site.adapters())
    assert result.exit_code == EXIT_CHANGED and result.proposal is None and result.applied is None
    assert site.built == Counter()

    result = run_job(settings(Stages(apply=False), read_avi=False), site.adapters())
    assert result.proposal is not None and result.proposal.action == "opened"
    assert site.built == Counter(github=1)
    assert "Avi was not read" in site.github.pulls[0]["body"]


def test_a_run_that_cannot_take_the_lock_stops_before_reading_anything(site):
    metrics = RunMetrics("c", "global")
    adapters = site.adapters(metrics=metrics)
    with file_lock(Path(adapters.store.repo.git_dir), "c"):
        result = run_job(settings(), adapters)
    assert result.exit_code == EXIT_REFUSED and isinstance(result.error, GuardRefusal)
    assert result.outcome == [f"stopped: {result.error}"] and result.rendered is None
    assert site.clusters_read == 0 and site.built == Counter()
    assert (
        metrics.registry.get_sample_value(
            "route_reconciler_last_success_timestamp_seconds", {"cluster": "c", "vrf": "global"}
        )
        is None
    )
