"""Text from outside (Avi, Kubernetes, GitHub) made literal where it enters markdown: the one
function every markdown producer (the report, propose, review comments, any future issue body)
applies to such text. Pure."""

from __future__ import annotations

import json
import re
import string
import unicodedata
from typing import Final

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
