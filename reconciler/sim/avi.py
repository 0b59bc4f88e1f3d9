"""A local Avi Controller stand-in that speaks the REST dialect route-reconciler depends on.

Tests, the demo and benchmarks use it to exercise real HTTP: sessions with CSRF and Referer
checks, paged collections, PUT with the 412 conflict on a stale ``_last_modified``, PATCH
add/replace/delete and the controller's static-route validation (unique ``route_id``, one label).
Where the Avi VrfContext API reference marks a behaviour as unknown, the choice made here is
stated in the docstring that implements it. Faults (errors, delays, dropped connections, 412
storms, expired sessions) can be injected, and every request is logged for assertions.
"""

from __future__ import annotations

import http.client
import json
import pickle
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import yaml

from reconciler.errors import InputError
from reconciler.sim.server import (
    Fault,
    Faults,
    Handler,
    LoggedRequest,
    Reply,
    StandInServer,
    methods,
)

JsonObject = dict[str, Any]
_Copied = TypeVar("_Copied")

CONTROLLER_VERSION = "22.1.3"
DEFAULT_CLOUD = "Default-Cloud"
ADMIN_TENANT = "admin"
SYSTEM_VRFS = ("global", "management")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
SESSION_COOKIES = ("avi-sessionid", "sessionid")
LOGGED_HEADERS = ("X-Avi-Version", "X-Avi-Tenant", "Content-Type", "Referer")
CSRF_EXEMPT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
WRITE_METHODS = frozenset({"PUT", "PATCH"})
PATCH_OPERATIONS = ("add", "replace", "delete")
READ_ONLY_FIELDS = frozenset({"uuid", "url", "_last_modified"})
REF_FIELDS = frozenset({"cloud_ref", "tenant_ref"})
KIND_BY_COLLECTION = {
    "vrfcontext": "VrfContext",
    "cloud": "Cloud",
    "tenant": "Tenant",
    "serviceenginegroup": "ServiceEngineGroup",
}
NOT_AUTHENTICATED = "Authentication credentials were not provided."
DUPLICATE_ROUTE_ID = "Unique constraints route_id has duplicated value"
IP_VERSION_BY_TYPE = {"V4": 4, "V6": 6}
VERSION_PATTERN = re.compile(r"\d+(\.\d+){1,3}")


