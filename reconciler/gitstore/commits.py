"""Commits made with plumbing.

Commits are built on a scratch index, so the user's checkout, index and HEAD are never moved,
and the branch is advanced with compare-and-swap (`update-ref new old`), so two writers cannot
silently overwrite each other.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import git

from reconciler.errors import ReconcilerError
from reconciler.gitstore.repository import Repository

_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "route-reconciler",
    "GIT_AUTHOR_EMAIL": "route-reconciler@localhost",
    "GIT_COMMITTER_NAME": "route-reconciler",
    "GIT_COMMITTER_EMAIL": "route-reconciler@localhost",
}


def commit_on_branch(
    repository: Repository, branch: str, parent: str | None, files: dict[str, str], message: str
) -> str | None:
    """Commit `files` on top of `parent` as the new tip of `branch`; None when unchanged."""
    if parent is not None and all(
        repository.read(parent, path) == content.encode("utf-8") for path, content in files.items()
    ):
        return None
    repo = repository.repo
    old_tip = repository.resolve(f"refs/heads/{branch}") or "0" * 40
    with tempfile.TemporaryDirectory() as scratch:
        env = {**fallback_identity(repo), "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        with repo.git.custom_environment(**env):
            if parent is not None:
                repo.git.read_tree(parent)
            for path, content in files.items():
                staged = Path(scratch) / "blob"
                staged.write_text(content, encoding="utf-8")
                blob = repo.git.hash_object("-w", "--no-filters", str(staged))
                repo.git.update_index("--add", "--cacheinfo", f"100644,{blob},{path}")
            tree = repo.git.write_tree()
            parents = ["-p", parent] if parent is not None else []
            commit = repo.git.commit_tree(tree, *parents, "-m", message)
    try:
        repo.git.update_ref(f"refs/heads/{branch}", commit, old_tip)
    except git.GitCommandError:
        raise ReconcilerError(
            f"branch {branch} moved while this run was committing; rerun to rebase on it"
        ) from None
    if repository.checked_out() == branch:
        repo.git.reset("-q", "--", *files)
    return str(commit)


def fallback_identity(repo: git.Repo) -> dict[str, str]:
    """A fallback author only where git has none, so a bare CronJob image can still commit."""
    reader = repo.config_reader()
    configured = reader.has_option("user", "name") and reader.has_option("user", "email")
    return (
        {} if configured else {k: v for k, v in _FALLBACK_IDENTITY.items() if k not in os.environ}
    )
