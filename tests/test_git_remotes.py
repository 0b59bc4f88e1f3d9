"""Any git remote works for proposals: a path (elsewhere), git:// and HTTP(S) with a token taken
from the environment, which never shows in a URL, argv, config file or message."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import git
import pytest
from git_http import HTTP_BACKEND, TokenGitServer
from helpers import init_repo

from reconciler.errors import ApiError
from reconciler.gitstore import GitStore

TOKEN = "ghp_GitRemoteToken123"


def proposal_repo(tmp_path: Path, remote_url: str) -> GitStore:
    repo = init_repo(tmp_path / "work")
    repo.create_remote("origin", remote_url)
    store = GitStore(repo.working_dir)
    store.commit_on_branch(
        "route-reconciler/c",
        repo.head.commit.hexsha,
        {"routes/c/global.yaml": "routes: []\n"},
        "routes\n",
    )
    return store


def bare_remote(tmp_path: Path) -> git.Repo:
    remote = git.Repo.init(tmp_path / "served" / "routes.git", bare=True, initial_branch="main")
    return remote


@pytest.mark.skipif(not Path(HTTP_BACKEND).exists(), reason="git http-backend is not installed")
def test_https_style_remote_with_a_token_from_the_environment(tmp_path, monkeypatch):
    remote = bare_remote(tmp_path)
    with TokenGitServer(tmp_path / "served", TOKEN) as server:
        store = proposal_repo(tmp_path, f"{server.url}/routes.git")
        with pytest.raises(ApiError) as refused:
            store.sync_branch("route-reconciler/c", "origin")
        assert TOKEN not in str(refused.value)
        monkeypatch.setenv("GIT_TOKEN", TOKEN)
        store.sync_branch("route-reconciler/c", "origin")
        assert store.push_branch("route-reconciler/c", "origin")
    assert remote.commit("route-reconciler/c").hexsha == store.resolve(
        "refs/heads/route-reconciler/c"
    )
    config = (Path(store.repo.git_dir) / "config").read_text()
    assert TOKEN not in config and TOKEN not in store.repo.remotes.origin.url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_daemon_remote(tmp_path):
    remote = bare_remote(tmp_path)
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={tmp_path / 'served'}",
            "--export-all",
            "--enable=receive-pack",
            "--reuseaddr",
            str(tmp_path / "served"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        store = proposal_repo(tmp_path, f"git://127.0.0.1:{port}/routes.git")
        store.sync_branch("route-reconciler/c", "origin")
        assert store.push_branch("route-reconciler/c", "origin")
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    assert remote.commit("route-reconciler/c").hexsha == store.resolve(
        "refs/heads/route-reconciler/c"
    )