class SimRequestError(ValueError):
    """A request the stand-in refuses, carrying the HTTP status a controller would answer.

    It is a ValueError so that seeding helpers given data a controller would refuse fail loudly.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RequestRecord(LoggedRequest):
    """One request as the stand-in saw it; ``status`` is 0 when the connection was dropped."""

    body_length: int
    response_length: int
    headers: dict[str, str]


@dataclass
class _Session:
    csrf_token: str
    last_used: float
    renewed_csrf_token: str | None = None


@dataclass(kw_only=True)
class _Fault(Fault):
    kind: Literal["status", "delay", "drop"]
    status: int = 0
    body: bytes = b""
    seconds: float = 0.0
    after_write: bool = False


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    cookies: dict[str, str]
    body: bytes


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    cookies: dict[str, str] = field(default_factory=dict)
    dropped: bool = False


def _json_reply(status: int, payload: Any) -> _Reply:
    return _Reply(status, json.dumps(payload, separators=(",", ":")).encode())


def _error_reply(status: int, message: str) -> _Reply:
    return _json_reply(status, {"error": message})


def _raw_reply(status: int, body: bytes) -> _Reply:
    """Reply with a test's body: JSON if it parses, otherwise HTML, like a proxy's error page."""
    try:
        json.loads(body)
    except ValueError:
        return _Reply(status, body, content_type="text/html")
    return _Reply(status, body)


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


def _check_routes(routes: Any) -> list[JsonObject]:
    """Validate a whole static_routes list, including the unique route_id constraint."""
    checked = _checked_route_list(routes)
    _check_unique_route_ids(checked)
    return checked


def _checked_route_list(routes: Any) -> list[JsonObject]:
    if not isinstance(routes, list):
        raise SimRequestError(400, "static_routes: expected a list")
    for index, route in enumerate(routes):
        try:
            _check_route(route)
        except SimRequestError as exc:
            raise SimRequestError(400, f"static_routes[{index}].{exc}") from None
    return routes


def _check_unique_route_ids(routes: Iterable[JsonObject]) -> None:
    seen: set[str] = set()
    for route in routes:
        if route["route_id"] in seen:
            raise SimRequestError(400, DUPLICATE_ROUTE_ID)
        seen.add(route["route_id"])


def _same_route(live: JsonObject, given: JsonObject) -> bool:
    """PATCH delete matching (undocumented on a controller): prefix, next hop and labels agree.

    Callers have already matched ``route_id``; an absent ``labels`` equals an empty list.
    """
    return (
        live.get("prefix") == given.get("prefix")
        and live.get("next_hop") == given.get("next_hop")
        and (live.get("labels") or []) == (given.get("labels") or [])
    )


def _without_routes(routes: list[JsonObject], doomed: Any) -> list[JsonObject]:
    """Remove the given routes in one pass; entries that match nothing are a no-op."""
    if not isinstance(doomed, list) or not all(isinstance(entry, dict) for entry in doomed):
        raise SimRequestError(400, "static_routes: expected a list of objects")
    doomed_by_id: dict[Any, list[JsonObject]] = {}
    for entry in doomed:
        doomed_by_id.setdefault(entry.get("route_id"), []).append(entry)
    return [
        route
        for route in routes
        if not any(_same_route(route, entry) for entry in doomed_by_id.get(route["route_id"], ()))
    ]


def _patched_field(operation: str, name: str, current: Any, given: Any) -> Any:
    """Apply one PATCH operation to one top-level field (lists grow, shrink or get replaced)."""
    if operation == "replace":
        return given
    if operation == "add":
        if isinstance(current, list) and isinstance(given, list):
            return current + given
        return given
    if name == "static_routes":
        return _without_routes(current or [], given)
    if isinstance(current, list) and isinstance(given, list):
        return [item for item in current if item not in given]
    return None


def _parse_patch(body: Any) -> tuple[str, JsonObject]:
    """One of add/replace/delete; a ``_last_modified`` beside it is ignored, as PATCH does."""
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "_last_modified"}
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in PATCH_OPERATIONS:
        raise SimRequestError(400, "PATCH body must have exactly one of: add, replace, delete")
    operation, changes = next(iter(body.items()))
    if not isinstance(changes, dict):
        raise SimRequestError(400, f"PATCH {operation}: expected an object of fields")
    for name in changes:
        if name in READ_ONLY_FIELDS or name in REF_FIELDS:
            raise SimRequestError(400, f"{name} cannot be changed with PATCH")
    return operation, changes


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SimRequestError(400, f"JSON parse error - {exc}") from None


def _page_number(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SimRequestError(400, f"{name} must be an integer, got {raw!r}") from None


def _login_form(body: bytes) -> dict[str, str]:
    """Credentials from a JSON body (Go SDK, our client) or a form body (avisdk)."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        return {key: str(value) for key, value in payload.items()}
    form = parse_qs(body.decode("utf-8", "replace"))
    return {key: values[-1] for key, values in form.items()}


def _request_cookies(headers: Message) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load("; ".join(headers.get_all("Cookie") or []))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class _Handler(Handler):
    """A controller's name for itself; lower-case methods reach the stand-in, which answers 400
    as a controller does."""

    server_version = "AviSim"
    do_get = do_post = do_put = do_patch = do_delete = Handler._serve


