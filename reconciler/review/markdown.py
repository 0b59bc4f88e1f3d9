"""Markdown for GitHub: text from outside made literal, and bodies cut to fit GitHub's size
limit without breaking how they render. Pure."""

from __future__ import annotations

import json
import re
import string
import unicodedata
from typing import Final

MAX_BODY: Final = 65536  # characters, for pull request bodies and comments alike
DEFAULT_TRUNCATION_NOTE: Final = "The full text is in the job log."

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# What can end a row, split a cell, or open a code span, emphasis, strikethrough, math, a link,
# HTML (``<!--`` would hide every row after it) or an entity, anywhere in a line.
_ALWAYS_ESCAPED: Final = frozenset("\\`*~[]<>&|$")
_HIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_ORDERED_MARKER: Final = re.compile(r"[0-9]{1,9}[.)]")
# GitHub turns ``scheme://...`` and ``www.`` into links as it parses, reading the raw text on
# (escapes included) to find where they end; an escape on the ``:`` or the ``.`` prevents it.
_LINK_STARTS: Final = re.compile(r":(?=//)|(?i:(?<=www))\.")
_SPACE: Final = "&#32;"


def literal(text: str) -> str:
    """``text`` from outside (a route id or label from Avi, a node name or ConfigMap value from
    Kubernetes, a message from GitHub) as markdown that renders as exactly these characters in
    one table cell or list item, never inside a code span.

    Backslash escapes go where a character could mean something (``_`` only where it is not
    between letters or digits, since there it cannot open emphasis; the first character and an
    ordered-list marker, which could start a block; the start of a bare link). GitHub still
    links an e-mail address, showing it as it is. Characters that break lines or are
    invisible (controls, bidi overrides, odd spaces) show as their escapes (``\\n``,
    ``\\u202e``); leading and trailing spaces become ``&#32;``, which neither a table nor an
    indented code block swallows.
    """
    shown = visible(text)
    marker = _ORDERED_MARKER.match(shown)
    escape_at = {0, *(found.start() for found in _LINK_STARTS.finditer(shown))}
    if marker:
        escape_at.add(marker.end() - 1)
    out = []
    for index, char in enumerate(shown):
        if (
            char in _ALWAYS_ESCAPED
            or (char == "_" and not _between_alphanumerics(shown, index))
            or (index in escape_at and char in string.punctuation)
        ):
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    body = escaped.strip(" ")
    leading = len(escaped) - len(escaped.lstrip(" "))
    trailing = len(escaped) - len(escaped.rstrip(" ")) if body else 0
    return _SPACE * leading + body + _SPACE * trailing


def visible(text: str) -> str:
    """``text`` with each character that breaks a line or cannot be seen (controls, format
    characters such as bidi overrides, separators, spaces other than the plain one) written as
    its JSON escape, e.g. ``\\u202e``."""
    return "".join(
        json.dumps(char)[1:-1]
        if char != " " and unicodedata.category(char) in _HIDDEN_CATEGORIES
        else char
        for char in text
    )


def _between_alphanumerics(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


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
