"""The transport the Avi and GitHub clients share, on plain ``requests``.

Every call either client makes to the outside goes through one Transport: the bounds of its
answers (a deadline for each whole request, a largest body, the most pages of a listing, JSON
no deeper than ``json_depth.MAX_JSON_DEPTH``), its retries (reads only: a write that got no answer
may still have been done), how an answer's body is decoded, and which secrets are masked before
any text of it reaches an error. Rules that must hold for both clients belong here; what a
failure means to Avi or to GitHub stays with each.
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
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar

from reconciler.bounds import (
    AnswerBounds,
    AnswerTooLarge,
    NoTimelyAnswer,
    bound_pools,
    bounded_call,
)
from reconciler.errors import ApiError, InputError
from reconciler.json_depth import TooDeep, parse_json
from reconciler.masking import mask
from reconciler.unreachable import connection_failure

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS: Final = 30.0
ERROR_TEXT_LIMIT: Final = 300

# What a client says when a call got no answer: given why (a few words) and the attempts made.
NoAnswerText = Callable[[str, int], str]


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
        logger.info("%s: %s; retry %d of %d in %.2f s", label, cause, attempt, attempts - 1, delay)
        time.sleep(delay)


class _BoundedAdapter(HTTPAdapter):
    """Connection pools, direct or through a proxy, that read answers within the call's bounds."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        bound_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        bound_pools(manager)
        return manager


