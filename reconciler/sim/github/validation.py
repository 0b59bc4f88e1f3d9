"""What GitHub refuses and how it words it: ``{"message", "errors", "documentation_url"}`` bodies,
JSON-schema refusals of request bodies, and the body length limit."""

from __future__ import annotations

import json
from typing import Any

from reconciler.sim.github.protocol import JsonObject

MAX_BODY_CHARACTERS = 65536

# What GitHub answers for bodies over the limit: the wording differs between the two resources.
PULL_BODY_TOO_LONG = {
    "resource": "Issue",
    "code": "custom",
    "field": "body",
    "message": f"body is too long (maximum is {MAX_BODY_CHARACTERS} characters)",
}
COMMENT_BODY_TOO_LONG = {
    "resource": "IssueComment",
    "code": "unprocessable",
    "field": "data",
    "message": f"Body is too long (maximum is {MAX_BODY_CHARACTERS} characters)",
}


class GitHubError(Exception):
    """A failure answered as GitHub's error body; the route's documentation URL is added later."""

    def __init__(self, status: int, message: str, errors: list[JsonObject] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def payload(self, documentation_url: str) -> JsonObject:
        body: JsonObject = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = documentation_url
        body["status"] = str(self.status)
        return body


def invalid_pull_field(name: str, value: str | None = None) -> GitHubError:
    error: JsonObject = {"resource": "PullRequest", "field": name, "code": "invalid"}
    return validation_failed(error if value is None else {"value": value, **error})


def pull_refused(message: str) -> GitHubError:
    return validation_failed({"resource": "PullRequest", "code": "custom", "message": message})


def parse_object(body: bytes) -> JsonObject:
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(decoded, dict):
        raise GitHubError(400, "Problems parsing JSON")
    return decoded


def string_field(data: JsonObject, name: str, *, required: bool, nullable: bool = False) -> Any:
    """A string member of a request body, refused the way GitHub's schema validation does."""
    if name not in data:
        if required:
            raise _invalid_request(f'"{name}" wasn\'t supplied.')
        return None
    value = data[name]
    if isinstance(value, str) or (nullable and value is None):
        return value
    kind = "a string or null" if nullable else "a string"
    raise _invalid_request(f"For 'properties/{name}', {json.dumps(value)} is not {kind}.")


def check_length(text: str | None, error: JsonObject) -> None:
    if text is not None and len(text) > MAX_BODY_CHARACTERS:
        raise validation_failed(error)


def check_description(resource: str, text: str | None, limit: int) -> None:
    """GitHub's refusal of a ``description`` longer than ``limit`` (labels, statuses)."""
    if text is not None and len(text) > limit:
        raise validation_failed(
            {
                "resource": resource,
                "code": "custom",
                "field": "description",
                "message": f"description is too long (maximum is {limit} characters)",
            }
        )


def validation_failed(error: JsonObject) -> GitHubError:
    return GitHubError(422, "Validation Failed", [error])


def _invalid_request(reason: str) -> GitHubError:
    """GitHub's JSON-schema refusal, e.g. ``Invalid request.\\n\\n"body" wasn't supplied.``"""
    return GitHubError(422, f"Invalid request.\n\n{reason}")
