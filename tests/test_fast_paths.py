"""The apply side's fast paths agree with the implementations they replaced, kept here as oracles.

- `parse_json` (msgspec, json deciding whatever msgspec refuses) decodes what `json.loads` does
  and refuses what it refuses;
- `json_body` (orjson, json writing whatever orjson would write otherwise) writes the JSON that
  `json.dumps` writes, or refuses it as json does;
- the cycle collector's pause ends as it began.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.collector import collector_paused
from reconciler.json_body import encoded, json_body
from reconciler.json_depth import parse_json

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def examples(count: int) -> settings:
    return settings(FAST, max_examples=count)


def outcome(function: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives, compared by repr (so -0.0, NaN and key order count), or what it
    raises."""
    try:
        return "value", repr(function(*args))
    except Exception as error:  # the kind of failure is what is compared
        return "raises", type(error)


# --- JSON values, including what only json can read or write ---------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),  # past 64 bits: orjson refuses
    st.floats(),  # NaN and infinities: json writes them as tokens, orjson as null
    st.text(max_size=8),
    st.sampled_from(["\ud800", "a\udfffb", "null", "\u2028", "\x00"]),  # lone surrogates
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.none(), st.booleans()), inner, max_size=2),
    ),
    max_leaves=10,
)


@examples(600)
@given(json_like)
@example({"n": float("nan"), "route_id": "x"})
@example([2**64, "\ud800"])
@example({1: "a", None: "b"})
def test_json_body_writes_what_json_writes(value):
    expected = outcome(lambda: json.loads(json.dumps(value).encode()))
    assert outcome(lambda: json.loads(encoded(value).data)) == expected
    if value is not None:  # None is no body at all
        assert outcome(lambda: json.loads(json_body(value))) == expected
        assert json_body(encoded(value)) == encoded(value).data


@st.composite
def json_texts(draw: st.DrawFn) -> bytes:
    """JSON as servers write it, with every spelling json reads, and near misses of it."""
    text = json.dumps(draw(json_like), ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")
    mutation = draw(st.sampled_from(["none", "insert", "delete", "prefix", "encode"]))
    position = draw(st.integers(0, len(data)))
    if mutation == "insert":
        data = data[:position] + draw(st.binary(min_size=1, max_size=3)) + data[position:]
    elif mutation == "delete":
        data = data[:position] + data[position + 1 :]
    elif mutation == "prefix":
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b" \n", b"\x00", b"NaN,"])) + data
    elif mutation == "encode":
        data = text.encode(draw(st.sampled_from(["utf-16", "utf-32-le", "utf-8-sig"])), "replace")
    return data


def decoded(decode: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "value", repr(decode(data))
    except ValueError:  # every refusal of either is a ValueError of some kind
        return "refused", None


@examples(800)
@given(st.one_of(json_texts(), st.binary(max_size=40)))
@example(b"123456789012345678901234567890")
@example(b'[NaN, Infinity, -Infinity, 1e400, "\\ud800"]')
@example(b'"\xed\xa0\x80"')
@example(b'{"a": 1, "a": 2}')
def test_parse_json_decodes_what_json_decodes(data):
    assert decoded(parse_json, data) == decoded(json.loads, data)


def test_the_collector_pause_ends_as_it_began_also_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one in place
        _ = 1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector switched off by someone else stays off
    finally:
        gc.enable()
