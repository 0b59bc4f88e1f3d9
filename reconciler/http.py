"""Plumbing the Avi and GitHub clients share, on plain ``requests``.

Both retry reads but never writes (a write that got no answer may still have been done), and
neither may let a secret into an error; the loop and the masking live here once, while what to
say about a failure stays with each client. Both also take a base URL and a secret (inline or
from a mounted file) from their settings.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

import requests

from reconciler.errors import ApiError, InputError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS: Final = 30.0
ERROR_TEXT_LIMIT: Final = 300


@dataclass(frozen=True)
class RetryPolicy:
    """How often a read is tried again, and how long to wait before each retry."""

    read_retries: int
    backoff_base: float

    def attempts(self, retryable: bool) -> int:
        return 1 + (self.read_retries if retryable else 0)

    def back_off(self, label: str, cause: str, attempt: int, attempts: int) -> None:
        """Double the wait after each failure; jitter keeps many jobs from retrying in step."""
        delay = min(MAX_BACKOFF_SECONDS, self.backoff_base * 2 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.5)
        logger.warning(
            "%s: %s; retry %d of %d in %.2f s", label, cause, attempt, attempts - 1, delay
        )
        time.sleep(delay)


def send_with_retries(
    send: Callable[[], requests.Response],
    label: str,
    policy: RetryPolicy,
    *,
    retryable: bool,
    tls_failed: Callable[[requests.exceptions.SSLError], str],
    no_answer: Callable[[requests.RequestException, int], str],
) -> requests.Response:
    """``send()`` once, or when ``retryable`` again after a lost connection or a 5xx.

    Returns the last answer, whatever its status. A transport failure raises ApiError with the
    caller's text: ``no_answer`` gets the error and the number of attempts made.
    """
    attempts = policy.attempts(retryable)
    attempt = 1
    while True:
        try:
            response = send()
        except requests.exceptions.SSLError as exc:
            raise ApiError(tls_failed(exc)) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt == attempts:
                raise ApiError(no_answer(exc, attempts)) from exc
            cause = f"no answer ({type(exc).__name__})"
        else:
            if response.status_code < 500 or attempt == attempts:
                return response
            cause = f"HTTP {response.status_code}"
        policy.back_off(label, cause, attempt, attempts)
        attempt += 1


def timed_request(
    session: requests.Session, method: str, url: str, **options: Any
) -> requests.Response:
    """One attempt, logged at debug level with its duration (never headers or body)."""
    started = time.monotonic()
    response = session.request(method, url, **options)
    logger.debug(
        "%s %s -> HTTP %d in %.3f s",
        method,
        urlsplit(url).path,
        response.status_code,
        time.monotonic() - started,
    )
    return response


def decoded(response: requests.Response) -> Any:
    """The JSON body, or None when it is not JSON (a proxy's HTML error page, say)."""
    try:
        return response.json()
    except ValueError:
        return None


def excerpt(response: requests.Response) -> str:
    """The start of the body on one line, to quote in an error (mask it before use)."""
    return " ".join(response.text.split())[:ERROR_TEXT_LIMIT] or "empty body"


def masked(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret replaced by ``***``: servers echo what they were sent."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def split_base_url(url: str, what: str) -> SplitResult:
    """``url`` in parts; a bad port fails here, named as ``what``, rather than mid-request."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise InputError(f"{what} is malformed") from None
    return parts


def secret_from_env(
    environ: Mapping[str, str], variable: str, what: str, *, strip: Callable[[str], str]
) -> str:
    """``variable``, or the text of the file ``variable``_FILE names (a mounted secret) passed
    through ``strip``, since editors end files with a newline."""
    inline, path = environ.get(variable), environ.get(f"{variable}_FILE")
    if inline and path:
        raise InputError(f"set either {variable} or {variable}_FILE, not both")
    if inline:
        return inline
    if not path:
        raise InputError(f"{what} is not set: set {variable} or {variable}_FILE")
    try:
        secret = strip(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{variable}_FILE {path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{variable}_FILE {path}: cannot read it ({exc.strerror})") from None
    if not secret:
        raise InputError(f"{variable}_FILE {path} is empty")
    return secret
