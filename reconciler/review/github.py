"""The pull requests, sticky comments, drift issues and commit statuses route-reconciler keeps
on GitHub.

The session (headers, retries, paging, what each failure means) is in ``session.py``; body
fitting is in ``markdown.py``. Callers import the whole GitHub surface from here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ApiError
from reconciler.review.markdown import MAX_BODY, fit_body
from reconciler.review.session import GitHubSession, JsonObject
from reconciler.review.settings import GitHubSettings

__all__ = [
    "MAX_BODY",
    "CommitStatus",
    "GitHubClient",
    "GitHubSettings",
    "Issue",
    "Label",
    "PullRequest",
    "fit_body",
]

_MARKER = re.compile(r"<!--[^\n]*\S[^\n]*-->")


@dataclass(frozen=True)
class PullRequest:
    """What route-reconciler needs of a pull request.

    ``merge_commit_sha`` is None unless merged: GitHub fills it with a test-merge commit while a
    pull request is open, which must not be mistaken for the merged result.
    """

    number: int
    state: str
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    body: str
    title: str
    url: str
    merge_commit_sha: str | None


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class Label:
    name: str
    color: str  # six hex digits, no '#'
    description: str


@dataclass(frozen=True)
class CommitStatus:
    """``description`` at most 140 characters, GitHub's limit."""

    state: str  # success, failure, error or pending
    context: str
    description: str
    target_url: str | None


