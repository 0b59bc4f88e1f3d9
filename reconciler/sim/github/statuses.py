"""Commit statuses: creating them on a commit and listing a commit's, newest first.

GitHub refuses a ``state`` other than error, failure, pending or success, a ``description``
over 140 characters, a commit it does not have, and a 1001st status for one sha and context.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reconciler.sim.github.protocol import JsonObject, now
from reconciler.sim.github.repository import BOT_LOGIN, Repository
from reconciler.sim.github.validation import (
    GitHubError,
    check_description,
    parse_object,
    string_field,
    validation_failed,
)

FIRST_STATUS_ID = 6_200_000_001
STATES = ("error", "failure", "pending", "success")
MAX_DESCRIPTION = 140
MAX_PER_CONTEXT = 1000


@dataclass(frozen=True)
class Status:
    id: int
    sha: str
    state: str
    description: str | None
    target_url: str | None
    context: str
    created_at: str


class Statuses:
    """Every status of the repository, oldest first; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._statuses: list[Status] = []

    def create(self, sha: str, body: bytes) -> Status:
        """``sha`` is a commit the caller has checked exists."""
        data = parse_object(body)
        state = string_field(data, "state", required=True)
        description = string_field(data, "description", required=False, nullable=True)
        target_url = string_field(data, "target_url", required=False, nullable=True)
        context = string_field(data, "context", required=False) or "default"
        if state not in STATES:
            raise validation_failed(
                {
                    "resource": "Status",
                    "code": "custom",
                    "field": "state",
                    "message": (f"state is not included in the list ({', '.join(STATES)})"),
                }
            )
        check_description("Status", description, MAX_DESCRIPTION)
        with self._lock:
            same = [s for s in self._statuses if (s.sha, s.context) == (sha, context)]
            if len(same) >= MAX_PER_CONTEXT:
                raise validation_failed(
                    {
                        "resource": "Status",
                        "code": "custom",
                        "message": "This SHA and context has reached the maximum number of "
                        "statuses.",
                    }
                )
            status = Status(
                FIRST_STATUS_ID + len(self._statuses),
                sha,
                state,
                description,
                target_url,
                context,
                now(),
            )
            self._statuses.append(status)
            return status

    def on(self, sha: str) -> list[Status]:
        """A commit's statuses, newest first, as ``GET .../commits/{ref}/statuses`` lists them."""
        with self._lock:
            return [status for status in reversed(self._statuses) if status.sha == sha]


def status_json(status: Status, repository: Repository) -> JsonObject:
    creator = repository.account_json(BOT_LOGIN, "User")
    return {
        "url": f"{repository.api_url}/statuses/{status.sha}",
        "avatar_url": None,
        "id": status.id,
        "node_id": f"SC_kwDO{status.id}",
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": status.created_at,
        "updated_at": status.created_at,
        "creator": creator,
    }


def no_commit(sha: str) -> GitHubError:
    return GitHubError(422, f"No commit found for SHA: {sha}")
