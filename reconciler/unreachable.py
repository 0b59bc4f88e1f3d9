"""Why a connection failed, in a few words a user can act on.

The HTTP stacks wrap the cause several times over (requests' ConnectionError holds urllib3's
MaxRetryError, whose reason holds a NewConnectionError, whose cause is the socket's
ConnectionRefusedError), and their own texts name pools, objects and addresses in memory. This
finds the innermost cause and names it plainly. It inspects exceptions only: no I/O, and no HTTP
library imported (the chain is followed through the attributes those libraries use).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

MAX_CHAIN: Final = 20
TEXT_LIMIT: Final = 160


@dataclass(frozen=True)
class ConnectionFailure:
    """``why`` the connection failed; ``certificate`` when the server's certificate did not
    verify (the one failure a CA bundle setting can fix)."""

    why: str
    certificate: bool = False


def connection_failure(error: BaseException) -> ConnectionFailure:
    """The innermost cause in ``error``'s chain that says something, else ``error`` itself."""
    chain = list(_chain(error))
    for cause in reversed(chain):
        known = _known(cause)
        if known is not None:
            return known
    innermost = chain[-1]
    text = " ".join(str(innermost).split())[:TEXT_LIMIT]
    name = type(innermost).__name__
    return ConnectionFailure(f"{name}: {text}" if text else name)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it wraps: urllib's and urllib3's ``reason``, an exception among its
    arguments (requests, http.client), its cause or context; each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < MAX_CHAIN:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        wrapped = [reason, *current.args, current.__cause__, current.__context__]
        unseen = (i for i in wrapped if isinstance(i, BaseException) and id(i) not in seen)
        current = next(unseen, None)


def _known(cause: BaseException) -> ConnectionFailure | None:
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = cause.verify_message or cause.reason or "verification failed"
        return ConnectionFailure(f"its TLS certificate does not verify: {detail}", True)
    if isinstance(cause, ssl.SSLError):
        if cause.reason == "WRONG_VERSION_NUMBER":
            return ConnectionFailure("no TLS on that port: is it http:// rather than https://?")
        return ConnectionFailure(f"the TLS handshake failed ({cause.reason or cause.strerror})")
    if isinstance(cause, socket.gaierror):
        return ConnectionFailure(f"the host name does not resolve ({cause.strerror})")
    if isinstance(cause, ConnectionRefusedError):
        return ConnectionFailure("connection refused: nothing listens on that address and port")
    if isinstance(cause, TimeoutError):
        return ConnectionFailure("no answer in time")
    if isinstance(cause, http.client.RemoteDisconnected):  # a ConnectionResetError too
        return ConnectionFailure("the server closed the connection without an answer")
    if isinstance(cause, ConnectionResetError):
        return ConnectionFailure("the connection was reset")
    if isinstance(cause, http.client.BadStatusLine):
        return ConnectionFailure("the answer is not HTTP: is it the right port, http or https?")
    if isinstance(cause, OSError) and cause.strerror:
        return ConnectionFailure(cause.strerror[:TEXT_LIMIT])
    return None
