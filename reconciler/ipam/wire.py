"""Kubernetes lists from wire JSON, keeping of each Node and CiliumNode only the fields route
-reconciler reads. Pure.

A 5,000-node dump is 50 MB of JSON and 140 MB of dicts when decoded whole, nearly all of it
images, conditions and managed fields nobody reads; decoded against the schema below it is a
few MB, in a fifth of the time. Every other kind is decoded whole. A document the typed decoder
does not take as it stands (a field of an unexpected type, JSON that `json` reads differently)
is left to the generic path, so readers see what they would have seen, and errors stay the same.

Every field a reader, `check` or a snapshot source reads from a Node or CiliumNode must be in
`_Object` (tests/test_wire.py compares every reader's result on both decodings).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection
from typing import Any, Final, TypedDict

import msgspec

PRUNED_KINDS: Final = frozenset({"Node", "CiliumNode"})
_UTF8_CHUNK: Final = 1 << 20
_OBJECT_START: Final = re.compile(rb"[ \t\r\n]*\{")


class _Metadata(TypedDict, total=False):
    name: Any
    namespace: Any
    annotations: Any


class _NodeInfo(TypedDict, total=False):
    kernelVersion: Any


class _Status(TypedDict, total=False):
    addresses: Any  # Node InternalIPs
    nodeInfo: _NodeInfo  # check: SCTP needs kernel 5.2


class _Spec(TypedDict, total=False):
    podCIDRs: Any  # Node
    podCIDR: Any  # Node, before dual-stack
    addresses: Any  # CiliumNode
    ipam: Any  # CiliumNode: podCIDRs, pools


class _Object(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Metadata
    spec: _Spec
    status: _Status


class _List(msgspec.Struct):
    kind: Any = None
    items: list[msgspec.Raw] | None = None


class _Page(msgspec.Struct):
    metadata: Any = None
    items: list[_Object] | None = None


_LIST: Final = msgspec.json.Decoder(_List)
_OBJECT: Final = msgspec.json.Decoder(_Object)
_PAGE: Final = msgspec.json.Decoder(_Page)
_ANY: Final = msgspec.json.Decoder()


def decode_list(data: bytes, wanted: Collection[str]) -> dict[str, Any] | None:
    """A `kind: List` (or `NodeList`, ...) document as `json.loads` gives it, except that Nodes
    and CiliumNodes keep only the fields read, and so do objects of a kind not `wanted` (their
    kind is all the caller looks at); None when `data` is not such a document as the fast path
    reads it (the caller then decodes it the generic way, which reports what is wrong)."""
    if not _plain_json_object(data):
        return None
    try:
        listing = _LIST.decode(data)
        kind = listing.kind
        if not isinstance(kind, str) or not kind.endswith("List"):
            return None
        item_kind = kind[: -len("List")] or None
        items = [_item(raw, item_kind, wanted) for raw in listing.items or ()]
    except (msgspec.MsgspecError, RecursionError):
        return None
    return {"kind": kind, "items": items}


def decode_page(data: bytes) -> dict[str, Any] | None:
    """One page of a Node or CiliumNode list (`metadata` and `items`), items kept as in
    `decode_list`; None when the fast path does not take it as it stands."""
    if not _plain_json_object(data):
        return None
    try:
        page = _PAGE.decode(data)
    except (msgspec.MsgspecError, RecursionError):
        return None
    return {"metadata": page.metadata, "items": page.items}


def _item(raw: msgspec.Raw, item_kind: str | None, wanted: Collection[str]) -> Any:
    pruned = _OBJECT.decode(raw)
    kind = pruned.get("kind", item_kind)
    if kind in PRUNED_KINDS or (isinstance(kind, str) and kind not in wanted):
        return pruned
    return _ANY.decode(raw)


def _plain_json_object(data: bytes) -> bool:
    """A JSON object in UTF-8: the typed decoder does not check the UTF-8 of strings it skips,
    and a byte order mark or other leading characters are for the generic path to judge."""
    if not _OBJECT_START.match(data):
        return False
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _UTF8_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
