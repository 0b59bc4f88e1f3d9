"""A request and its reply as the stand-in's parts pass them around, and the record tests read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from reconciler.sim.server import LoggedRequest, Stream


@dataclass(frozen=True)
class RequestRecord(LoggedRequest):
    """One request as the stand-in saw it; ``status`` is 0 when the connection was dropped."""

    body_length: int
    response_length: int
    headers: dict[str, str]


@dataclass
class ApiRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    cookies: dict[str, str]
    body: bytes


@dataclass
class ApiReply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    cookies: dict[str, str] = field(default_factory=dict)
    dropped: bool = False  # hang up instead of answering
    stream: Stream | None = None  # a hostile body instead of ``body``


def json_reply(status: int, payload: Any) -> ApiReply:
    return ApiReply(status, json.dumps(payload, separators=(",", ":")).encode())


def error_reply(status: int, message: str) -> ApiReply:
    return json_reply(status, {"error": message})


def raw_reply(status: int, body: bytes) -> ApiReply:
    """Reply with a test's body: JSON if it parses (or nests too deep to), otherwise HTML, like
    a proxy's error page."""
    try:
        json.loads(body)
    except RecursionError:
        pass
    except ValueError:
        return ApiReply(status, body, content_type="text/html")
    return ApiReply(status, body)
