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
from reconciler.gitstore.remote import git_failure

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


HOOK = """#!/bin/sh
echo "GH006: Protected branch update failed for refs/heads/route-reconciler/c."
printf 'Changes must be made through a pull request (token %s).\\033[K\\n' "$HOOK_ECHO" >&2
exit 1
"""


def test_a_rejected_push_shows_the_remote_reason_on_one_line(tmp_path, monkeypatch):
    remote = bare_remote(tmp_path)
    hook = Path(remote.git_dir) / "hooks" / "pre-receive"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    monkeypatch.setenv("GIT_TOKEN", TOKEN)
    monkeypatch.setenv("HOOK_ECHO", TOKEN)  # a remote that echoes the token it was sent
    store = proposal_repo(tmp_path, remote.git_dir)
    store.sync_branch("route-reconciler/c", "origin")
    with pytest.raises(ApiError) as rejected:
        store.push_branch("route-reconciler/c", "origin")
    assert str(rejected.value) == (
        "git push origin: ! [remote rejected] route-reconciler/c -> route-reconciler/c "
        "(pre-receive hook declined); the remote says: GH006: Protected branch update failed "
        "for refs/heads/route-reconciler/c. / Changes must be made through a pull request "
        "(token ***)."
    )


def test_what_git_says_is_bounded_and_printable():
    said = "".join(f"remote: line {n} \x1b[31mred\x1b[0m\x07\n" for n in range(1000))
    text = git_failure(said + "error: failed to push some refs to 'x'\n", {})
    assert len(text) <= 400 and text.isprintable()
    assert text.startswith("the remote says: line 0 red / line 1 red")
    assert git_failure("fatal: 'nowhere' does not appear to be a git repository\n", {}) == (
        "fatal: 'nowhere' does not appear to be a git repository"
    )
