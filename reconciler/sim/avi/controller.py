"""The stand-in put together: its HTTP entry takes faults, then login, the session and CSRF
checks, the version and tenant headers, and routes ``/api/<collection>[/<uuid>]`` to the
object store; every request is logged."""

from __future__ import annotations

import re
from email.message import Message
from urllib.parse import parse_qs, urlsplit

from reconciler.sim.avi.faults import WRITE_METHODS, FaultInjection
from reconciler.sim.avi.messages import (
    ApiReply,
    ApiRequest,
    RequestRecord,
    error_reply,
    json_reply,
    raw_reply,
)
from reconciler.sim.avi.objects import (
    ADMIN_TENANT,
    KIND_BY_COLLECTION,
    ControllerObjects,
    endless_page,
)
from reconciler.sim.avi.sessions import Sessions, check_csrf, request_cookies
from reconciler.sim.avi.validation import SimRequestError
from reconciler.sim.server import Handler, Reply, StandInServer

LOGGED_HEADERS = ("X-Avi-Version", "X-Avi-Tenant", "Content-Type", "Referer")
CSRF_EXEMPT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
VERSION_PATTERN = re.compile(r"\d+(\.\d+){1,3}")


class _Handler(Handler):
    """A controller's name for itself; lower-case methods reach the stand-in, which answers 400
    as a controller does."""

    server_version = "AviSim"
    do_get = do_post = do_put = do_patch = do_delete = Handler._serve


class AviSim(ControllerObjects, Sessions, FaultInjection, StandInServer[RequestRecord]):
    """An in-process Avi Controller stand-in on 127.0.0.1 (see the package docstring).

    Its parts are its test API: ``ControllerObjects`` seeds and inspects objects, ``Sessions``
    expires sessions and rotates CSRF tokens, ``FaultInjection`` makes it misbehave.
    """

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
        StandInServer.__init__(self, port=port, tls=(tls_cert, tls_key) if tls_cert else None)
        Sessions.__init__(self, username, password, session_ttl)
        FaultInjection.__init__(self)
        self._require_version = require_version
        self._bind()  # stored objects carry the URL in their refs
        ControllerObjects.__init__(self, self._origin)

    @property
    def writes(self) -> list[RequestRecord]:
        """Successful PUT and PATCH requests, the ones that changed something."""
        return [r for r in self.requests if r.method in WRITE_METHODS and r.status == 200]

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply | None:
        split = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        reply = self._serve(
            ApiRequest(method, split.path, query, headers, request_cookies(headers), body)
        )
        if reply.dropped:
            return None
        cookies = tuple(
            ("Set-Cookie", f"{name}={value}; Path=/{'' if name == 'csrftoken' else '; HttpOnly'}")
            for name, value in reply.cookies.items()
        )
        return Reply(reply.status, reply.body, reply.content_type, cookies, reply.stream)

    def _serve(self, request: ApiRequest) -> ApiReply:
        method, path = request.method, request.path
        delay = self._take_fault("delay", method, path)
        if delay is not None:
            delay.wait()
        failure = self._take_fault("status", method, path)
        drop = None if failure is not None else self._take_fault("drop", method, path)
        if failure is not None and failure.stream is not None:
            reply = ApiReply(failure.status, stream=failure.stream)
        elif failure is not None:
            reply = raw_reply(failure.status, failure.body)
        elif drop is not None and not drop.after_write:
            reply = ApiReply(0, dropped=True)
        else:
            try:
                reply = self._answer(request)
            except SimRequestError as exc:
                reply = error_reply(exc.status, str(exc))
            if drop is not None:
                reply = ApiReply(0, dropped=True)
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

    def _answer(self, request: ApiRequest) -> ApiReply:
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
            check_csrf(request, session)
        reply = self._api(request)
        self._renew_csrf_token(session, reply)
        return reply

    def _api(self, request: ApiRequest) -> ApiReply:
        version = request.headers.get("X-Avi-Version")
        if version is None and self._require_version:
            raise SimRequestError(400, "X-Avi-Version header is required")
        if version is not None and not VERSION_PATTERN.fullmatch(version):
            raise SimRequestError(400, f"Invalid version {version}")
        tenant_uuid = self._tenant_uuid(request.headers.get("X-Avi-Tenant") or ADMIN_TENANT)
        parts = request.path.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[1] not in KIND_BY_COLLECTION:
            raise SimRequestError(404, f"Page not found: {request.path}")
        collection, object_uuid = parts[1], (parts[2] if len(parts) == 3 else None)
        include_name = request.query.get("include_name", "").lower() == "true"
        match request.method, object_uuid:
            case "GET", None if self._take_fault("pages", "GET", request.path):
                result = endless_page(self.url, collection, request.query)
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
        return json_reply(200, result)
