"""The HTTP side the stand-ins (Avi, GitHub, Kubernetes) share, so their modules hold only the
protocol they imitate: serving on 127.0.0.1 from a daemon thread, the request log that tests
assert on, and injected faults that run out after a number of requests.

A request counts once it came in whole (request line, header block and body): the stand-in then
handles it even when its client has given up, as a controller does, and a test can wait until
every request that came in has been handled. One cut short by a hang-up is not handled at all.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Self, TypeVar

SHUTDOWN_POLL_SECONDS = 0.01  # how long stop() may wait for the serving loop to notice

Record = TypeVar("Record", bound="LoggedRequest")
AnyFault = TypeVar("AnyFault", bound="Fault")


@dataclass(frozen=True)
class LoggedRequest:
    """What every stand-in logs of a request; each adds what its tests look at."""

    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass(frozen=True)
class Stream:
    """A body no honest server sends, written piece by piece: ``head``, then ``piece`` ``repeat``
    times (None: until the client hangs up), waiting ``pause`` seconds before each piece (a
    server dribbling its answer). ``declared_length`` is the Content-Length to claim; without
    one the body ends when the connection closes. ``raw`` streams are the whole answer, status
    line and headers included: a server dribbling its headers."""

    head: bytes = b""
    piece: bytes = b""
    repeat: int | None = None
    pause: float = 0.0
    declared_length: int | None = None
    raw: bool = False


def deep_json(depth: int) -> bytes:
    """A JSON array nested ``depth`` deep: valid, and beyond any recursion limit."""
    return b"[" * depth + b"]" * depth


@dataclass(frozen=True)
class Reply:
    """What to write back for one request; ``stream``, when given, is the body instead."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    stream: Stream | None = None


