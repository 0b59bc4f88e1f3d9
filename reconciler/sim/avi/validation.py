"""What the controller refuses: its static-route schema and malformed request bodies.

Messages name the field, as the controller's do, so clients' error handling meets real wording.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Mapping
from typing import Any

JsonObject = dict[str, Any]

DUPLICATE_ROUTE_ID = "Unique constraints route_id has duplicated value"
IP_VERSION_BY_TYPE = {"V4": 4, "V6": 6}
READ_ONLY_FIELDS = frozenset({"uuid", "url", "_last_modified"})
REF_FIELDS = frozenset({"cloud_ref", "tenant_ref"})  # a write may not point them elsewhere


class SimRequestError(ValueError):
    """A request the stand-in refuses, carrying the HTTP status a controller would answer.

    It is a ValueError so that seeding helpers given data a controller would refuse fail loudly.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def static_route(
    route_id: str, cidr: str, next_hop: str, *, labels: list[JsonObject] | None = None
) -> JsonObject:
    """A StaticRoute in the controller's JSON shape (address kept as written), for seeding."""
    address, _, mask = cidr.partition("/")
    route: JsonObject = {
        "route_id": route_id,
        "prefix": {"ip_addr": {"addr": address, "type": _ip_type(address)}, "mask": int(mask)},
        "next_hop": {"addr": next_hop, "type": _ip_type(next_hop)},
    }
    if labels is not None:
        route["labels"] = labels
    return route


def _ip_type(address: str) -> str:
    return "V6" if ":" in address else "V4"


def _ip_version(address: str) -> int | None:
    """The version of a literal IP address; inet_pton is C-fast, which 60,000-route VRFs need."""
    for family, version in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            socket.inet_pton(family, address)
        except (OSError, ValueError):
            continue
        return version
    return None


def _check_ip(value: Any, where: str, *, allow_dns: bool) -> int:
    """Validate an IpAddr and return its IP version (0 for a DNS name)."""
    if not isinstance(value, dict):
        raise SimRequestError(400, f"{where}: This field is required.")
    address, kind = value.get("addr"), value.get("type")
    if not isinstance(address, str) or not address:
        raise SimRequestError(400, f"{where}.addr: This field is required.")
    if allow_dns and kind == "DNS":
        return 0
    if kind not in IP_VERSION_BY_TYPE:
        raise SimRequestError(400, f"{where}.type: {kind!r} is not a valid choice.")
    version = _ip_version(address)
    if version is None:
        raise SimRequestError(400, f"{where}.addr: {address!r} is not a valid IP address")
    if version != IP_VERSION_BY_TYPE[kind]:
        raise SimRequestError(400, f"{where}: address {address} does not match type {kind}")
    return version


def _check_route(route: Any) -> None:
    """Validate one StaticRoute the way the controller's schema does (messages name the field)."""
    if not isinstance(route, dict):
        raise SimRequestError(400, "expected an object")
    route_id = route.get("route_id")
    if not isinstance(route_id, str) or not route_id:
        raise SimRequestError(400, "route_id: This field is required.")
    prefix = route.get("prefix")
    if not isinstance(prefix, dict):
        raise SimRequestError(400, "prefix: This field is required.")
    version = _check_ip(prefix.get("ip_addr"), "prefix.ip_addr", allow_dns=False)
    mask = prefix.get("mask")
    longest = 32 if version == 4 else 128
    if isinstance(mask, bool) or not isinstance(mask, int) or not 0 <= mask <= longest:
        raise SimRequestError(
            400, f"prefix.mask: {mask!r} is not a valid V{version} mask (0-{longest})"
        )
    _check_ip(route.get("next_hop"), "next_hop", allow_dns=True)
    labels = route.get("labels", [])
    if not isinstance(labels, list):
        raise SimRequestError(400, "labels: expected a list")
    if len(labels) > 1:
        raise SimRequestError(400, "labels: Maximum of 1 items allowed")
    for label in labels:
        if not isinstance(label, dict) or not isinstance(label.get("key"), str):
            raise SimRequestError(400, "labels.key: This field is required.")


def check_routes(routes: Any) -> list[JsonObject]:
    """Validate a whole static_routes list, including the unique route_id constraint."""
    checked = checked_route_list(routes)
    check_unique_route_ids(checked)
    return checked


def checked_route_list(routes: Any) -> list[JsonObject]:
    """Each route valid on its own; uniqueness is the caller's next step."""
    if not isinstance(routes, list):
        raise SimRequestError(400, "static_routes: expected a list")
    for index, route in enumerate(routes):
        try:
            _check_route(route)
        except SimRequestError as exc:
            raise SimRequestError(400, f"static_routes[{index}].{exc}") from None
    return routes


def check_unique_route_ids(routes: Iterable[JsonObject]) -> None:
    seen: set[str] = set()
    for route in routes:
        if route["route_id"] in seen:
            raise SimRequestError(400, DUPLICATE_ROUTE_ID)
        seen.add(route["route_id"])


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SimRequestError(400, f"JSON parse error - {exc}") from None


def page_number(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SimRequestError(400, f"{name} must be an integer, got {raw!r}") from None
