"""GitHub's wire conventions every endpoint shares: compact JSON, timestamps, ``Link`` paging,
the request as handlers see it and the record tests read."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from reconciler.sim.server import LoggedRequest

JsonObject = dict[str, Any]
Headers = tuple[tuple[str, str], ...]

CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class RecordedRequest(LoggedRequest):
    """One request as the fake saw it; ``headers["Authorization"]`` keeps only the scheme."""

    body: Any  # the decoded JSON body, or None when there was none or it was not JSON
    headers: dict[str, str]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # as sent, including an Enterprise prefix
    query: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's pattern


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_of(request: ApiRequest, origin: str, items: list[Any]) -> tuple[list[Any], Headers]:
    """One page of ``items`` and the ``Link`` header GitHub sends when there are several."""
    per_page = min(_positive_int(request.query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _positive_int(request.query, "page", 1)
    last = max(1, math.ceil(len(items) / per_page))
    if last == 1 and page == 1:
        return items, ()

    def link(number: int, rel: str) -> str:
        query = urlencode({**request.query, "page": number})
        return f'<{origin}{request.path}?{query}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    start = (page - 1) * per_page
    return items[start : start + per_page], (("Link", ", ".join(links)),)


def _positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    """GitHub ignores paging parameters it cannot use rather than refusing them."""
    try:
        value = int(query.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default
