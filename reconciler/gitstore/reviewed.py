"""The reviewed side: the reviewed head, and the applied tag that records which reviewed
commit is on Avi. Nothing here ever writes the reviewed ref."""

from __future__ import annotations

from reconciler.errors import ApiError, InputError
from reconciler.gitstore.remote import git_remote, has_remote
from reconciler.gitstore.repository import Repository

APPLIED_TAG_PREFIX = "route-reconciler/applied"


def applied_tag(cluster: str, vrf: str) -> str:
    """The tag that records the last reviewed commit applied to Avi for one cluster and VRF."""
    return f"{APPLIED_TAG_PREFIX}/{cluster}/{vrf}"


def reviewed_commit(repository: Repository, reviewed_ref: str, remote: str) -> str:
    """The reviewed head. With a remote, fetch and read the remote's branch, so a local,
    unpushed commit never counts as reviewed; the applied tags come along, so the record
    matches the head."""
    ref = reviewed_ref
    if has_remote(repository, remote) and not reviewed_ref.startswith(f"{remote}/"):
        git_remote(
            repository,
            "fetch",
            remote,
            "--force",
            "--no-tags",
            f"+refs/heads/{reviewed_ref}:refs/remotes/{remote}/{reviewed_ref}",
            f"+refs/tags/{APPLIED_TAG_PREFIX}/*:refs/tags/{APPLIED_TAG_PREFIX}/*",
        )
        ref = f"{remote}/{reviewed_ref}"
    commit = repository.resolve(ref)
    if commit is None:
        raise InputError(f"reviewed ref {ref} does not exist in {repository.root}")
    return commit


def applied_commit(repository: Repository, cluster: str, vrf: str) -> str | None:
    return repository.resolve(f"refs/tags/{applied_tag(cluster, vrf)}")


def record_applied(
    repository: Repository, cluster: str, vrf: str, commit: str, remote: str
) -> None:
    """Move the applied tag (compare-and-swap locally) and push it when there is a remote."""
    tag = f"refs/tags/{applied_tag(cluster, vrf)}"
    repository.repo.git.update_ref(tag, commit, repository.resolve(tag) or "0" * 40)
    if not has_remote(repository, remote):
        return
    try:
        git_remote(repository, "push", "--force", remote, f"{tag}:{tag}")
    except ApiError:
        # Another apply of the same commit may have pushed first: that is the same record.
        git_remote(repository, "fetch", remote, "--force", "--no-tags", f"+{tag}:{tag}")
        if repository.resolve(tag) != commit:
            raise
