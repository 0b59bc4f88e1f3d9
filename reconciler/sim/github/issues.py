"""Issues: creating, editing, closing and listing them, and their JSON.

Issues and pull requests share one number space per repository, and the issues list returns
pull requests too (items with a ``pull_request`` key), as on GitHub. Closing takes a
``state_reason`` (``completed`` unless given), reopening sets ``reopened``; a ``state_reason``
without a change of ``state`` is ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from reconciler.sim.github.labels import Label, Labels, label_json
from reconciler.sim.github.protocol import JsonObject, now
from reconciler.sim.github.repository import BOT_LOGIN, Repository
from reconciler.sim.github.validation import (
    PULL_BODY_TOO_LONG,
    GitHubError,
    check_length,
    parse_object,
    string_field,
    validation_failed,
)

FIRST_ISSUE_ID = 3_100_000_001
ISSUE_STATES = ("open", "closed")
STATE_REASONS = {"closed": ("completed", "not_planned", "duplicate"), "open": ("reopened",)}


class IssueNumbers:
    """The next number of the repository, taken by issues and pull requests alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def take(self) -> int:
        with self._lock:
            self._last += 1
            return self._last


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    created_at: str
    updated_at: str
    labels: list[Label] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: str | None = None


class Issues:
    """The repository's issues (pull requests live in ``pulls``); thread-safe, copies out."""

    def __init__(self, numbers: IssueNumbers, labels: Labels) -> None:
        self._numbers = numbers
        self._labels = labels
        self._lock = threading.Lock()
        self._issues: dict[int, Issue] = {}

    def get(self, number: int) -> Issue:
        with self._lock:
            issue = self._issues.get(number)
            if issue is None:
                raise GitHubError(404, "Not Found")
            return replace(issue)

    def exists(self, number: int) -> bool:
        with self._lock:
            return number in self._issues

    def all(self) -> list[Issue]:
        with self._lock:
            return [replace(issue) for _, issue in sorted(self._issues.items())]

    def create(self, body: bytes) -> Issue:
        data = parse_object(body)
        title = string_field(data, "title", required=True)
        text = string_field(data, "body", required=False, nullable=True)
        check_length(text, PULL_BODY_TOO_LONG)
        labels = self._labels.ensure(_label_names(data))
        number = self._numbers.take()
        created = now()
        issue = Issue(number, FIRST_ISSUE_ID + number, title, text, created, created, labels)
        with self._lock:
            self._issues[number] = issue
            return replace(issue)

    def update(self, number: int, body: bytes) -> Issue:
        data = parse_object(body)
        title = string_field(data, "title", required=False)
        text = string_field(data, "body", required=False, nullable=True)
        state = string_field(data, "state", required=False)
        reason = string_field(data, "state_reason", required=False, nullable=True)
        if state is not None and state not in ISSUE_STATES:
            raise _invalid("state", state)
        check_length(text, PULL_BODY_TOO_LONG)
        labels = self._labels.ensure(_label_names(data)) if "labels" in data else None
        with self._lock:
            issue = self._issues.get(number)
            if issue is None:
                raise GitHubError(404, "Not Found")
            if state is not None and state != issue.state:
                if reason is not None and reason not in STATE_REASONS[state]:
                    raise _invalid("state_reason", reason)
                issue.state = state
                issue.state_reason = reason or ("completed" if state == "closed" else "reopened")
                issue.closed_at = now() if state == "closed" else None
            if title is not None:
                issue.title = title
            if "body" in data:
                issue.body = text
            if labels is not None:
                issue.labels = labels
            issue.updated_at = now()
            return replace(issue)


def matches(query: Mapping[str, str], state: str, labels: list[Label]) -> bool:
    """Whether an issue or pull request is in a listing: ``state`` (default open) and every
    name of ``labels`` (comma-separated, any case)."""
    wanted = query.get("state", "open")
    if wanted not in (*ISSUE_STATES, "all"):
        raise _invalid("state", wanted)
    names = {label.name.lower() for label in labels}
    required = {name.strip().lower() for name in query.get("labels", "").split(",") if name}
    return wanted in ("all", state) and required <= names


def issue_json(issue: Issue, repository: Repository, comments: int) -> JsonObject:
    api, html = repository.api_url, repository.html_url
    return {
        **_common_json(repository, issue.number, "issues"),
        "id": issue.id,
        "node_id": f"I_kwDO{issue.id}",
        "html_url": f"{html}/issues/{issue.number}",
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "state_reason": issue.state_reason,
        "labels": [label_json(label, repository) for label in issue.labels],
        "comments": comments,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": issue.closed_at,
        "repository_url": api,
    }


def pull_as_issue_json(pull: JsonObject, repository: Repository, comments: int) -> JsonObject:
    """A pull request as the issues API shows it: an issue with a ``pull_request`` key."""
    number = pull["number"]
    return {
        **_common_json(repository, number, "issues"),
        "id": pull["id"],
        "node_id": pull["node_id"],
        "html_url": pull["html_url"],
        "title": pull["title"],
        "body": pull["body"],
        "state": pull["state"],
        "state_reason": None,
        "labels": [],
        "comments": comments,
        "created_at": pull["created_at"],
        "updated_at": pull["updated_at"],
        "closed_at": pull["closed_at"],
        "repository_url": repository.api_url,
        "pull_request": {
            "url": pull["url"],
            "html_url": pull["html_url"],
            "diff_url": pull["diff_url"],
            "patch_url": pull["patch_url"],
            "merged_at": pull["merged_at"],
        },
    }


def _common_json(repository: Repository, number: int, kind: str) -> JsonObject:
    url = f"{repository.api_url}/{kind}/{number}"
    return {
        "url": url,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "number": number,
        "user": repository.account_json(BOT_LOGIN, "User"),
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "author_association": "MEMBER",
    }


def _label_names(data: JsonObject) -> list[str]:
    """``labels``: names, or objects with a ``name``, as GitHub accepts them."""
    labels = data.get("labels") or []
    if not isinstance(labels, list):
        raise _invalid("labels")
    names = [item.get("name") if isinstance(item, dict) else item for item in labels]
    checked = [name for name in names if isinstance(name, str) and name]
    if len(checked) != len(names):
        raise _invalid("labels")
    return checked


def _invalid(field_name: str, value: str | None = None) -> GitHubError:
    error: JsonObject = {"resource": "Issue", "field": field_name, "code": "invalid"}
    return validation_failed(error if value is None else {"value": value, **error})
