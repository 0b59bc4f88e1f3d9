"""The applied record: which reviewed commit is on Avi, and which of its routes are not yet.

A reviewed change can stay off Avi: a foreign route holds its prefix or the route policy refuses
it (blocked), or someone changed the route on Avi since the last apply (skipped). Such a prefix
is *pending* and keeps the base it had, so the next plan still shows it as a reviewed (`git`)
change; every other prefix's base is the recorded commit's manifest, so a later hand edit on Avi
is drift and never passes for a reviewed change.

The record's text is the applied tag's message: a summary line, a blank line, then one JSON
object. It is repository content anyone with push access can write, so it is read strictly:
bounded in size, every field checked, any problem one line naming the tag. Pure.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.addresses import IPNetwork
from reconciler.errors import InputError, brief
from reconciler.plan import same_route
from reconciler.prefixes import prefix_key
from reconciler.routes import Route, parse_cidr, sort_routes

APPLIED_TAG_PREFIX = "route-reconciler/applied"
RECORD_FORMAT = 1
# Far above any real record (a pending route takes at most about 600 bytes), far below harm.
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_TEXT = 253  # a node name's limit in Kubernetes; route ids are shorter
_RECORD_KEYS = {"format", "cluster", "vrf", "pending"}
_PENDING_KEYS = {"prefix", "base"}
_BASE_KEYS = {"nextHop", "routeId", "node"}


@dataclass(frozen=True)
class PendingRoute:
    """A prefix whose reviewed change is not on Avi yet; `base` None: it had no route."""

    prefix: IPNetwork
    base: Route | None


@dataclass(frozen=True)
class AppliedRecord:
    commit: str
    pending: tuple[PendingRoute, ...] = ()


RecordStatus = Literal["recorded", "unchanged", "newer kept"]


@dataclass(frozen=True)
class RecordOutcome:
    status: RecordStatus
    record: AppliedRecord  # what the tag holds now


def applied_tag(cluster: str, vrf: str) -> str:
    """The tag that records the last reviewed commit applied to Avi for one cluster and VRF."""
    return f"{APPLIED_TAG_PREFIX}/{cluster}/{vrf}"


def effective_base(applied: Sequence[Route], pending: Sequence[PendingRoute]) -> tuple[Route, ...]:
    """The base of the next plan: the recorded commit's routes, but a pending prefix keeps the
    base it had before its change, so that change is still a reviewed one."""
    held = {entry.prefix: entry.base for entry in pending}
    routes = [route for route in applied if route.prefix not in held]
    routes += [base for base in held.values() if base is not None]
    return sort_routes(routes)


def still_pending(
    base: Sequence[Route], target: Sequence[Route], unapplied: Iterable[IPNetwork]
) -> tuple[PendingRoute, ...]:
    """The prefixes an apply left alone whose reviewed change (base -> target) is not on Avi,
    each with the base it had; an unapplied prefix git did not change is not pending."""
    base_routes = {route.prefix: route for route in base}
    target_routes = {route.prefix: route for route in target}
    pending = [
        PendingRoute(prefix, base_routes.get(prefix))
        for prefix in set(unapplied)
        if not same_route(base_routes.get(prefix), target_routes.get(prefix))
    ]
    return _sorted(pending)


def merged(
    ours: Sequence[PendingRoute], theirs: Sequence[PendingRoute]
) -> tuple[PendingRoute, ...]:
    """Two applies of one commit recorded at once: keep every prefix either left pending. A
    prefix wrongly kept pending costs nothing (its route is on Avi, so the plan shows no change);
    one wrongly dropped would turn a reviewed change into drift."""
    by_prefix = {entry.prefix: entry for entry in theirs}
    by_prefix.update({entry.prefix: entry for entry in ours})
    return _sorted(by_prefix.values())


def record_message(cluster: str, vrf: str, pending: Sequence[PendingRoute]) -> str:
    state = f"{len(pending)} reviewed route(s) pending" if pending else "complete"
    body = {
        "format": RECORD_FORMAT,
        "cluster": cluster,
        "vrf": vrf,
        "pending": [
            {"prefix": str(entry.prefix), "base": _base_json(entry.base)} for entry in pending
        ],
    }
    document = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return f"route-reconciler applied {cluster}/{vrf}: {state}\n\n{document}\n"


def check_record_size(size: int, where: str) -> None:
    """Checked before a record is read at all, so a huge tag costs nothing."""
    if size > MAX_RECORD_BYTES:
        raise _refusal(where, f"{size} bytes, more than the {MAX_RECORD_BYTES} a record may have")


def parse_record_message(
    message: bytes, cluster: str, vrf: str, where: str
) -> tuple[PendingRoute, ...]:
    """The pending routes of a record's message; `where` names the tag in every error."""

    def refuse(problem: str) -> InputError:
        return _refusal(where, problem)

    check_record_size(len(message), where)
    try:
        _, body = message.decode("utf-8").split("\n\n", 1)
        document = json.loads(body)
    except UnicodeDecodeError:
        raise refuse("message is not UTF-8") from None
    except ValueError:
        raise refuse("message is not a summary line and a JSON applied record") from None
    except RecursionError:
        raise refuse("message nests too deep") from None
    if not isinstance(document, dict) or set(document) != _RECORD_KEYS:
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise refuse(f"expected the keys {sorted(_RECORD_KEYS)}, got {brief(keys)}")
    expected = {"format": RECORD_FORMAT, "cluster": cluster, "vrf": vrf}
    for key, value in expected.items():
        if document[key] != value:
            raise refuse(f"{key} is {brief(document[key])}, expected {value!r}")
    raw_pending = document["pending"]
    if not isinstance(raw_pending, list):
        raise refuse(f"pending is a {type(raw_pending).__name__}, not a list")
    pending: dict[IPNetwork, PendingRoute] = {}
    for index, raw in enumerate(raw_pending):
        try:
            entry = _pending_route(raw)
        except ValueError as problem:
            raise refuse(f"pending[{index}]: {problem}") from None
        if entry.prefix in pending:
            raise refuse(f"pending[{index}]: prefix {entry.prefix} repeats")
        pending[entry.prefix] = entry
    return _sorted(pending.values())


