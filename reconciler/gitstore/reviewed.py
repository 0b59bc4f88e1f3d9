"""The reviewed head: read from the remote after a fetch, so a local, unpushed commit never
counts as reviewed. Nothing here ever writes the reviewed ref."""

from __future__ import annotations

from reconciler.errors import InputError
from reconciler.gitstore.applied import APPLIED_TAGS_REFSPEC
from reconciler.gitstore.remote import git_remote, uses_remote
from reconciler.gitstore.repository import Repository


def reviewed_commit(repository: Repository, reviewed_ref: str, remote: str) -> str:
    """The reviewed head. With a remote, fetch and read the remote's branch; the applied
    records come in the same fetch, so the record matches the head."""
    ref = reviewed_ref
    if uses_remote(repository, remote) and not reviewed_ref.startswith(f"{remote}/"):
        git_remote(
            repository,
            "fetch",
            remote,
            "--force",
            "--prune",
            "--no-tags",
            f"+refs/heads/{reviewed_ref}:refs/remotes/{remote}/{reviewed_ref}",
            APPLIED_TAGS_REFSPEC,
        )
        ref = f"{remote}/{reviewed_ref}"
    commit = repository.resolve(ref)
    if commit is None:
        raise InputError(f"reviewed ref {ref} does not exist in {repository.root}")
    return commit
