"""Faults tests inject into the controller: error answers, delays, holds, dropped connections
and 412 storms, each for a number of matching requests."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from reconciler.sim.server import Fault, Faults, Stream, methods

WRITE_METHODS = frozenset({"PUT", "PATCH"})

FaultKind = Literal["status", "delay", "drop", "pages"]
HOLD_LIMIT_SECONDS = 60.0  # a test that never releases its hold fails instead of hanging


@dataclass
class Hold:
    """A request held at the controller until the test releases it: a test can then do
    something between a client's request and the controller's handling of it, in that order."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_until_arrived(self) -> None:
        if not self.arrived.wait(HOLD_LIMIT_SECONDS):
            raise TimeoutError("no request reached the hold")

    def release(self) -> None:
        self.released.set()


@dataclass(kw_only=True)
class AviFault(Fault):
    kind: FaultKind
    status: int = 0
    body: bytes = b""
    stream: Stream | None = None
    seconds: float = 0.0
    hold: Hold | None = None
    after_write: bool = False

    def wait(self) -> None:
        """A delay: sleep its seconds, or wait for the test to release its hold."""
        if self.hold is None:
            time.sleep(self.seconds)
            return
        self.hold.arrived.set()
        self.hold.released.wait(HOLD_LIMIT_SECONDS)


class FaultInjection:
    """The calls that make the controller misbehave; each request takes what matches it."""

    def __init__(self) -> None:
        self._faults: Faults[AviFault] = Faults()

    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        body: str | Stream | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests (login included) with ``status``;
        ``body`` replaces the controller's error, a Stream makes the answer hostile."""
        default_body = json.dumps({"error": http.client.responses.get(status, "Error")})
        stream = body if isinstance(body, Stream) else None
        payload = b"" if stream else (default_body if body is None else str(body)).encode()
        self._faults.add(
            AviFault(
                kind="status",
                remaining=count,
                methods=methods(method),
                path_contains=path_contains,
                status=status,
                body=payload,
                stream=stream,
            )
        )

    def endless_pages(self, *, count: int = 1) -> None:
        """Answer the next ``count`` collection GETs with an empty page whose ``next`` link
        names a page never seen before, as a broken controller could for ever."""
        self._faults.add(AviFault(kind="pages", remaining=count, methods=frozenset({"GET"})))

    def delay(self, seconds: float, *, method: str | None = None, count: int = 1) -> None:
        """Hold the next ``count`` matching requests, then handle them (a write still applies)."""
        self._faults.add(
            AviFault(kind="delay", remaining=count, methods=methods(method), seconds=seconds)
        )

    def hold(self, *, method: str | None = None) -> Hold:
        """Hold the next matching request until ``release()``, then handle it."""
        hold = Hold()
        self._faults.add(AviFault(kind="delay", remaining=1, methods=methods(method), hold=hold))
        return hold

    def drop_connections(
        self, *, method: str | None = None, count: int = 1, after_write: bool = False
    ) -> None:
        """Close the socket without answering; ``after_write`` handles the request first."""
        self._faults.add(
            AviFault(kind="drop", remaining=count, methods=methods(method), after_write=after_write)
        )

    def storm_412(self, count: int) -> None:
        """The next ``count`` PUT/PATCH on a VrfContext answer 412, as under a busy other writer."""
        body = json.dumps({"error": "Need to reload object data VrfContext"}).encode()
        self._faults.add(
            AviFault(
                kind="status",
                remaining=count,
                methods=WRITE_METHODS,
                path_contains="/api/vrfcontext/",
                status=412,
                body=body,
            )
        )

    def _take_fault(self, kind: FaultKind, method: str, path: str) -> AviFault | None:
        return self._faults.take(lambda fault: fault.kind == kind and fault.matches(method, path))