class GitHubClient:
    """Pull requests, comments, issues and commit statuses of one repository; ``requests_made``
    counts HTTP attempts."""

    def __init__(self, settings: GitHubSettings) -> None:
        self._settings = settings
        self._session = GitHubSession(settings)
        self._repo_path = f"/repos/{settings.owner}/{settings.name}"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def requests_made(self) -> int:
        return self._session.transport.requests_made

    def close(self) -> None:
        self._session.close()

    # pull requests
    def find_open_pull(self, head_branch: str, base: str) -> PullRequest | None:
        """The open pull request from ``head_branch`` into ``base``; GitHub allows one at most.

        Matches are re-checked here: without the ``owner:`` prefix GitHub would ignore the filter.
        """
        params = {"head": f"{self._settings.owner}:{head_branch}", "base": base, "state": "open"}
        for item in self._session.get_all(f"{self._repo_path}/pulls", params):
            pull = _pull_from(item, "GET pulls")
            if (pull.head_ref, pull.base_ref, pull.state) == (head_branch, base, "open"):
                return pull
        return None

    def create_pull(self, *, head_branch: str, base: str, title: str, body: str) -> PullRequest:
        payload = {"title": title, "head": head_branch, "base": base, "body": body}
        return self._pull_call("POST", f"{self._repo_path}/pulls", payload)

    def update_pull(
        self, number: int, *, title: str | None = None, body: str | None = None
    ) -> PullRequest:
        """Change only what is given; GitHub leaves the other fields as they are."""
        payload = {
            key: value for key, value in (("title", title), ("body", body)) if value is not None
        }
        return self._pull_call("PATCH", f"{self._repo_path}/pulls/{number}", payload)

    def close_pull(self, number: int, comment: str) -> None:
        """Say why first, so a reader of the closed pull request finds the reason."""
        self._session.call("POST", f"{self._repo_path}/issues/{number}/comments", {"body": comment})
        self._session.call("PATCH", f"{self._repo_path}/pulls/{number}", {"state": "closed"})

    def get_pull(self, number: int) -> PullRequest:
        return self._pull_call("GET", f"{self._repo_path}/pulls/{number}")

    # comments
    def upsert_sticky_comment(self, number: int, marker: str, body: str) -> int:
        """Keep one comment per ``marker`` up to date instead of adding one per run.

        ``marker`` is a hidden one-line HTML comment, e.g.
        ``<!-- route-reconciler:plan:prod-a/global -->``; it is put first in the body unless the
        body has it. An unchanged comment is not rewritten. Returns the comment id.
        """
        if not _MARKER.fullmatch(marker):
            raise ValueError(f"the marker must be a one-line HTML comment, got {marker!r}")
        text = body if marker in body else f"{marker}\n{body}"
        comments_path = f"{self._repo_path}/issues/{number}/comments"
        for comment in self._session.get_all(comments_path, {}):
            existing = comment.get("body") or ""
            if marker in existing:
                comment_id = _comment_id(comment, f"GET {comments_path}")
                if existing != text:
                    self._session.call(
                        "PATCH", f"{self._repo_path}/issues/comments/{comment_id}", {"body": text}
                    )
                return comment_id
        created = self._session.call("POST", comments_path, {"body": text})
        return _comment_id(created, f"POST {comments_path}")

    # issues: the drift report
    def find_open_issue(self, label: str, marker: str) -> Issue | None:
        """The oldest open issue with ``label`` whose body holds ``marker``; the issues list also
        returns pull requests, which are skipped."""
        found = None
        params = {"state": "open", "labels": label}
        for item in self._session.get_all(f"{self._repo_path}/issues", params):
            if "pull_request" in item or marker not in str(item.get("body") or ""):
                continue
            issue = _issue_from(item, "GET issues")
            if found is None or issue.number < found.number:
                found = issue
        return found

    def create_issue(self, *, title: str, body: str, label: Label) -> Issue:
        """Creates ``label`` first when the repository lacks it, so it gets its colour."""
        labels = f"{self._repo_path}/labels"
        names = {str(item.get("name", "")).lower() for item in self._session.get_all(labels, {})}
        if label.name.lower() not in names:
            self._session.call("POST", labels, dataclasses.asdict(label))
        payload = {"title": title, "body": body, "labels": [label.name]}
        return _issue_from(self._session.call("POST", f"{self._repo_path}/issues", payload), "POST")

    def update_issue(self, number: int, *, title: str, body: str) -> Issue:
        path = f"{self._repo_path}/issues/{number}"
        payload = {"title": title, "body": body}
        return _issue_from(self._session.call("PATCH", path, payload), f"PATCH {path}")

    def close_issue(self, number: int, comment: str) -> None:
        """Say why first, then close as completed."""
        self._session.call("POST", f"{self._repo_path}/issues/{number}/comments", {"body": comment})
        payload = {"state": "closed", "state_reason": "completed"}
        self._session.call("PATCH", f"{self._repo_path}/issues/{number}", payload)

    # commits: the apply's status and the pull request it came from
    def latest_status(self, sha: str, context: str) -> CommitStatus | None:
        """The newest status of ``context`` on the commit (GitHub lists newest first)."""
        for item in self._session.get_all(f"{self._repo_path}/commits/{sha}/statuses", {}):
            if item.get("context") == context:
                return CommitStatus(
                    str(item.get("state")), context, str(item.get("description") or ""), None
                )
        return None

    def set_status(self, sha: str, status: CommitStatus) -> None:
        payload = {"state": status.state, "context": status.context}
        payload["description"] = status.description
        if status.target_url:
            payload["target_url"] = status.target_url
        self._session.call("POST", f"{self._repo_path}/statuses/{sha}", payload)

    def pulls_of_commit(self, sha: str) -> list[PullRequest]:
        """The merged pull requests that brought ``sha`` in (and open ones, off the default
        branch)."""
        path = f"{self._repo_path}/commits/{sha}/pulls"
        return [_pull_from(item, f"GET {path}") for item in self._session.get_all(path, {})]

    def _pull_call(self, method: str, path: str, payload: JsonObject | None = None) -> PullRequest:
        return _pull_from(self._session.call(method, path, payload), f"{method} {path}")


def _pull_from(data: Any, what: str) -> PullRequest:
    """Read a pull request from a single-PR answer or a list item (which lacks ``merged``)."""
    try:
        merged = bool(data["merged"]) if "merged" in data else data["merged_at"] is not None
        return PullRequest(
            number=int(data["number"]),
            state=str(data["state"]),
            merged=merged,
            head_ref=str(data["head"]["ref"]),
            head_sha=str(data["head"]["sha"]),
            base_ref=str(data["base"]["ref"]),
            body=str(data.get("body") or ""),
            title=str(data["title"]),
            url=str(data["html_url"]),
            merge_commit_sha=str(data["merge_commit_sha"]) if merged else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            f"{what}: GitHub's answer is not a pull request ({type(exc).__name__}: {exc})"
        ) from None


def _issue_from(data: Any, what: str) -> Issue:
    try:
        return Issue(
            number=int(data["number"]),
            title=str(data["title"]),
            body=str(data.get("body") or ""),
            url=str(data["html_url"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            f"{what}: GitHub's answer is not an issue ({type(exc).__name__}: {exc})"
        ) from None


def _comment_id(data: Any, what: str) -> int:
    comment_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(comment_id, int):
        raise ApiError(f"{what}: GitHub's answer is not a comment (no integer id)")
    return comment_id