@dataclass(kw_only=True)
class Fault:
    """An injected failure for the next ``remaining`` requests it matches."""

    remaining: int
    methods: frozenset[str] | None = None  # None: any method
    path_contains: str | None = None  # None: any path

    def matches(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and (
            self.path_contains is None or self.path_contains in path
        )


def methods(method: str | None) -> frozenset[str] | None:
    """The ``methods`` of a fault injected for ``method`` (None: any)."""
    return None if method is None else frozenset({method.upper()})


class Faults(Generic[AnyFault]):
    """Injected faults, oldest first; handler threads take them while tests add more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[AnyFault] = []

    def add(self, fault: AnyFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, accept: Callable[[AnyFault], bool]) -> AnyFault | None:
        """The oldest fault ``accept`` takes, counted down and forgotten once used up."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if accept(fault):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[index]
                    return fault
        return None


class _RequestReader(io.BufferedIOBase):
    """A connection's reader that notes whether the last line it read was cut by the end of the
    stream: http.server takes a header block cut that way for a whole one."""

    def __init__(self, reader: io.BufferedIOBase) -> None:
        super().__init__()
        self._reader = reader
        self.line_cut = False

    def readline(self, size: int | None = -1) -> bytes:
        line = self._reader.readline(size)
        self.line_cut = not line.endswith(b"\n")
        return line

    def read(self, size: int | None = -1) -> bytes:
        return self._reader.read(size)

    def close(self) -> None:
        self._reader.close()
        super().close()


class Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter: read the request, let the stand-in answer, write the reply."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as clients' connection pools expect
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't delay the body

    def setup(self) -> None:
        super().setup()
        self._reader = _RequestReader(self.rfile)
        self.rfile = self._reader

    def _whole_body(self) -> bytes | None:
        """The body, or None when the client hung up before the end of the header block or of
        the body: a server acts on no part of a request."""
        if self._reader.line_cut:
            return None
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return body if len(body) == length else None

    def _serve(self) -> None:
        body = self._whole_body()
        if body is None:
            self.close_connection = True
            return
        with self.server.stand_in._handling():
            reply = self.server.stand_in._respond(self.command, self.path, self.headers, body)
        if reply is None:
            self.close_connection = True
            return
        if reply.stream is not None and reply.stream.raw:
            self._write_stream(reply.stream)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.stream is None:
            self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.stream is None:
            self.end_headers()
            self.wfile.write(reply.body)
        else:
            self._write_stream(reply.stream)

    def _write_stream(self, stream: Stream) -> None:
        """Write until done or until the client hangs up, then close the connection."""
        self.close_connection = True
        if stream.declared_length is not None:
            self.send_header("Content-Length", str(stream.declared_length))
        if not stream.raw:
            self.end_headers()
        written = 0
        try:
            self.wfile.write(stream.head)
            while stream.repeat is None or written < stream.repeat:
                time.sleep(stream.pause)
                self.wfile.write(stream.piece)
                self.wfile.flush()
                written += 1
        except OSError:  # the client gave up, as it should
            return

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the stand-in's ``requests`` is the log, and tests want clean output."""


class StandInServer(ABC, Generic[Record]):
    """A stand-in's life cycle (start, stop, ``with``) and its log of requests.

    A subclass answers requests in ``_respond`` and logs them with ``_record``.
    """

    _what: ClassVar[str]  # how errors name the stand-in
    _handler: ClassVar[type[Handler]] = Handler  # a subclass may speak a dialect of HTTP

    def __init__(self, *, port: int = 0, tls: tuple[str, str | None] | None = None) -> None:
        self._port = port
        self._tls = tls
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._records_lock = threading.Lock()
        self._records: list[Record] = []
        self._progress = threading.Condition()  # guards the two counts below
        self._received = 0  # requests that came in whole
        self._handled = 0  # of those, the ones handled (answered or dropped)

    @abstractmethod
    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply | None:
        """Answer one request; None hangs up without an answer, as a dropped connection does."""

    def start(self) -> Self:
        """Bind 127.0.0.1 (a free port unless one was given) and serve from a daemon thread."""
        if self._thread is not None:
            raise RuntimeError(f"{self._what} is already running")
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"{type(self).__name__} {self._origin}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up kept-alive connections: a later request fails as on a dead
        host, and no handler thread lingers."""
        server, thread = self._server, self._thread
        if server is None:
            return
        if thread is not None:
            server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[Record]:
        """Every request answered (or dropped) since the start or the last clear_requests()."""
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        with self._records_lock:
            self._records.clear()

    def _record(self, record: Record) -> None:
        with self._records_lock:
            self._records.append(record)

    @property
    def requests_received(self) -> int:
        """Requests that came in whole since the start."""
        with self._progress:
            return self._received

    def wait_until_handled(self, received: int, timeout: float) -> int:
        """Wait until ``received`` requests have come in whole since the start and each that came
        in has been handled; returns how many came in. A request a client wrote whole is in, or
        in a socket buffer on its way in; one it gave up on is still handled, and a test looking
        at the stand-in's state must wait for it."""
        with self._progress:
            if not self._progress.wait_for(
                lambda: self._received >= received and self._handled == self._received, timeout
            ):
                raise TimeoutError(
                    f"{self._what}: {self._received} of {received} request(s) came in within "
                    f"{timeout:g} s, {self._received - self._handled} of them still being handled"
                )
            return self._received

    @contextlib.contextmanager
    def _handling(self) -> Iterator[None]:
        """One request that came in whole, while it is handled."""
        with self._progress:
            self._received += 1
        try:
            yield
        finally:
            with self._progress:
                self._handled += 1
                self._progress.notify_all()

    def _bind(self) -> _Server:
        """Open the listening socket, if not yet open; a stand-in that needs its URL before
        serving calls this early."""
        if self._server is None:
            context = None
            if self._tls is not None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*self._tls)
            server = _Server(("127.0.0.1", self._port), self._handler, self)
            if context is not None:
                # The handshake then happens in the handler thread, not in the accept loop.
                server.socket = context.wrap_socket(
                    server.socket, server_side=True, do_handshake_on_connect=False
                )
            self._server = server
        return self._server

    @property
    def _origin(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self._what} is not running; call start() first")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_port}"


class _Server(ThreadingHTTPServer):
    """Tracks open connections so stop() can end kept-alive ones instead of waiting on them."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[Handler],
        stand_in: StandInServer[Any],
    ) -> None:
        super().__init__(address, handler)
        self.stand_in = stand_in
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, rejected TLS) are expected in fault tests; bugs are not."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError | TimeoutError):
            super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
