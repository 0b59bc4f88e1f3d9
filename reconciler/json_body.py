"""Request bodies as JSON, for every client. Pure.

orjson writes a 60,000-route VRF in a tenth of json's time (0.04 s, not 0.4 s). What it would
write otherwise than json, json writes: orjson refuses integers past 64 bits, lone surrogates
and keys that are not strings, and it writes a float that is not finite (a broken controller's
NaN, written back as read) as null; so its output is used only when it holds no null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import orjson

# Anything but plain JSON values goes to json, which decides as it always did.
_PLAIN_VALUES_ONLY: Final = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


@dataclass(frozen=True)
class EncodedJson:
    """A body encoded before its call, so that the caller need not keep the objects it was
    made from (a whole VRF) while the answer arrives."""

    data: bytes


def encoded(payload: Any) -> EncodedJson:
    return EncodedJson(_encode(payload))


def json_body(payload: Any) -> bytes | None:
    """``payload`` as a request body; None sends no body."""
    if payload is None:
        return None
    if isinstance(payload, EncodedJson):
        return payload.data
    return _encode(payload)


def _encode(payload: Any) -> bytes:
    try:
        body = orjson.dumps(payload, option=_PLAIN_VALUES_ONLY)
    except orjson.JSONEncodeError:
        return json.dumps(payload).encode()
    return json.dumps(payload).encode() if b"null" in body else body
