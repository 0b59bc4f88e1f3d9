import os
import shutil
import sys
import tempfile
from pathlib import Path

import git
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cronjob import NODES, Job
from helpers import cilium_config, cilium_node, init_repo, node
from world import World

from reconciler.sim.avi import AviSim
from reconciler.sim.github import FakeGitHub
from reconciler.sim.kube import FakeKubeApi


@pytest.fixture(scope="session", autouse=True)
def temporary_files_are_cleaned_up(tmp_path_factory):
    """Every temporary file or folder the code under test (or a process it starts) makes goes
    into a private TMPDIR, which must be empty again when the session ends: a stand-in that
    leaves its folder behind fails the run. pytest's own tmp_path folders stay where they are."""
    tmp_path_factory.getbasetemp()
    private = Path(tempfile.mkdtemp(prefix="route-reconciler-tests-"))
    saved_environ, saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(private), str(private)
    yield private
    tempfile.tempdir = saved_tempdir
    if saved_environ is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = saved_environ
    left = sorted(path.name for path in private.iterdir())
    shutil.rmtree(private)
    assert not left, f"temporary files left behind: {left}"


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


@pytest.fixture
def job(tmp_path, capsys, monkeypatch):
    """The CronJob's world: a bare remote seeded with `main`, a two-node Cilium cluster, the
    fake GitHub and the Avi stand-in; yields (Job, the fake cluster)."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_testtoken123")
    monkeypatch.setenv("AVI_USERNAME", "admin")
    monkeypatch.setenv("AVI_PASSWORD", "avi-secret-pw")
    for variable in ("GITHUB_REPOSITORY", "ROUTE_RECONCILER_WEBHOOK_URL"):
        monkeypatch.delenv(variable, raising=False)
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    seed = init_repo(tmp_path / "seed")
    seed.create_remote("origin", remote.working_dir)
    seed.git.push("origin", "main")
    objects = [cilium_config()]
    for name, cidr in NODES.items():
        objects += [node(name, f"192.168.10.{name[1:]}"), cilium_node(name, [cidr])]
    with (
        FakeKubeApi(objects) as cluster,
        AviSim(password="avi-secret-pw") as avi,
        FakeGitHub(token="ghp_testtoken123", git_dir=remote.working_dir) as github,
    ):
        yield Job(tmp_path, capsys, cluster, github, avi, remote), cluster
