"""Bounds on every answer a server gives: a total deadline per request, a largest body and
the most pages of one listing (its JSON is decoded by ``json_depth.parse_json``).

Both HTTP stacks the tool uses (``requests`` for Avi and GitHub, the official client for
Kubernetes) sit on urllib3 connection pools. ``bound_pools`` makes a pool manager's pools read
each answer whole, within the bounds of the call in progress, before anyone sees it: a read
timeout restarts with every byte, so only a deadline for the whole request stops a server that
dribbles its answer; and a body is refused as soon as it passes the limit, before it fills the
memory. A caller sets the bounds of one request with ``bounded_call``; outside one, the pools
behave as urllib3's own. A call also counts the requests its connections wrote whole: a request
cut before its last byte never reached the server, while one written whole may yet be handled
after the client gave up on it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import BaseHTTPResponse, HTTPResponse

from reconciler.errors import ApiError, InputError

MAX_JSON_DEPTH: Final = 100  # honest answers nest about 10 deep; the JSON decoder recurses
MIB: Final = 1024 * 1024
_READ_CHUNK: Final = 64 * 1024
_REPLACED_HEADERS: Final = ("Content-Encoding", "Content-Length", "Transfer-Encoding")


@dataclass(frozen=True)
class AnswerBounds:
    """What one service may send: ``deadline`` seconds for one whole request (connect, headers
    and every read of the body), ``max_bytes`` of (decoded) body, ``max_pages`` pages of one
    listing."""

    deadline: float
    max_bytes: int
    max_pages: int

    def check(self, service: str) -> None:
        if self.deadline <= 0 or self.max_bytes <= 0 or self.max_pages <= 0:
            raise InputError(
                f"{service} answer bounds must be positive: deadline {self.deadline}, "
                f"max bytes {self.max_bytes}, max pages {self.max_pages}"
            )


class AnswerRefused(ApiError):
    """An answer outside its bounds; the caller names the request in front of the text."""


class NoTimelyAnswer(AnswerRefused):
    """The deadline of the request passed before its answer was complete."""


class AnswerTooLarge(AnswerRefused):
    """The body passed the size limit."""


class BoundedCall:
    """One request in progress: when its deadline passes, the sockets it reads from are shut
    down from a timer thread, which ends a read blocked in any phase."""

    def __init__(self, bounds: AnswerBounds) -> None:
        self.bounds = bounds
        self.expired = False
        self.requests_written = 0  # requests whose every byte went out (a redirect's too)
        self._expires = time.monotonic() + bounds.deadline
        self._lock = threading.Lock()
        self._finished = False
        self._hang_ups: list[Callable[[], None]] = []
        self._timer = threading.Timer(bounds.deadline, self._expire)
        self._timer.daemon = True

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts for the client: what is left of the deadline."""
        left = max(self._expires - time.monotonic(), 0.001)
        return left, left

    def late(self) -> NoTimelyAnswer:
        return NoTimelyAnswer(
            f"no complete answer within {self.bounds.deadline:g} s (the deadline of one request)"
        )

    def attach(self, hang_up: Callable[[], None]) -> None:
        """``hang_up`` ends the reads of this request: a connection's, or once the headers are
        in, the answer's (a body read to the end of the connection has left the connection)."""
        with self._lock:
            if self.expired:
                raise self.late()
            self._hang_ups.append(hang_up)

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for hang_up in self._hang_ups:
                with contextlib.suppress(OSError):
                    hang_up()

    def _finish(self) -> None:
        with self._lock:
            self._finished = True
        self._timer.cancel()


_active = threading.local()


@contextlib.contextmanager
def bounded_call(bounds: AnswerBounds) -> Iterator[BoundedCall]:
    """The bounds of the request made inside; once the deadline passed, whatever the cut
    connection gave (an error, or an end of the body where none was declared) is NoTimelyAnswer."""
    call = BoundedCall(bounds)
    outer = getattr(_active, "call", None)
    _active.call = call
    call._timer.start()
    try:
        yield call
        if call.expired:
            raise call.late()
    except AnswerRefused:
        raise
    except Exception:
        if call.expired:
            raise call.late() from None
        raise
    finally:
        call._finish()
        _active.call = outer


