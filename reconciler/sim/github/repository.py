"""The one repository the fake serves: its JSON and accounts, the URLs in answers, and its
branches, read from a bare git repository when there is one."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass

from reconciler.sim.github.protocol import JsonObject

REPOSITORY_ID = 700_000_001
_SHA = re.compile(r"[0-9a-f]{40}")
BOT_LOGIN = "route-reconciler-bot"  # the author of pull requests and comments
_MERGE_BUTTON_IDENTITY = {  # who merges: a reviewer, as GitHub's merge button records one
    "GIT_AUTHOR_NAME": "Reviewer",
    "GIT_AUTHOR_EMAIL": "reviewer@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    date: str  # ISO 8601, as git prints %cI
    message: str


def synthetic_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


@dataclass(frozen=True)
class Repository:
    """Names and addresses; ``api_root`` is what clients are given, ``web_root`` the server."""

    owner: str
    name: str
    default_branch: str
    api_root: str
    web_root: str

    @property
    def api_url(self) -> str:
        return f"{self.api_root}/repos/{self.owner}/{self.name}"

    @property
    def html_url(self) -> str:
        return f"{self.web_root}/{self.owner}/{self.name}"

    def json(self) -> JsonObject:
        api = self.api_url
        return {
            "id": REPOSITORY_ID,
            "node_id": f"R_kgDO{REPOSITORY_ID}",
            "name": self.name,
            "full_name": f"{self.owner}/{self.name}",
            "private": True,
            "visibility": "private",
            "owner": self.account_json(self.owner, "Organization"),
            "html_url": self.html_url,
            "url": api,
            "pulls_url": f"{api}/pulls{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "default_branch": self.default_branch,
            "archived": False,
            "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
        }

    def account_json(self, login: str, kind: str) -> JsonObject:
        return {
            "login": login,
            "id": int(synthetic_sha(login)[:8], 16),
            "type": kind,
            "url": f"{self.api_root}/users/{login}",
            "html_url": f"{self.web_root}/{login}",
        }


class Branches:
    """Branch commits from ``git_dir`` (a bare repository tests push to); without one every
    branch exists, with a synthetic commit id."""

    def __init__(self, git_dir: str | None) -> None:
        self._git_dir = git_dir

    def sha(self, branch: str) -> str | None:
        """The branch's commit; None when ``git_dir`` is set and has no such branch."""
        if self._git_dir is None:
            return synthetic_sha(f"branch:{branch}")
        found = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
        return found.stdout.strip() if found.returncode == 0 else None

    def adds_commits(self, head_sha: str, base_sha: str) -> bool:
        if self._git_dir is None:
            return head_sha != base_sha
        return self._git("merge-base", "--is-ancestor", head_sha, base_sha).returncode != 0

    def merge(
        self, base: str, base_sha: str, head_sha: str, message: str, *, squash: bool
    ) -> str | None:
        """Commit the merge of ``head_sha`` into ``base`` as the merge button does (one parent
        when squashing) and move ``base`` to it; None when the two conflict or ``base`` moved
        meanwhile. Without ``git_dir`` the commit id is synthetic."""
        if self._git_dir is None:
            return synthetic_sha(f"merge:{base_sha}:{head_sha}")
        tree = self._git("merge-tree", "--write-tree", "--no-messages", base_sha, head_sha)
        if tree.returncode != 0:
            return None
        parents = ["-p", base_sha] if squash else ["-p", base_sha, "-p", head_sha]
        commit = self._git("commit-tree", tree.stdout.split()[0], *parents, "-m", message)
        if commit.returncode != 0:
            raise RuntimeError(f"git commit-tree failed: {commit.stderr.strip()}")
        merged = commit.stdout.strip()
        moved = self._git("update-ref", f"refs/heads/{base}", merged, base_sha)
        return merged if moved.returncode == 0 else None

    def commit(self, ref: str) -> CommitInfo | None:
        """The commit a sha or branch names; without ``git_dir`` any 40-hex sha is one."""
        if self._git_dir is None:
            return CommitInfo(ref, (), "", "") if _SHA.fullmatch(ref) else None
        if ref.startswith("-"):  # never an option of git
            return None
        shown = self._git("show", "-s", "--format=%H%n%P%n%cI%n%B", f"{ref}^{{commit}}", "--")
        if shown.returncode != 0:
            return None
        sha, parents, date, message = [*shown.stdout.split("\n", 3), "", "", ""][:4]
        return CommitInfo(sha, tuple(parents.split()), date, message.rstrip("\n"))

    def contains(self, branch: str, sha: str) -> bool:
        """Whether ``sha`` is on ``branch``; without ``git_dir`` nothing is."""
        tip = self.sha(branch)
        if self._git_dir is None or tip is None:
            return False
        return self._git("merge-base", "--is-ancestor", sha, tip).returncode == 0

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", f"--git-dir={self._git_dir}", *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **_MERGE_BUTTON_IDENTITY},
        )
