"""The proposal branch: what a new proposal builds on, and keeping it in step with the remote.

Every move of the branch is a compare-and-swap, and a push carries a lease, so a run never
overwrites what another run or a person pushed since it looked.
"""

from __future__ import annotations

from reconciler.gitstore.remote import git_remote, uses_remote
from reconciler.gitstore.repository import Repository


def proposal_branch(cluster: str, configured: str | None = None) -> str:
    """The branch a cluster's proposals are committed on, unless another one is configured."""
    return configured or f"route-reconciler/{cluster}"


def proposal_parent(repository: Repository, branch: str, reviewed_ref: str) -> str | None:
    """The commit a new proposal builds on: the open proposal while it is unmerged, else the
    reviewed ref, so a merged proposal restarts from what was reviewed."""
    tip = repository.resolve(f"refs/heads/{branch}")
    reviewed = repository.resolve(reviewed_ref)
    if tip is not None and (reviewed is None or not repository.is_ancestor(tip, reviewed)):
        return tip
    return reviewed


def sync_branch(repository: Repository, branch: str, remote: str) -> None:
    """Continue the proposal where the remote has it: a fresh clone (a CronJob) has no local
    branch, and a local branch behind the remote is fast-forwarded."""
    if not uses_remote(repository, remote):
        return
    git_remote(
        repository,
        "fetch",
        remote,
        "--force",
        "--prune",
        "--no-tags",
        f"+refs/heads/*:refs/remotes/{remote}/*",
    )
    remote_tip = repository.resolve(f"refs/remotes/{remote}/{branch}")
    local_tip = repository.resolve(f"refs/heads/{branch}")
    behind = local_tip is None or repository.is_ancestor(local_tip, remote_tip or local_tip)
    if remote_tip and behind and repository.checked_out() != branch:
        repository.repo.git.update_ref(f"refs/heads/{branch}", remote_tip, local_tip or "0" * 40)


def reset_branch(repository: Repository, branch: str, commit: str, remote: str) -> bool:
    """Point the proposal branch at `commit` (compare-and-swap) and push that."""
    old_tip = repository.resolve(f"refs/heads/{branch}") or "0" * 40
    if repository.checked_out() == branch:
        return False
    repository.repo.git.update_ref(f"refs/heads/{branch}", commit, old_tip)
    return push_branch(repository, branch, remote)


def push_branch(repository: Repository, branch: str, remote: str) -> bool:
    """Push the proposal branch when the remote differs; the lease refuses to overwrite a
    push someone else made since our fetch. True when something was pushed."""
    local_tip = repository.resolve(f"refs/heads/{branch}")
    remote_tip = repository.resolve(f"refs/remotes/{remote}/{branch}")
    if local_tip is None or local_tip == remote_tip or not uses_remote(repository, remote):
        return False
    lease = f"--force-with-lease=refs/heads/{branch}:{remote_tip or ''}"
    git_remote(repository, "push", remote, lease, f"refs/heads/{branch}:refs/heads/{branch}")
    repository.repo.git.update_ref(f"refs/remotes/{remote}/{branch}", local_tip)
    return True
