"""Repository labels: creating and reading them, as GitHub validates them, and their JSON.

An issue created with a label the repository does not have yet gets it created on the fly, grey
(``ededed``) and without a description, as GitHub does for users with push access.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from urllib.parse import quote

from reconciler.sim.github.protocol import JsonObject
from reconciler.sim.github.repository import Repository
from reconciler.sim.github.validation import (
    GitHubError,
    check_description,
    parse_object,
    string_field,
    validation_failed,
)

FIRST_LABEL_ID = 5_100_000_001
DEFAULT_COLOR = "ededed"
MAX_DESCRIPTION = 100
_COLOR = re.compile(r"[0-9a-fA-F]{6}")


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str | None


class Labels:
    """The repository's labels by name, which GitHub compares without case; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._labels: dict[str, Label] = {}
        self._next_id = FIRST_LABEL_ID

    def all(self) -> list[Label]:
        with self._lock:
            return sorted(map(replace, self._labels.values()), key=lambda label: label.id)

    def get(self, name: str) -> Label:
        with self._lock:
            label = self._labels.get(name.lower())
            if label is None:
                raise GitHubError(404, "Not Found")
            return replace(label)

    def create(self, body: bytes) -> Label:
        """``POST .../labels``: a name not taken, a six-digit hex colour, a short description."""
        data = parse_object(body)
        name = string_field(data, "name", required=True)
        color = string_field(data, "color", required=False) or DEFAULT_COLOR
        description = string_field(data, "description", required=False, nullable=True)
        if not name.strip():
            raise _invalid("name")
        if not _COLOR.fullmatch(color.removeprefix("#")):
            raise _invalid("color")
        check_description("Label", description, MAX_DESCRIPTION)
        with self._lock:
            if name.lower() in self._labels:
                raise validation_failed(
                    {"resource": "Label", "code": "already_exists", "field": "name"}
                )
            return replace(self._add_locked(name, color.removeprefix("#").lower(), description))

    def ensure(self, names: list[str]) -> list[Label]:
        """The labels of a new issue, each created grey when the repository lacks it."""
        with self._lock:
            return [
                replace(
                    self._labels.get(name.lower()) or self._add_locked(name, DEFAULT_COLOR, None)
                )
                for name in names
            ]

    def _add_locked(self, name: str, color: str, description: str | None) -> Label:
        label = Label(self._next_id, name, color, description)
        self._labels[name.lower()] = label
        self._next_id += 1
        return label


def label_json(label: Label, repository: Repository) -> JsonObject:
    return {
        "id": label.id,
        "node_id": f"LA_kwDO{label.id}",
        "url": f"{repository.api_url}/labels/{quote(label.name, safe='')}",
        "name": label.name,
        "color": label.color,
        "default": False,
        "description": label.description,
    }


def _invalid(field: str) -> GitHubError:
    return validation_failed({"resource": "Label", "code": "invalid", "field": field})