class _CountedConnection(HTTPConnection):
    """A connection that tells the call in progress when a request of its went out whole."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        call: BoundedCall | None = getattr(_active, "call", None)
        if call is not None:
            call.requests_written += 1


class _BoundedPool(HTTPConnectionPool):
    """A pool whose answers, inside a bounded call, are read whole before they are returned."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        call: BoundedCall | None = getattr(_active, "call", None)
        if call is not None:
            call.attach(functools.partial(_shut_down, connection))
        return connection

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> BaseHTTPResponse:
        call: BoundedCall | None = getattr(_active, "call", None)
        if call is None:
            return super().urlopen(method, url, *args, **kwargs)
        preload = kwargs.get("preload_content", True)
        kwargs["preload_content"] = False
        response = super().urlopen(method, url, *args, **kwargs)
        assert isinstance(response, HTTPResponse)
        call.attach(functools.partial(_hang_up_answer, response))
        body = _read_whole(response, call.bounds.max_bytes)
        headers = urllib3.HTTPHeaderDict(response.headers)
        for name in _REPLACED_HEADERS:
            headers.discard(name)
        headers["Content-Length"] = str(len(body))
        return HTTPResponse(
            body=io.BytesIO(body),
            headers=headers,
            status=response.status,
            version=response.version,
            reason=response.reason,
            preload_content=preload,
            decode_content=False,
            # requests reads Set-Cookie from the http.client response (Avi's session cookies).
            original_response=response._original_response,
            retries=response.retries,
            request_method=method,
            request_url=response.url,
        )


def _shut_down(connection: Any) -> None:
    """The plain socket's shutdown, also under TLS: the reader blocked on it wakes up."""
    sock = getattr(connection, "sock", None)
    if sock is not None:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _hang_up_answer(response: HTTPResponse) -> None:
    """The answer's shutdown; once it was read whole, urllib3 refuses (its connection is back in
    the pool) and the connection's own hang-up does it."""
    with contextlib.suppress(RuntimeError):
        response.shutdown()


def _read_whole(response: HTTPResponse, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it passes ``max_bytes`` (a declared length is
    believed first, so a huge answer is refused before one byte of it is read)."""
    declared = response.headers.get("Content-Length", "")
    chunks: list[bytes] = []
    size = 0
    try:
        if declared.isdigit() and int(declared) > max_bytes:
            raise AnswerTooLarge(
                f"the answer declares {int(declared):,} bytes, more than the limit of {max_bytes:,}"
            )
        while chunk := response.read(_READ_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise AnswerTooLarge(f"the answer is larger than the limit of {max_bytes:,} bytes")
            chunks.append(chunk)
    except AnswerTooLarge:
        response.close()  # hang up rather than read the rest
        raise
    finally:
        response.release_conn()
    return b"".join(chunks)


@functools.cache
def _bounded(pool_class: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    if issubclass(pool_class, _BoundedPool):
        return pool_class
    connection = pool_class.ConnectionCls
    counted = type(f"Counted{connection.__name__}", (_CountedConnection, connection), {})
    return type(
        f"Bounded{pool_class.__name__}", (_BoundedPool, pool_class), {"ConnectionCls": counted}
    )


def bound_pools(manager: urllib3.PoolManager) -> None:
    """Make the pools ``manager`` opens read answers within the bounds of the call in progress
    (any scheme it knows, so proxies keep working); pools it opened before are dropped."""
    classes = manager.pool_classes_by_scheme
    bounded = {scheme: _bounded(pool_class) for scheme, pool_class in classes.items()}
    if bounded != classes:
        manager.pool_classes_by_scheme = bounded
        manager.clear()


class PageTrail:
    """The next-page links one listing has followed: a server whose links loop back, or never
    end, would otherwise be paged forever."""

    def __init__(self, label: str, whose: str, max_pages: int) -> None:
        self._label = label
        self._whose = whose
        self._max_pages = max_pages
        self._seen: set[str] = set()

    def follow(self, url: str, shown: str) -> None:
        """Record ``url`` as the next page; ``shown`` is how an error names it."""
        if url in self._seen:
            raise ApiError(f"{self._label}: {self._whose} paging loops back to {shown}")
        if len(self._seen) + 1 >= self._max_pages:
            raise ApiError(
                f"{self._label}: {self._whose} listing has more than {self._max_pages} pages "
                "(the page limit); refusing to read on"
            )
        self._seen.add(url)