class AviSim(StandInServer[RequestRecord]):
    """An in-process Avi Controller stand-in on 127.0.0.1 (see the module docstring)."""

    _what = "AviSim"
    _handler = _Handler

    def __init__(
        self,
        *,
        username: str = "admin",
        password: str = "admin",
        session_ttl: float | None = None,
        require_version: bool = True,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port=port, tls=(tls_cert, tls_key) if tls_cert else None)
        self._username = username
        self._password = password
        self._session_ttl = session_ttl
        self._require_version = require_version
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, JsonObject]] = {name: {} for name in KIND_BY_COLLECTION}
        self._sessions: dict[str, _Session] = {}
        self._expired_sessions: dict[str, int] = {}
        self._issued_tokens: set[str] = set()
        self._faults: Faults[_Fault] = Faults()
        self._last_modified_us = 0
        self._bind()  # stored objects carry the URL in their refs
        self.url = self._origin
        self._create("tenant", ADMIN_TENANT, object_uuid=ADMIN_TENANT)
        self.add_cloud(DEFAULT_CLOUD)

    # seeding and inspection
    def add_tenant(self, name: str) -> str:
        return self._create("tenant", name)

    def add_cloud(self, name: str) -> str:
        """Add a cloud with its own system-default ``global`` and ``management`` VRFs."""
        cloud_uuid = self._create("cloud", name, vtype="CLOUD_NONE")
        for vrf_name in SYSTEM_VRFS:
            self._create(
                "vrfcontext", vrf_name, cloud=cloud_uuid, system_default=True, static_routes=[]
            )
        return cloud_uuid

    def add_vrf(
        self,
        name: str,
        cloud: str = DEFAULT_CLOUD,
        static_routes: list[JsonObject] | None = None,
        *,
        tenant: str = ADMIN_TENANT,
        **extra_fields: Any,
    ) -> str:
        routes = _check_routes(_deep_copy(static_routes or []))
        return self._create(
            "vrfcontext",
            name,
            cloud=self._uuid_by_name("cloud", cloud),
            tenant=self._uuid_by_name("tenant", tenant),
            system_default=False,
            **_deep_copy(extra_fields),
            static_routes=routes,
        )

    def add_se_group(
        self, name: str, cloud: str = DEFAULT_CLOUD, labels: list[JsonObject] | None = None
    ) -> str:
        extra: JsonObject = {} if labels is None else {"labels": _deep_copy(labels)}
        return self._create(
            "serviceenginegroup", name, cloud=self._uuid_by_name("cloud", cloud), **extra
        )

    def vrf(self, uuid_or_name: str, cloud: str = DEFAULT_CLOUD) -> JsonObject:
        """A deep copy of a VRF as ``GET /api/vrfcontext/<uuid>`` would show it."""
        with self._lock:
            return _deep_copy(self._vrf_object(uuid_or_name, cloud))

    def set_routes(self, vrf_uuid: str, static_routes: list[JsonObject]) -> None:
        """Replace a VRF's routes out of band, as another writer would; bumps ``_last_modified``."""
        routes = _check_routes(_deep_copy(static_routes))
        with self._lock:
            current = self._objects["vrfcontext"][vrf_uuid]
            self._store("vrfcontext", {**current, "static_routes": routes})

    def load_seed(self, seed: Mapping[str, Any]) -> None:
        """Preload ``tenants``, ``clouds``, ``vrfs`` and ``se_groups`` from a seed document.

        A VRF entry naming an existing VRF (``global`` of a cloud) gets its routes replaced.
        """
        unknown = set(seed) - {"tenants", "clouds", "vrfs", "se_groups"}
        if unknown:
            raise ValueError(f"unknown seed sections: {', '.join(sorted(unknown))}")
        for tenant in seed.get("tenants", []):
            self.add_tenant(tenant)
        for cloud in seed.get("clouds", []):
            self.add_cloud(cloud)
        for entry in seed.get("vrfs", []):
            fields = dict(entry)
            name, cloud = fields.pop("name"), fields.pop("cloud", DEFAULT_CLOUD)
            routes = fields.pop("static_routes", [])
            existing = self._find("vrfcontext", name, cloud_uuid=self._uuid_by_name("cloud", cloud))
            if existing is not None and not fields:
                self.set_routes(existing["uuid"], routes)
            else:
                self.add_vrf(name, cloud, routes, **fields)
        for entry in seed.get("se_groups", []):
            self.add_se_group(entry["name"], entry.get("cloud", DEFAULT_CLOUD), entry.get("labels"))

    @property
    def writes(self) -> list[RequestRecord]:
        """Successful PUT and PATCH requests, the ones that changed something."""
        return [r for r in self.requests if r.method in WRITE_METHODS and r.status == 200]

    @property
    def issued_tokens(self) -> frozenset[str]:
        """Every session id and CSRF token handed out, so tests can assert that none leaks."""
        with self._lock:
            return frozenset(self._issued_tokens)

    # faults
    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        body: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests (login included) with ``status``."""
        default_body = json.dumps({"error": http.client.responses.get(status, "Error")})
        payload = (default_body if body is None else body).encode()
        self._faults.add(
            _Fault(
                kind="status",
                remaining=count,
                methods=methods(method),
                path_contains=path_contains,
                status=status,
                body=payload,
            )
        )

    def delay(self, seconds: float, *, method: str | None = None, count: int = 1) -> None:
        """Hold the next ``count`` matching requests, then handle them (a write still applies)."""
        self._faults.add(
            _Fault(kind="delay", remaining=count, methods=methods(method), seconds=seconds)
        )

    def drop_connections(
        self, *, method: str | None = None, count: int = 1, after_write: bool = False
    ) -> None:
        """Close the socket without answering; ``after_write`` handles the request first."""
        self._faults.add(
            _Fault(kind="drop", remaining=count, methods=methods(method), after_write=after_write)
        )

    def storm_412(self, count: int) -> None:
        """The next ``count`` PUT/PATCH on a VrfContext answer 412, as under a busy other writer."""
        body = json.dumps({"error": "Need to reload object data VrfContext"}).encode()
        self._faults.add(
            _Fault(
                kind="status",
                remaining=count,
                methods=WRITE_METHODS,
                path_contains="/api/vrfcontext/",
                status=412,
                body=body,
            )
        )

    def expire_sessions(self, status: int = 401) -> None:
        """Invalidate every session; calls that present one answer ``status`` (401 or 419)."""
        with self._lock:
            self._expired_sessions.update(dict.fromkeys(self._sessions, status))
            self._sessions.clear()

    def rotate_csrf_tokens(self) -> None:
        """Renew every session's CSRF token; the new one is sent as a cookie on its next answer."""
        with self._lock:
            for session in self._sessions.values():
                session.renewed_csrf_token = self._new_token()

    # object store
    def _new_token(self) -> str:
        token = secrets.token_hex(16)
        self._issued_tokens.add(token)
        return token

    def _ref(self, collection: str, object_uuid: str) -> str:
        return f"{self.url}/api/{collection}/{object_uuid}"

    def _next_last_modified(self) -> str:
        """Microseconds since the epoch, strictly increasing even within one microsecond."""
        self._last_modified_us = max(time.time_ns() // 1000, self._last_modified_us + 1)
        return str(self._last_modified_us)

    def _create(
        self,
        collection: str,
        name: str,
        *,
        object_uuid: str | None = None,
        cloud: str | None = None,
        tenant: str = ADMIN_TENANT,
        **fields: Any,
    ) -> str:
        with self._lock:
            if self._find(collection, name, cloud_uuid=cloud, tenant_uuid=tenant) is not None:
                raise ValueError(f"{collection} {name!r} already exists")
            new_uuid = object_uuid or f"{collection}-{uuid.uuid4()}"
            obj: JsonObject = {
                "uuid": new_uuid,
                "name": name,
                "url": self._ref(collection, new_uuid),
            }
            if collection != "tenant":
                obj["tenant_ref"] = self._ref("tenant", tenant)
            if cloud is not None:
                obj["cloud_ref"] = self._ref("cloud", cloud)
            self._store(collection, {**obj, **fields})
            return new_uuid

    def _store(self, collection: str, obj: JsonObject) -> JsonObject:
        """New version; stored objects are never mutated, so readers may use them unlocked."""
        stored = {**obj, "_last_modified": self._next_last_modified()}
        self._objects[collection][stored["uuid"]] = stored
        return stored

    def _find(
        self,
        collection: str,
        name: str,
        *,
        cloud_uuid: str | None = None,
        tenant_uuid: str | None = None,
    ) -> JsonObject | None:
        with self._lock:
            for obj in self._objects[collection].values():
                if (
                    obj["name"] == name
                    and (
                        cloud_uuid is None or obj.get("cloud_ref") == self._ref("cloud", cloud_uuid)
                    )
                    and (
                        tenant_uuid is None
                        or _ref_uuid(obj.get("tenant_ref")) in (tenant_uuid, None)
                    )
                ):
                    return obj
            return None

    def _uuid_by_name(self, collection: str, name: str) -> str:
        obj = self._find(collection, name)
        if obj is None:
            raise KeyError(f"no {collection} named {name!r}")
        return str(obj["uuid"])

    def _vrf_object(self, uuid_or_name: str, cloud: str) -> JsonObject:
        found = self._objects["vrfcontext"].get(uuid_or_name) or self._find(
            "vrfcontext", uuid_or_name, cloud_uuid=self._uuid_by_name("cloud", cloud)
        )
        if found is None:
            raise KeyError(f"no VRF {uuid_or_name!r} in cloud {cloud!r}")
        return found

    def _name_of(self, ref: str) -> str:
        collection, _, object_uuid = urlsplit(ref).path.removeprefix("/api/").partition("/")
        target = self._objects.get(collection, {}).get(object_uuid)
        return "" if target is None else str(target["name"])

    def _render(self, obj: JsonObject, include_name: bool, fields: str | None = None) -> JsonObject:
        """The object as sent on the wire; ``include_name`` adds ``#<name>`` to refs and
        ``fields`` keeps only the named fields (with uuid and url), as the controller does."""
        wanted = None if not fields else {*fields.split(","), "uuid", "url"}
        return {
            key: f"{value}#{self._name_of(value)}" if include_name and key in REF_FIELDS else value
            for key, value in obj.items()
            if wanted is None or key in wanted
        }

    def _same_ref(self, name: str, given: Any, stored: str) -> str:
        """Refs may come back with a host prefix or ``#name`` suffix; the target may not change."""
        given_path = urlsplit(given.partition("#")[0]).path if isinstance(given, str) else None
        if given_path != urlsplit(stored).path:
            raise SimRequestError(400, f"{name}: cannot be changed (got {given!r})")
        return stored

    # request handling
    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply | None:
        split = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        reply = self._serve(
            _Request(method, split.path, query, headers, _request_cookies(headers), body)
        )
        if reply.dropped:
            return None
        cookies = tuple(
            ("Set-Cookie", f"{name}={value}; Path=/{'' if name == 'csrftoken' else '; HttpOnly'}")
            for name, value in reply.cookies.items()
        )
        return Reply(reply.status, reply.body, reply.content_type, cookies)

    def _take_fault(self, kind: str, request: _Request) -> _Fault | None:
        return self._faults.take(
            lambda fault: fault.kind == kind and fault.matches(request.method, request.path)
        )

    def _serve(self, request: _Request) -> _Reply:
        delay = self._take_fault("delay", request)
        if delay is not None:
            time.sleep(delay.seconds)
        failure = self._take_fault("status", request)
        drop = None if failure is not None else self._take_fault("drop", request)
        if failure is not None:
            reply = _raw_reply(failure.status, failure.body)
        elif drop is not None and not drop.after_write:
            reply = _Reply(0, dropped=True)
        else:
            try:
                reply = self._answer(request)
            except SimRequestError as exc:
                reply = _error_reply(exc.status, str(exc))
            if drop is not None:
                reply = _Reply(0, dropped=True)
        self._record(
            RequestRecord(
                method=request.method,
                path=request.path,
                query=request.query,
                status=reply.status,
                body_length=len(request.body),
                response_length=len(reply.body),
                headers={k: v for k in LOGGED_HEADERS if (v := request.headers.get(k))},
            )
        )
        return reply

    def _answer(self, request: _Request) -> _Reply:
        if request.method != request.method.upper():
            raise SimRequestError(400, f"Invalid method {request.method}: methods are upper-case")
        if request.path == "/login" and request.method == "POST":
            return self._login(request)
        if request.path == "/logout" and request.method == "POST":
            return self._logout(request)
        if not request.path.startswith("/api/"):
            raise SimRequestError(404, f"Page not found: {request.path}")
        session = self._authenticate(request)
        if request.method not in CSRF_EXEMPT_METHODS:
            self._check_csrf(request, session)
        reply = self._api(request)
        with self._lock:
            if session.renewed_csrf_token is not None:
                session.csrf_token = session.renewed_csrf_token
                session.renewed_csrf_token = None
                reply.cookies["csrftoken"] = session.csrf_token
        return reply

    def _login(self, request: _Request) -> _Reply:
        form = _login_form(request.body)
        password = form.get("password", "").encode()
        if form.get("username") != self._username or not secrets.compare_digest(
            password, self._password.encode()
        ):
            raise SimRequestError(401, "Invalid credentials")
        with self._lock:
            session_id, csrf_token = self._new_token(), self._new_token()
            self._sessions[session_id] = _Session(csrf_token, time.monotonic())
        reply = _json_reply(
            200,
            {
                "user": {"username": self._username, "name": self._username},
                "version": {"Version": CONTROLLER_VERSION, "ProductName": "Avi stand-in"},
                "session_cookie_name": "avi-sessionid",
            },
        )
        reply.cookies = {"csrftoken": csrf_token, **dict.fromkeys(SESSION_COOKIES, session_id)}
        return reply

    def _logout(self, request: _Request) -> _Reply:
        with self._lock:
            for name in SESSION_COOKIES:
                self._sessions.pop(request.cookies.get(name, ""), None)
        return _json_reply(200, {})

    def _authenticate(self, request: _Request) -> _Session:
        """Find the caller's session: 401 when absent or unknown, 419 (or as set) when expired."""
        session_ids = [request.cookies[name] for name in SESSION_COOKIES if name in request.cookies]
        now = time.monotonic()
        with self._lock:
            for session_id in session_ids:
                session = self._sessions.get(session_id)
                if session is None:
                    continue
                if self._session_ttl is not None and now - session.last_used > self._session_ttl:
                    del self._sessions[session_id]
                    self._expired_sessions[session_id] = 419
                    continue
                session.last_used = now
                return session
            for session_id in session_ids:
                if session_id in self._expired_sessions:
                    raise SimRequestError(self._expired_sessions[session_id], "Session expired")
        raise SimRequestError(401, NOT_AUTHENTICATED)

    def _check_csrf(self, request: _Request, session: _Session) -> None:
        """Django's rules: the X-CSRFToken header must carry the session's token, plus a Referer."""
        token = request.headers.get("X-CSRFToken", "")
        if not secrets.compare_digest(token.encode(), session.csrf_token.encode()):
            raise SimRequestError(403, "CSRF Failed: CSRF token missing or incorrect.")
        if not request.headers.get("Referer"):
            raise SimRequestError(403, "CSRF Failed: Referer checking failed - no Referer.")

    def _request_tenant(self, request: _Request) -> str:
        name = request.headers.get("X-Avi-Tenant") or ADMIN_TENANT
        tenant = self._find("tenant", name)
        if tenant is None:
            raise SimRequestError(400, f"Tenant '{name}' not found")
        return str(tenant["uuid"])

    def _api(self, request: _Request) -> _Reply:
        version = request.headers.get("X-Avi-Version")
        if version is None and self._require_version:
            raise SimRequestError(400, "X-Avi-Version header is required")
        if version is not None and not VERSION_PATTERN.fullmatch(version):
            raise SimRequestError(400, f"Invalid version {version}")
        tenant_uuid = self._request_tenant(request)
        parts = request.path.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[1] not in KIND_BY_COLLECTION:
            raise SimRequestError(404, f"Page not found: {request.path}")
        collection, object_uuid = parts[1], (parts[2] if len(parts) == 3 else None)
        include_name = request.query.get("include_name", "").lower() == "true"
        match request.method, object_uuid:
            case "GET", None:
                result = self._list(collection, request.query, tenant_uuid)
            case "GET", str():
                result = self._get(collection, object_uuid, tenant_uuid, include_name)
            case "PUT", str():
                result = self._put(collection, object_uuid, request.body, tenant_uuid)
            case "PATCH", str():
                result = self._patch(collection, object_uuid, request.body, tenant_uuid)
            case _:
                raise SimRequestError(405, f'Method "{request.method}" not allowed.')
        return _json_reply(200, result)

    def _visible(self, obj: JsonObject, tenant_uuid: str) -> bool:
        """Objects of the caller's tenant, plus the admin tenant's shared ones."""
        return _ref_uuid(obj.get("tenant_ref")) in (tenant_uuid, ADMIN_TENANT, None)

    def _list(self, collection: str, query: Mapping[str, str], tenant_uuid: str) -> JsonObject:
        page_size = _page_number(query, "page_size", DEFAULT_PAGE_SIZE)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SimRequestError(400, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        page = _page_number(query, "page", 1)
        if page < 1:
            raise SimRequestError(400, "page must be 1 or more")
        include_name = query.get("include_name", "").lower() == "true"
        with self._lock:
            matching = [
                obj
                for obj in self._objects[collection].values()
                if self._visible(obj, tenant_uuid) and self._matches_filters(obj, query)
            ]
            start = (page - 1) * page_size
            if page > 1 and start >= len(matching):
                raise SimRequestError(404, "Invalid page.")
            envelope: JsonObject = {
                "count": len(matching),
                "results": [
                    self._render(o, include_name, query.get("fields"))
                    for o in matching[start : start + page_size]
                ],
            }
        if start + page_size < len(matching):
            next_query = urlencode({**query, "page": page + 1})
            envelope["next"] = f"{self.url}/api/{collection}?{next_query}"
        return envelope

    def _matches_filters(self, obj: JsonObject, query: Mapping[str, str]) -> bool:
        cloud_ref = obj.get("cloud_ref")
        actual = {
            "name": obj["name"],
            "uuid": obj["uuid"],
            "cloud_ref.name": self._name_of(cloud_ref) if cloud_ref else None,
            "cloud_ref.uuid": _ref_uuid(cloud_ref),
        }
        return all(value == query[key] for key, value in actual.items() if key in query)

    def _object(self, collection: str, object_uuid: str, tenant_uuid: str) -> JsonObject:
        obj = self._objects[collection].get(object_uuid)
        if obj is None or not self._visible(obj, tenant_uuid):
            raise SimRequestError(404, "Object not found")
        return obj

    def _writable(self, collection: str, object_uuid: str, tenant_uuid: str) -> JsonObject:
        """Other tenants see admin objects but cannot change them, as AKO's fallback shows."""
        obj = self._object(collection, object_uuid, tenant_uuid)
        if _ref_uuid(obj.get("tenant_ref")) not in (tenant_uuid, None):
            raise SimRequestError(400, f"Cannot modify {KIND_BY_COLLECTION[collection]}")
        return obj

    def _get(
        self, collection: str, object_uuid: str, tenant_uuid: str, include_name: bool
    ) -> JsonObject:
        with self._lock:
            return self._render(self._object(collection, object_uuid, tenant_uuid), include_name)

    def _put(self, collection: str, object_uuid: str, body: bytes, tenant_uuid: str) -> JsonObject:
        """Whole-object write: 412 on a stale ``_last_modified``; without one it is accepted.

        Unknown fields are stored as given; uuid and url stay; refs must name the same object.
        """
        payload = _parse_json(body)
        if not isinstance(payload, dict):
            raise SimRequestError(400, "expected a JSON object")
        with self._lock:
            current = self._writable(collection, object_uuid, tenant_uuid)
            sent = payload.get("_last_modified")
            if sent is not None and str(sent) != current["_last_modified"]:
                raise SimRequestError(
                    412, f"Need to reload object data {KIND_BY_COLLECTION[collection]}"
                )
            if not isinstance(payload.get("name"), str) or not payload["name"]:
                raise SimRequestError(400, "name: This field is required.")
            updated = {**payload, "uuid": current["uuid"], "url": current["url"]}
            for ref_field in REF_FIELDS:
                if ref_field in current:
                    given = payload.get(ref_field, current[ref_field])
                    updated[ref_field] = self._same_ref(ref_field, given, current[ref_field])
            if collection == "vrfcontext":
                _check_routes(updated.get("static_routes", []))
            return self._store(collection, updated)

    def _patch(
        self, collection: str, object_uuid: str, body: bytes, tenant_uuid: str
    ) -> JsonObject:
        """add/replace/delete at field depth 1; no ``_last_modified`` check, but a bump.

        Only new routes are re-validated (plus uniqueness), so large VRFs stay cheap to PATCH.
        """
        operation, changes = _parse_patch(_parse_json(body))
        with self._lock:
            current = self._writable(collection, object_uuid, tenant_uuid)
            updated = dict(current)
            for name, given in changes.items():
                if collection == "vrfcontext" and name == "static_routes" and operation != "delete":
                    _checked_route_list(given)
                value = _patched_field(operation, name, current.get(name), given)
                if value is None:
                    updated.pop(name, None)
                else:
                    updated[name] = value
            if collection == "vrfcontext" and "static_routes" in changes:
                _check_unique_route_ids(updated.get("static_routes", []))
            return self._store(collection, updated)


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


def _deep_copy(value: _Copied) -> _Copied:
    """Copy JSON data; a pickle round trip is twice as fast as copy.deepcopy on huge VRFs."""
    return cast(_Copied, pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))


def _ref_uuid(ref: Any) -> str | None:
    if not isinstance(ref, str):
        return None
    return urlsplit(ref.partition("#")[0]).path.rstrip("/").rpartition("/")[2]


def _read_seed(seed_file: str) -> Mapping[str, Any]:
    path = Path(seed_file)
    try:
        text = path.read_text(encoding="utf-8")
        seed = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"seed file {seed_file}: {exc}") from exc
    if not isinstance(seed, dict):
        raise InputError(f"seed file {seed_file}: expected a mapping with vrfs, clouds, se_groups")
    return seed


def run_standalone(
    port: int, *, username: str, password: str, seed_file: str | None = None
) -> None:
    """Serve the stand-in on 127.0.0.1:``port`` until interrupted (``route-reconciler sim avi``)."""
    sim = AviSim(username=username, password=password, port=port)
    if seed_file is not None:
        try:
            sim.load_seed(_read_seed(seed_file))
        except (ValueError, KeyError, TypeError) as exc:
            sim.stop()
            raise InputError(f"seed file {seed_file}: {exc}") from exc
    with sim:
        print(
            f"Avi stand-in listening on {sim.url} (user {username!r}); Ctrl-C stops it", flush=True
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Avi stand-in stopped", flush=True)
