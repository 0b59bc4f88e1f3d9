"""Markdown bodies cut to fit GitHub's size limit without breaking how they render."""

from __future__ import annotations

import re
from typing import Final

MAX_BODY: Final = 65536  # characters, for pull request bodies and comments alike
DEFAULT_TRUNCATION_NOTE: Final = "The full text is in the job log."

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def fit_body(body: str, limit: int = 60000, note: str = DEFAULT_TRUNCATION_NOTE) -> str:
    """``body`` cut to at most ``limit`` characters so GitHub accepts it (MAX_BODY is the cap).

    Whole lines are kept, so a reader never sees half a route; a code fence left open is closed,
    so the appended notice (how much was cut, then ``note``: where the full text is) renders.
    """
    if not 0 < limit <= MAX_BODY:
        raise ValueError(f"limit must be between 1 and {MAX_BODY}, got {limit}")
    if len(body) <= limit:
        return body
    lines = body.splitlines(keepends=True)
    budget = limit - len(_truncated(lines, 0, note))
    shown, used = 0, 0
    while shown < len(lines) and used + len(lines[shown]) <= budget:
        used += len(lines[shown])
        shown += 1
    while shown >= 0:  # the closing fence may need room that the budget did not reserve
        text = _truncated(lines, shown, note)
        if len(text) <= limit:
            return text
        shown -= 1
    raise ValueError(f"limit {limit} leaves no room for the truncation notice")


def _truncated(lines: list[str], shown: int, note: str) -> str:
    kept = "".join(lines[:shown])
    fence = _open_fence(lines[:shown])
    closing = f"{fence}\n" if fence else ""
    notice = (
        f"\n**Truncated:** {len(lines) - shown} of {len(lines)} lines are not shown, "
        f"to stay under GitHub's limit of {MAX_BODY} characters. {note}\n"
    )
    return kept + closing + notice


def _open_fence(lines: list[str]) -> str | None:
    """The Markdown code fence still open after ``lines``, if any."""
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if match is None:
            continue
        run = match.group(1)
        if fence is None:
            fence = run
        elif run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :]:
            fence = None
    return fence
