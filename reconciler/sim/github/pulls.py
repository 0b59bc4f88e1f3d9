"""Pull requests: what creating, updating, listing and merging them does, and their JSON.

List items lack ``merged`` (only the detailed form has it), and an unmerged pull request's
``merge_commit_sha`` is a test-merge commit, not proof of a merge, as on GitHub.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace

from reconciler.sim.github.issues import IssueNumbers
from reconciler.sim.github.protocol import JsonObject, now
from reconciler.sim.github.repository import BOT_LOGIN, Branches, Repository, synthetic_sha
from reconciler.sim.github.validation import (
    PULL_BODY_TOO_LONG,
    GitHubError,
    check_length,
    invalid_pull_field,
    parse_object,
    pull_refused,
    string_field,
)

FIRST_PULL_ID = 1_900_000_001  # GitHub ids are large and unrelated to PR numbers
PULL_STATES = ("open", "closed")
MERGE_METHODS = ("merge", "squash", "rebase")
NOT_MERGEABLE = "Pull Request is not mergeable"
HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."


@dataclass
class PullRequest:
    number: int
    id: int
    title: str
    body: str | None
    head_ref: str
    base_ref: str
    head_sha: str  # as created; once closed, as it was at closing
    base_sha: str
    draft: bool
    created_at: str
    updated_at: str
    revision: int  # orders sort=updated when timestamps tie
    state: str = "open"
    merged: bool = False
    merge_commit_sha: str | None = None
    closed_at: str | None = None
    merged_at: str | None = None


class PullRequests:
    """The repository's pull requests, thread-safe; callers get copies, so rendering needs no
    lock while git is asked for commits."""

    def __init__(self, owner: str, branches: Branches, numbers: IssueNumbers) -> None:
        self._owner = owner
        self._branches = branches
        self._numbers = numbers
        self._lock = threading.Lock()
        self._pulls: dict[int, PullRequest] = {}
        self._revision = 0

    def numbers(self) -> list[int]:
        with self._lock:
            return sorted(self._pulls)

    def get(self, number: int) -> PullRequest:
        with self._lock:
            pull = self._pulls.get(number)
            if pull is None:
                raise GitHubError(404, "Not Found")
            return replace(pull)

    def list(self, query: Mapping[str, str]) -> list[PullRequest]:
        """``GET .../pulls``: a ``head`` filter without the ``owner:`` prefix is ignored."""
        state = query.get("state", "open")
        if state not in (*PULL_STATES, "all"):
            raise invalid_pull_field("state", state)
        sort = query.get("sort", "created")
        if sort not in ("created", "updated"):
            raise invalid_pull_field("sort", sort)
        direction = query.get("direction", "desc" if sort == "created" else "asc")
        head_owner, colon, head_ref = query.get("head", "").partition(":")
        base = query.get("base")
        with self._lock:
            chosen = [
                replace(pull)
                for pull in self._pulls.values()
                if state in ("all", pull.state)
                and (base is None or pull.base_ref == base)
                and (
                    not colon
                    or (head_owner.lower() == self._owner.lower() and pull.head_ref == head_ref)
                )
            ]
        chosen.sort(
            key=lambda pull: pull.number if sort == "created" else pull.revision,
            reverse=direction == "desc",
        )
        return chosen

    def create(self, body: bytes) -> int:
        """A new pull request from a pushed branch that adds commits; its number."""
        data = parse_object(body)
        head = string_field(data, "head", required=True)
        base = string_field(data, "base", required=True)
        title = string_field(data, "title", required=True)
        text = string_field(data, "body", required=False, nullable=True)
        draft = bool(data.get("draft", False))
        check_length(text, PULL_BODY_TOO_LONG)
        head_owner, colon, head_ref = head.rpartition(":")
        if colon and head_owner.lower() != self._owner.lower():  # forks are not modelled
            raise invalid_pull_field("head")
        head_sha, base_sha = self._branches.sha(head_ref), self._branches.sha(base)
        if base_sha is None:
            raise invalid_pull_field("base")
        if head_sha is None:
            raise invalid_pull_field("head")
        if not self._branches.adds_commits(head_sha, base_sha):
            raise pull_refused(f"No commits between {base} and {head_ref}")
        with self._lock:
            self._refuse_duplicate_locked(head_ref, base)
            number = self._numbers.take()
            created = now()
            self._revision += 1
            self._pulls[number] = PullRequest(
                number=number,
                id=FIRST_PULL_ID + number - 1,
                title=title,
                body=text,
                head_ref=head_ref,
                base_ref=base,
                head_sha=head_sha,
                base_sha=base_sha,
                draft=draft,
                created_at=created,
                updated_at=created,
                revision=self._revision,
            )
        return number

    def update(self, number: int, body: bytes) -> None:
        """Title, body and state; a merged pull request cannot be reopened."""
        data = parse_object(body)
        title = string_field(data, "title", required=False)
        text = string_field(data, "body", required=False, nullable=True)
        state = string_field(data, "state", required=False)
        if state is not None and state not in PULL_STATES:
            raise invalid_pull_field("state", state)
        check_length(text, PULL_BODY_TOO_LONG)
        head_sha, base_sha = self.shas(self.get(number))
        with self._lock:
            pull = self._pulls[number]
            if state == "open" and pull.state == "closed":
                if pull.merged:
                    raise pull_refused("state cannot be changed. The pull request has been merged.")
                self._refuse_duplicate_locked(pull.head_ref, pull.base_ref, number)
                pull.state, pull.closed_at = "open", None
            updated = now()
            if state == "closed" and pull.state == "open":
                self._close_locked(pull, head_sha, base_sha, updated)
            if title is not None:
                pull.title = title
            if "body" in data:
                pull.body = text
            self._revision += 1
            pull.updated_at, pull.revision = updated, self._revision

    def merge(self, number: int, merge_commit_sha: str) -> None:
        """Record a merge made by a person in the web UI; the caller makes the commit in git."""
        with self._lock:
            if number not in self._pulls:
                raise KeyError(f"no pull request #{number}")
        head_sha, base_sha = self.shas(self.get(number))
        with self._lock:
            pull = self._pulls[number]
            if pull.state != "open":
                raise ValueError(f"pull request #{number} is {pull.state}; only open ones merge")
            merged = now()
            self._close_locked(pull, head_sha, base_sha, merged)
            pull.merged, pull.merged_at, pull.merge_commit_sha = True, merged, merge_commit_sha

    def merge_button(self, number: int, body: bytes) -> str:
        """``PUT .../pulls/{n}/merge``: merge in git, record it, and return the merge commit.

        405 for a closed pull request or a conflict, 409 when ``sha`` is not the head's."""
        data = parse_object(body)
        method = string_field(data, "merge_method", required=False) or "merge"
        if method not in MERGE_METHODS:
            raise invalid_pull_field("merge_method", method)
        if method == "rebase":
            raise pull_refused("the fake GitHub merges with merge_method merge or squash only")
        title = string_field(data, "commit_title", required=False)
        details = string_field(data, "commit_message", required=False)
        expected_head = string_field(data, "sha", required=False)
        pull = self.get(number)
        if pull.state != "open":
            raise GitHubError(405, NOT_MERGEABLE)
        head_sha, base_sha = self.shas(pull)
        if expected_head is not None and expected_head != head_sha:
            raise GitHubError(409, HEAD_MODIFIED)
        if method == "squash":
            title = title or f"{pull.title} (#{number})"
        else:
            title = title or f"Merge pull request #{number} from {self._owner}/{pull.head_ref}"
        message = f"{title}\n\n{pull.title if details is None else details}"
        merged = self._branches.merge(
            pull.base_ref, base_sha, head_sha, message, squash=method == "squash"
        )
        if merged is None:
            raise GitHubError(405, NOT_MERGEABLE)
        self.merge(number, merged)
        return merged

    def shas(self, pull: PullRequest) -> tuple[str, str]:
        """Head and base commits: live while open (pushes move them), frozen once closed."""
        if pull.state != "open":
            return pull.head_sha, pull.base_sha
        head = self._branches.sha(pull.head_ref) or pull.head_sha
        return head, self._branches.sha(pull.base_ref) or pull.base_sha

    def json(
        self, pull: PullRequest, repository: Repository, *, comments: int | None = None
    ) -> JsonObject:
        """A list item; with the number of ``comments``, the detailed form ``GET`` answers."""
        api, html = repository.api_url, repository.html_url
        head_sha, base_sha = self.shas(pull)
        merge_commit_sha = pull.merge_commit_sha or synthetic_sha(f"test-merge:{head_sha}")
        owner = repository.account_json(repository.owner, "Organization")
        repo = repository.json()
        data: JsonObject = {
            "url": f"{api}/pulls/{pull.number}",
            "id": pull.id,
            "node_id": f"PR_kwDO{pull.id}",
            "html_url": f"{html}/pull/{pull.number}",
            "diff_url": f"{html}/pull/{pull.number}.diff",
            "patch_url": f"{html}/pull/{pull.number}.patch",
            "issue_url": f"{api}/issues/{pull.number}",
            "comments_url": f"{api}/issues/{pull.number}/comments",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": repository.account_json(BOT_LOGIN, "User"),
            "body": pull.body,
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": merge_commit_sha,
            "draft": pull.draft,
            "head": {
                "label": f"{repository.owner}:{pull.head_ref}",
                "ref": pull.head_ref,
                "sha": head_sha,
                "user": owner,
                "repo": repo,
            },
            "base": {
                "label": f"{repository.owner}:{pull.base_ref}",
                "ref": pull.base_ref,
                "sha": base_sha,
                "user": owner,
                "repo": repo,
            },
            "author_association": "MEMBER",
        }
        if comments is not None:
            merged_by = repository.account_json(repository.owner, "User") if pull.merged else None
            data.update(
                merged=pull.merged,
                mergeable=None if pull.merged else True,
                mergeable_state="unknown" if pull.merged else "clean",
                merged_by=merged_by,
                comments=comments,
                commits=1,
            )
        return data

    def _refuse_duplicate_locked(self, head_ref: str, base: str, number: int | None = None) -> None:
        for other in self._pulls.values():
            if (
                other.number != number
                and other.state == "open"
                and (other.head_ref, other.base_ref) == (head_ref, base)
            ):
                raise pull_refused(f"A pull request already exists for {self._owner}:{head_ref}.")

    def _close_locked(self, pull: PullRequest, head_sha: str, base_sha: str, when: str) -> None:
        self._revision += 1
        pull.state, pull.closed_at, pull.updated_at = "closed", when, when
        pull.head_sha, pull.base_sha, pull.revision = head_sha, base_sha, self._revision