class Transport:
    """One ``requests`` session with one service; ``requests_made`` and ``bytes_sent`` count
    every attempt, ``requests_written`` the attempts that went out whole (a server may act on
    those, answered or not, and on no other).

    ``verify`` is passed on each request because a session-level one loses to
    REQUESTS_CA_BUNDLE. ``fresh_headers`` is asked before every attempt, for a header that
    follows a cookie the last answer may have set (Avi's CSRF token).
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        verify: bool | str,
        bounds: AnswerBounds,
        retry: RetryPolicy,
        secrets: Iterable[str],
        tls_hint: str,
        follow_redirects: bool,
        fresh_headers: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.base_url = base_url
        self.retry = retry
        self.bounds = bounds
        self._session = requests.Session()
        for prefix in ("https://", "http://"):
            self._session.mount(prefix, _BoundedAdapter())
        self._session.headers.update(headers)
        self._verify = verify
        self._secrets = tuple(secrets)
        self._tls_hint = tls_hint
        self._follow_redirects = follow_redirects
        self._fresh_headers = fresh_headers
        self.requests_made = 0
        self.requests_written = 0
        self.bytes_sent = 0

    @property
    def cookies(self) -> RequestsCookieJar:
        return self._session.cookies

    def close(self) -> None:
        self._session.close()

    def attempt(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
    ) -> requests.Response:
        """One try within the bounds (its answer read whole), logged at debug level with its
        duration (never headers or body)."""
        headers = dict(self._fresh_headers() if self._fresh_headers else {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.requests_made += 1
        self.bytes_sent += len(body or b"")
        started = time.monotonic()
        with bounded_call(self.bounds) as call:
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=call.timeouts(),
                    verify=self._verify,
                    allow_redirects=self._follow_redirects,
                )
            finally:
                self.requests_written += call.requests_written
        logger.debug(
            "%s %s -> HTTP %d in %.3f s",
            method,
            self.masked(urlsplit(url).path),
            response.status_code,
            time.monotonic() - started,
        )
        return response

    def send(
        self,
        method: str,
        url: str,
        label: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        retryable: bool,
        no_answer: NoAnswerText,
    ) -> requests.Response:
        """One attempt, or when ``retryable`` more after a lost connection or a 5xx.

        Returns the last answer, whatever its status. A transport failure raises ApiError: a TLS
        failure (with this transport's hint when an https certificate did not verify), no answer
        (none in time, too) with the text ``no_answer`` makes of why and the number of attempts
        made, an answer over the size limit at once: it would not shrink.
        """
        attempts = self.retry.attempts(retryable)
        attempt = 1
        while True:
            try:
                response = self.attempt(method, url, params=params, body=body)
            except requests.exceptions.SSLError as exc:
                raise ApiError(f"{label}: {self._tls_failure(exc)}") from exc
            except AnswerTooLarge as exc:
                raise ApiError(f"{label}: {exc}") from None
            except (requests.ConnectionError, requests.Timeout, NoTimelyAnswer) as exc:
                why = str(exc) if isinstance(exc, NoTimelyAnswer) else connection_failure(exc).why
                if attempt == attempts:
                    raise ApiError(no_answer(self.masked(why), attempts)) from exc
                cause = f"no answer ({self.masked(why)})"
            else:
                if response.status_code < 500 or attempt == attempts:
                    return response
                cause = f"HTTP {response.status_code}"
            self.retry.back_off(label, cause, attempt, attempts)
            attempt += 1

    def _tls_failure(self, error: requests.exceptions.SSLError) -> str:
        """The hint to give a CA bundle only where one helps: an https certificate that did not
        verify."""
        failure = connection_failure(error)
        text = f"TLS with {self.base_url} failed: {self.masked(failure.why)}"
        https = urlsplit(self.base_url).scheme == "https"
        return f"{text}; {self._tls_hint}" if failure.certificate and https else text

    def decoded(self, response: requests.Response, label: str) -> Any:
        """The decoded body of a successful answer; a body that is not JSON is an ApiError."""
        try:
            return parse_json(response.content)
        except TooDeep as exc:
            raise ApiError(f"{label}: the answer {exc}; refusing it") from None
        except ValueError:
            content_type = response.headers.get("Content-Type") or "no content type"
            raise ApiError(
                f"{label}: HTTP {response.status_code} with a body that is not JSON "
                f"({content_type}): {self._excerpt(response)}"
            ) from None

    def reason(self, response: requests.Response, service_text: Callable[[Any], str | None]) -> str:
        """Why the service refused: ``service_text`` of the decoded body, else the start of the
        body (a proxy's HTML error page, say), secrets masked either way."""
        try:
            text = service_text(parse_json(response.content))
        except ValueError:
            text = None
        return self._excerpt(response) if text is None else self._one_line(text)

    def _excerpt(self, response: requests.Response) -> str:
        """The start of the body, to quote in an error."""
        return self._one_line(response.content.decode("utf-8", "replace")) or "empty body"

    def _one_line(self, text: str) -> str:
        """``text`` masked, on one line, cut: masked first, so no cut leaves part of a secret."""
        return " ".join(self.masked(text).split())[:ERROR_TEXT_LIMIT]

    def masked(self, text: str) -> str:
        """``text`` with every spelling of each secret and session cookie replaced by ``***``:
        servers echo what they were sent."""
        cookies = (cookie.value or "" for cookie in self._session.cookies)
        return mask(text, (*self._secrets, *cookies))


def checked_base_url(url: str, what: str, credentials_hint: str) -> SplitResult:
    """``url`` in parts, named as ``what`` in errors; a bad port fails here rather than
    mid-request, and credentials in it are refused: they belong in a secret."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise InputError(f"{what} is malformed") from None
    if "@" in parts.netloc:
        raise InputError(f"{what} must not embed credentials{credentials_hint}")
    return parts


def check_timing(
    service: str, bounds: AnswerBounds, read_retries: int, backoff_base: float
) -> None:
    bounds.check(service)
    if read_retries < 0 or backoff_base < 0:
        raise InputError(f"{service} read retries and backoff must be zero or more")


def check_ca_bundle(path: str | None, setting: str) -> None:
    """A CA bundle that is not there is named by its setting here, not mid-request."""
    if path is not None and not Path(path).exists():
        raise InputError(f"{setting} {path}: no such file or directory")


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
