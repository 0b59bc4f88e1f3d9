"""Login, logout, session cookies and CSRF checks, as the controller's Django front end does them,
and the calls tests use to expire sessions or rotate tokens."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from email.message import Message
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from reconciler.sim.avi.messages import ApiReply, ApiRequest, json_reply
from reconciler.sim.avi.validation import SimRequestError

CONTROLLER_VERSION = "22.1.3"
SESSION_COOKIES = ("avi-sessionid", "sessionid")
NOT_AUTHENTICATED = "Authentication credentials were not provided."


@dataclass
class Session:
    csrf_token: str
    last_used: float
    renewed_csrf_token: str | None = None


class Sessions:
    """The sessions one user has opened; ``session_ttl`` (seconds idle) None never expires."""

    def __init__(self, username: str, password: str, session_ttl: float | None) -> None:
        self._username = username
        self._password = password
        self._session_ttl = session_ttl
        self._sessions_lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._expired_sessions: dict[str, int] = {}  # session id -> the status it now answers
        self._issued_tokens: set[str] = set()

    @property
    def issued_tokens(self) -> frozenset[str]:
        """Every session id and CSRF token handed out, so tests can assert that none leaks."""
        with self._sessions_lock:
            return frozenset(self._issued_tokens)

    def expire_sessions(self, status: int = 401) -> None:
        """Invalidate every session; calls that present one answer ``status`` (401 or 419)."""
        with self._sessions_lock:
            self._expired_sessions.update(dict.fromkeys(self._sessions, status))
            self._sessions.clear()

    def rotate_csrf_tokens(self) -> None:
        """Renew every session's CSRF token; the new one is sent as a cookie on its next answer."""
        with self._sessions_lock:
            for session in self._sessions.values():
                session.renewed_csrf_token = self._new_token()

    def _login(self, request: ApiRequest) -> ApiReply:
        form = _login_form(request.body)
        password = form.get("password", "").encode()
        if form.get("username") != self._username or not secrets.compare_digest(
            password, self._password.encode()
        ):
            raise SimRequestError(401, "Invalid credentials")
        with self._sessions_lock:
            session_id, csrf_token = self._new_token(), self._new_token()
            self._sessions[session_id] = Session(csrf_token, time.monotonic())
        reply = json_reply(
            200,
            {
                "user": {"username": self._username, "name": self._username},
                "version": {"Version": CONTROLLER_VERSION, "ProductName": "Avi stand-in"},
                "session_cookie_name": "avi-sessionid",
            },
        )
        reply.cookies = {"csrftoken": csrf_token, **dict.fromkeys(SESSION_COOKIES, session_id)}
        return reply

    def _logout(self, request: ApiRequest) -> ApiReply:
        with self._sessions_lock:
            for name in SESSION_COOKIES:
                self._sessions.pop(request.cookies.get(name, ""), None)
        return json_reply(200, {})

    def _authenticate(self, request: ApiRequest) -> Session:
        """Find the caller's session: 401 when absent or unknown, 419 (or as set) when expired."""
        session_ids = [request.cookies[name] for name in SESSION_COOKIES if name in request.cookies]
        now = time.monotonic()
        with self._sessions_lock:
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

    def _renew_csrf_token(self, session: Session, reply: ApiReply) -> None:
        """Send a rotated token along with the session's next answer, and use it from then on."""
        with self._sessions_lock:
            if session.renewed_csrf_token is not None:
                session.csrf_token = session.renewed_csrf_token
                session.renewed_csrf_token = None
                reply.cookies["csrftoken"] = session.csrf_token

    def _new_token(self) -> str:
        token = secrets.token_hex(16)
        self._issued_tokens.add(token)
        return token


def check_csrf(request: ApiRequest, session: Session) -> None:
    """Django's rules: the X-CSRFToken header must carry the session's token, plus a Referer."""
    token = request.headers.get("X-CSRFToken", "")
    if not secrets.compare_digest(token.encode(), session.csrf_token.encode()):
        raise SimRequestError(403, "CSRF Failed: CSRF token missing or incorrect.")
    if not request.headers.get("Referer"):
        raise SimRequestError(403, "CSRF Failed: Referer checking failed - no Referer.")


def request_cookies(headers: Message) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load("; ".join(headers.get_all("Cookie") or []))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


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
