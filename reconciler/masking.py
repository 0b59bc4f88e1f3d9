"""Secrets hidden in text a server sent back.

Servers echo what they were sent, rarely byte for byte: a login body comes back JSON-escaped
(``\\"``, ``\\\\``, ``\\u00e9`` or the raw character, in either case of hex), escaped again when
quoted inside another JSON string, HTML-escaped in an error page, percent-encoded, or with its
whitespace folded into one space. So each character of a secret is searched in every spelling
it may take, and a run of whitespace matches any run of whitespace. Pure.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from typing import Final

MASK: Final = "***"

_JSON_SHORT_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "\b": "b",
    "\f": "f",
    "\n": "n",
    "\r": "r",
    "\t": "t",
}
_HTML_NAMED: Final = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;"}
_WHITESPACE: Final = " \t\n\r\f\v\u00a0"


def _hex(value: int) -> str:
    """``value`` as hexadecimal in either case."""
    return f"(?i:{value:04x})"


def _spellings(char: str) -> list[str]:
    """Regular expressions for ``char`` as it may be echoed; escapes at any nesting depth."""
    code = ord(char)
    if code > 0xFFFF:  # JSON spells it as a UTF-16 surrogate pair
        high, low = divmod(code - 0x10000, 0x400)
        units = rf"\\+u{_hex(0xD800 + high)}\\+u{_hex(0xDC00 + low)}"
    else:
        units = rf"\\+u{_hex(code)}"
    forms = [
        re.escape(char),
        units,
        f"&#0*{code};",
        f"&#[xX]0*(?i:{code:x});",
        "".join(f"%(?i:{byte:02x})" for byte in char.encode("utf-8", "surrogatepass")),
    ]
    if char in _JSON_SHORT_ESCAPES:
        forms.append(r"\\+" + re.escape(_JSON_SHORT_ESCAPES[char]))
    if char in _HTML_NAMED:
        forms.append(re.escape(_HTML_NAMED[char]))
    return forms


def _any_whitespace_run(run: str, optional: bool) -> str:
    """Any run of whitespace, each character in any spelling: folding may have replaced it."""
    forms = [r"\s", r"\+", "&nbsp;"]
    forms += itertools.chain.from_iterable(
        _spellings(char) for char in dict.fromkeys(_WHITESPACE + run)
    )
    return f"(?:{'|'.join(forms)})" + ("*" if optional else "+")


def _secret_pattern(secret: str) -> str:
    """Whitespace at either end may have been stripped (folding does), so it is optional."""
    runs = [(is_space, "".join(run)) for is_space, run in itertools.groupby(secret, str.isspace)]
    parts = []
    for index, (is_space, run) in enumerate(runs):
        if is_space:
            parts.append(_any_whitespace_run(run, optional=index in (0, len(runs) - 1)))
        else:
            parts += (f"(?:{'|'.join(_spellings(char))})" for char in run)
    return "".join(parts)


@functools.lru_cache(maxsize=64)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    wanted = sorted({secret for secret in secrets if secret.strip()}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile("|".join(_secret_pattern(secret) for secret in wanted))


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``***``."""
    pattern = _pattern(tuple(secrets))
    return text if pattern is None else pattern.sub(MASK, text)
