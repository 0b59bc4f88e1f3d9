"""Git adapter: where manifests are read from and proposals are committed to.

`GitStore` is the one object the stages are given. Each of its operations is a function of the
module named after its concern, taking the repository first:

- `repository`: references, files and manifests at a commit, ancestry, signatures (reads only)
- `commits`: plumbing commits that never move the user's checkout
- `worktree`: the working tree, written and read without ever following a symbolic link
- `remote`: fetch and push without prompts, the token from the environment, redacted errors
- `proposal`: the proposal branch, what it builds on (rebuilt from the reviewed ref when it no
  longer merges cleanly), and keeping it in step with the remote
- `reviewed`: the reviewed head, fetched from the remote
- `applied`: the applied record, the tag saying which reviewed commit is on Avi and what is pending

Nothing here ever writes the reviewed ref.
"""

from __future__ import annotations

from reconciler.applied_record import applied_tag
from reconciler.gitstore import applied, commits, proposal, remote, reviewed, worktree
from reconciler.gitstore.applied import StoredRecord
from reconciler.gitstore.proposal import ProposalBase, proposal_branch
from reconciler.gitstore.repository import Repository

__all__ = ["GitStore", "ProposalBase", "StoredRecord", "applied_tag", "proposal_branch"]


class GitStore(Repository):
    write_worktree = worktree.write_worktree
    read_worktree = worktree.read_worktree
    commit_on_branch = commits.commit_on_branch
    proposal_base = proposal.proposal_base
    commit_proposal = proposal.commit_proposal
    sync_branch = proposal.sync_branch
    reset_branch = proposal.reset_branch
    push_branch = proposal.push_branch
    uses_remote = remote.uses_remote
    reviewed_commit = reviewed.reviewed_commit
    fetch_applied_records = applied.fetch_applied_records
    read_record = applied.read_record
    write_record = applied.write_record