def _refusal(where: str, problem: str) -> InputError:
    return InputError(f"{where}: {problem}; delete the tag if apply did not write it")


def _pending_route(raw: Any) -> PendingRoute:
    if not isinstance(raw, dict) or set(raw) != _PENDING_KEYS:
        raise ValueError(f"expected the keys {sorted(_PENDING_KEYS)}, got {brief(raw)}")
    text = _text(raw, "prefix")
    try:
        prefix = parse_cidr(text)
    except ValueError as problem:
        raise ValueError(f"prefix {brief(text)} {problem}") from None
    if str(prefix) != text:
        raise ValueError(f"prefix {brief(text)} is not written as {prefix}")
    base = raw["base"]
    if base is None:
        return PendingRoute(prefix, None)
    if not isinstance(base, dict) or set(base) != _BASE_KEYS:
        raise ValueError(f"base: expected null or the keys {sorted(_BASE_KEYS)}, got {brief(base)}")
    hop_text = _text(base, "nextHop")
    try:
        next_hop = ipaddress.ip_address(hop_text)
    except ValueError:
        raise ValueError(f"base.nextHop {brief(hop_text)} is not an IP address") from None
    if next_hop.version != prefix.version:
        raise ValueError(f"base.nextHop {next_hop} is not of the family of {prefix}")
    route_id = _text(base, "routeId")
    return PendingRoute(prefix, Route(prefix, next_hop, _text(base, "node", empty=True), route_id))


def _text(raw: Mapping[str, Any], key: str, empty: bool = False) -> str:
    value = raw[key]
    if not isinstance(value, str) or not (empty or value):
        kind = "a string" if empty else "a non-empty string"
        raise ValueError(f"{key}: expected {kind}, got {brief(value)}")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise ValueError(f"{key}: {brief(value)} is not a short, printable name")
    return value


def _base_json(route: Route | None) -> dict[str, str] | None:
    if route is None:
        return None
    return {"nextHop": str(route.next_hop), "routeId": route.route_id, "node": route.node}


def _sorted(pending: Iterable[PendingRoute]) -> tuple[PendingRoute, ...]:
    return tuple(sorted(pending, key=lambda entry: prefix_key(entry.prefix)))
