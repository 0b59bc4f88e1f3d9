"""The proposal branch: what a new proposal builds on, and keeping it in step with the remote.

Every move of the branch is a compare-and-swap, and a push carries a lease, so a run never
overwrites what another run or a person pushed since it looked.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.gitstore.commits import commit_on_branch
from reconciler.gitstore.remote import git_remote, uses_remote
from reconciler.gitstore.repository import Repository


def proposal_branch(cluster: str, configured: str | None = None) -> str:
    """The branch a cluster's proposals are committed on, unless another one is configured."""
    return configured or f"route-reconciler/{cluster}"


@dataclass(frozen=True)
class ProposalBase:
    """``parent``: the commit a new proposal builds on. ``replaced``: the tip of an open
    proposal that no longer merges cleanly with the reviewed ref (someone edited ``conflicts``
    there by hand); the branch is the tool's, so the proposal is rebuilt from the reviewed ref."""

    parent: str | None
    replaced: str | None = None
    conflicts: tuple[str, ...] = ()


def proposal_base(repository: Repository, branch: str, reviewed_ref: str) -> ProposalBase:
    """The open proposal while it is unmerged and still merges cleanly with the reviewed ref;
    else the reviewed ref, so a merged proposal restarts from what was reviewed, and one that
    conflicts with it is rebuilt. Reads only: `commit_proposal` moves the branch."""
    tip = repository.resolve(f"refs/heads/{branch}")
    reviewed = repository.resolve(reviewed_ref)
    if tip is None or (reviewed is not None and repository.is_ancestor(tip, reviewed)):
        return ProposalBase(reviewed)
    conflicts = _conflicts(repository, reviewed, tip) if reviewed is not None else ()
    if conflicts and repository.checked_out() != branch:
        return ProposalBase(reviewed, tip, conflicts)
    return ProposalBase(tip)


def _conflicts(repository: Repository, reviewed: str, tip: str) -> tuple[str, ...]:
    """The files a merge of the proposal into the reviewed commit would conflict on: git's own
    verdict (`merge-tree --write-tree`, git 2.38 or newer), without touching a ref, the index
    or the working tree. An older git cannot tell: the proposal is kept, as before."""
    status, out, _ = repository.repo.git.execute(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", reviewed, tip],
        with_exceptions=False,
        with_extended_output=True,
    )
    if status != 1:
        return ()
    return tuple(line for line in str(out).splitlines()[1:] if line)


def commit_proposal(
    repository: Repository, branch: str, base: ProposalBase, files: dict[str, str], message: str
) -> str | None:
    """Commit `files` on the base's parent as the branch's new tip; None when the parent already
    holds them, and then a replaced proposal is retired: the branch goes back to the parent."""
    commit = commit_on_branch(repository, branch, base.parent, files, message)
    if commit is None and base.replaced is not None and base.parent is not None:
        repository.repo.git.update_ref(f"refs/heads/{branch}", base.parent, base.replaced)
    return commit


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
