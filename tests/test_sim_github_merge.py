"""The fake GitHub's merge button (``PUT .../pulls/{n}/merge``) over a real bare repository:
a real merge commit on the base branch, and GitHub's answers when a merge cannot happen."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from reconciler.sim.github import FakeGitHub

TOKEN = "ghp_fake-merge-token-0123456789"
PULLS = "/repos/acme/routes/pulls"
IDENTITY = ("-c", "user.name=T", "-c", "user.email=t@example.invalid")


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def commit_file(work: Path, branch: str, name: str, text: str) -> str:
    """Commit ``name`` with ``text`` on ``branch`` (from main when new) and push it."""
    git("switch", "--quiet", "-C" if branch == "main" else "-c", branch, cwd=work)
    (work / name).write_text(text)
    git("add", name, cwd=work)
    git(*IDENTITY, "commit", "--quiet", "-m", f"{branch}: {name}", cwd=work)
    git("push", "--quiet", "origin", branch, cwd=work)
    git("switch", "--quiet", "main", cwd=work)
    return git("rev-parse", branch, cwd=work)


class Remote:
    def __init__(self, tmp_path: Path) -> None:
        self.bare, self.work = tmp_path / "routes.git", tmp_path / "work"
        git("init", "--bare", "--initial-branch=main", str(self.bare), cwd=tmp_path)
        git("clone", "--quiet", str(self.bare), str(self.work), cwd=tmp_path)
        git(*IDENTITY, "commit", "--allow-empty", "--quiet", "-m", "init", cwd=self.work)
        git("push", "--quiet", "origin", "main", cwd=self.work)

    def main(self) -> str:
        return git("--git-dir", str(self.bare), "rev-parse", "main", cwd=self.work)

    def parents(self, commit: str) -> list[str]:
        return git(
            "--git-dir", str(self.bare), "rev-list", "--parents", "-n1", commit, cwd=self.work
        ).split()[1:]


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path)


@pytest.fixture
def github(remote: Remote) -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, git_dir=remote.bare) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.headers.update({"Authorization": f"Bearer {TOKEN}"})
        yield client


def open_pull(github: FakeGitHub, session: requests.Session, head: str) -> int:
    payload = {"title": f"Routes from {head}", "head": head, "base": "main"}
    created = session.post(f"{github.url}{PULLS}", json=payload)
    assert created.status_code == 201, created.text
    return int(created.json()["number"])


def test_merge_makes_a_merge_commit_on_the_base_branch(
    remote: Remote, github: FakeGitHub, session: requests.Session
) -> None:
    base, head = remote.main(), commit_file(remote.work, "routes/a", "a.yaml", "a\n")
    number = open_pull(github, session, "routes/a")
    assert session.get(f"{github.url}{PULLS}/{number}/merge").status_code == 404

    merged = session.put(f"{github.url}{PULLS}/{number}/merge", json={"sha": head})

    assert merged.status_code == 200, merged.text
    answer = merged.json()
    assert answer == {
        "sha": remote.main(),
        "merged": True,
        "message": "Pull Request successfully merged",
    }
    assert remote.parents(answer["sha"]) == [base, head]
    message = git(
        "--git-dir", str(remote.bare), "log", "-1", "--format=%B", "main", cwd=remote.work
    )
    assert message.startswith(f"Merge pull request #{number} from acme/routes/a")
    pull = session.get(f"{github.url}{PULLS}/{number}").json()
    assert (pull["state"], pull["merged"], pull["merge_commit_sha"]) == (
        "closed",
        True,
        answer["sha"],
    )
    assert session.get(f"{github.url}{PULLS}/{number}/merge").status_code == 204
    again = session.put(f"{github.url}{PULLS}/{number}/merge")
    assert (again.status_code, again.json()["message"]) == (405, "Pull Request is not mergeable")


def test_squash_makes_one_commit_with_one_parent(
    remote: Remote, github: FakeGitHub, session: requests.Session
) -> None:
    base = remote.main()
    commit_file(remote.work, "routes/a", "a.yaml", "a\n")
    number = open_pull(github, session, "routes/a")

    merged = session.put(f"{github.url}{PULLS}/{number}/merge", json={"merge_method": "squash"})

    assert merged.status_code == 200, merged.text
    assert remote.parents(merged.json()["sha"]) == [base]
    assert git("--git-dir", str(remote.bare), "show", "main:a.yaml", cwd=remote.work) == "a"


def test_a_stale_head_sha_a_conflict_and_rebase_are_refused(
    remote: Remote, github: FakeGitHub, session: requests.Session
) -> None:
    commit_file(remote.work, "routes/a", "routes.yaml", "from the branch\n")
    number = open_pull(github, session, "routes/a")

    stale = session.put(f"{github.url}{PULLS}/{number}/merge", json={"sha": "0" * 40})
    rebase = session.put(f"{github.url}{PULLS}/{number}/merge", json={"merge_method": "rebase"})
    unknown = session.put(f"{github.url}{PULLS}/{number}/merge", json={"merge_method": "fast"})
    on_main = commit_file(remote.work, "main", "routes.yaml", "edited on main\n")
    conflict = session.put(f"{github.url}{PULLS}/{number}/merge")

    assert (stale.status_code, stale.json()["message"]) == (
        409,
        "Head branch was modified. Review and try the merge again.",
    )
    assert rebase.status_code == 422 and unknown.status_code == 422
    assert (conflict.status_code, conflict.json()["message"]) == (
        405,
        "Pull Request is not mergeable",
    )
    assert remote.main() == on_main  # no merge commit was made
    assert session.get(f"{github.url}{PULLS}/{number}").json()["state"] == "open"
