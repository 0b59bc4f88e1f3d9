"""Issue comments on pull requests: creating, editing, listing them, and their JSON."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from reconciler.sim.github.protocol import JsonObject, now
from reconciler.sim.github.repository import BOT_LOGIN, Repository
from reconciler.sim.github.validation import (
    COMMENT_BODY_TOO_LONG,
    GitHubError,
    check_length,
    parse_object,
    string_field,
)

FIRST_COMMENT_ID = 2_400_000_001


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    created_at: str
    updated_at: str


class IssueComments:
    """Every comment of the repository, thread-safe; callers get copies, oldest first.

    Whether the issue exists is the caller's check: comments know no pull requests.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._comments: dict[int, Comment] = {}
        self._next_id = FIRST_COMMENT_ID

    def all(self) -> list[Comment]:
        with self._lock:
            return sorted(map(replace, self._comments.values()), key=lambda comment: comment.id)

    def on(self, issue_number: int) -> list[Comment]:
        return [comment for comment in self.all() if comment.issue_number == issue_number]

    def count(self, issue_number: int) -> int:
        with self._lock:
            return sum(c.issue_number == issue_number for c in self._comments.values())

    def create(self, issue_number: int, body: bytes) -> Comment:
        text = _comment_text(body)
        with self._lock:
            created = now()
            comment = Comment(self._next_id, issue_number, text, created, created)
            self._comments[comment.id] = comment
            self._next_id += 1
            return replace(comment)

    def update(self, comment_id: int, body: bytes) -> Comment:
        text = _comment_text(body)
        with self._lock:
            comment = self._comments.get(comment_id)
            if comment is None:
                raise GitHubError(404, "Not Found")
            comment.body, comment.updated_at = text, now()
            return replace(comment)


def comment_json(comment: Comment, repository: Repository) -> JsonObject:
    api = repository.api_url
    html = f"{repository.html_url}/pull/{comment.issue_number}"
    return {
        "url": f"{api}/issues/comments/{comment.id}",
        "html_url": f"{html}#issuecomment-{comment.id}",
        "issue_url": f"{api}/issues/{comment.issue_number}",
        "id": comment.id,
        "node_id": f"IC_kwDO{comment.id}",
        "user": repository.account_json(BOT_LOGIN, "User"),
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "author_association": "MEMBER",
        "body": comment.body,
    }


def _comment_text(body: bytes) -> str:
    text: str = string_field(parse_object(body), "body", required=True)
    check_length(text, COMMENT_BODY_TOO_LONG)
    return text
