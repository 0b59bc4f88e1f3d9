"""Faults tests inject in front of the fake GitHub: error answers for a number of matching
requests, given before authentication, as a proxy or an overloaded front end would."""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from reconciler.sim.github.protocol import json_bytes
from reconciler.sim.github.validation import GitHubError
from reconciler.sim.server import Fault, Faults, Stream, methods

DOCS = "https://docs.github.com/rest"


@dataclass(kw_only=True)
class GitHubFault(Fault):
    status: int
    body: bytes
    stream: Stream | None = None


class FaultInjection:
    """The call that makes the fake misbehave; each request takes what matches it."""

    def __init__(self) -> None:
        self._faults: Faults[GitHubFault] = Faults()

    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        body: str | Stream | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status``, before authentication,
        as a proxy or an overloaded front end would. ``body`` replaces GitHub's JSON error; with
        a body, any status goes, and a Stream makes the answer hostile."""
        if not (400 <= status <= 599 or (body is not None and 200 <= status <= 599)) or count < 1:
            raise ValueError("inject() needs a 4xx/5xx status (any with a body) and count >= 1")
        stream = body if isinstance(body, Stream) else None
        if body is None:
            reason = http.client.responses.get(status, "Error")
            payload = json_bytes(GitHubError(status, reason).payload(DOCS))
        else:
            payload = b"" if stream else str(body).encode()
        self._faults.add(
            GitHubFault(
                remaining=count,
                methods=methods(method),
                path_contains=path_contains,
                status=status,
                body=payload,
                stream=stream,
            )
        )

    def _take_fault(self, method: str, path: str) -> GitHubFault | None:
        return self._faults.take(lambda fault: fault.matches(method, path))
