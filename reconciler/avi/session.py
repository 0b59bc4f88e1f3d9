"""A logged-in session with an Avi Controller, and what its answers mean.

Why not the vendor SDK (avisdk): it reports a 403 as "no such object", keeps a module-global
session cache and omits ``X-Avi-Version`` unless told. This session logs in with JSON, keeps the
session cookies, sends the CSRF token and Referer a controller demands, logs in again once when
a session expires, retries reads but never blindly retries writes, and turns every failure into
an ApiError whose text quotes the controller and never carries a secret.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests
import urllib3

from reconciler import http
from reconciler.avi.settings import AviSettings
from reconciler.errors import ApiError
from reconciler.json_body import json_body
from reconciler.json_depth import surely_an_object

logger = logging.getLogger(__name__)

SESSION_REJECTED: Final = frozenset({401, 419})
WRITE_OUTCOME_UNKNOWN: Final = "the write outcome is unknown; re-read the VRF before trying again"


class VrfConflict(ApiError):
    """The VRF changed since it was read (HTTP 412 on a write): re-read it and plan again."""


class AviSession:
    """Logs in lazily on the first call; ``transport`` counts what was sent."""

    def __init__(self, settings: AviSettings) -> None:
        self._settings = settings
        self.base_url = settings.controller.rstrip("/")
        self.transport = http.Transport(
            self.base_url,
            headers={
                "Referer": self.base_url,
                "X-Avi-Version": settings.api_version,
                "X-Avi-Tenant": settings.tenant,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            verify=False if settings.insecure else (settings.ca_bundle or True),
            bounds=settings.bounds,
            retry=http.RetryPolicy(settings.read_retries, settings.backoff_base),
            secrets=[settings.password],
            tls_hint="give its CA bundle (--avi-ca-bundle, aviCaBundle or AVI_CA_BUNDLE), or "
            "(unsafe) turn verification off with --avi-insecure",
            follow_redirects=False,
            fresh_headers=self._csrf_header,
        )
        self._logged_in = False
        if settings.insecure:
            _warn_tls_verification_off(self.base_url)

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
        unread: bool = False,
    ) -> Any:
        """One API call: lazy login, one re-login on 401/419 (nothing was done), decoded JSON.
        ``unread``: nobody reads a successful answer, so one that is surely a JSON object is
        only checked, and an empty object stands for it; any other is decoded as always."""
        label = f"{method} {urlsplit(url).path}"
        body = json_body(payload)
        if not self._logged_in:
            self._login()
        response = self._exchange(method, url, label, params, body, retryable=method == "GET")
        if response.status_code in SESSION_REJECTED:
            logger.info(
                "%s: session rejected (HTTP %d), logging in again", label, response.status_code
            )
            self._login()
            response = self._exchange(method, url, label, params, body, retryable=method == "GET")
        if unread and 200 <= response.status_code < 300 and surely_an_object(response.content):
            return {}
        return self._decode(method, label, response)

    def close(self) -> None:
        """Log out (best effort) so the session does not linger on the controller."""
        if self._logged_in:
            self._logged_in = False
            try:
                self.transport.attempt("POST", self.base_url + "/logout")
            except (requests.RequestException, ApiError) as exc:
                logger.debug("logout from %s failed: %s", self.base_url, type(exc).__name__)
        self.transport.close()

    def _login(self) -> None:
        self._logged_in = False
        self.transport.cookies.clear()
        body = _Redacted(
            json.dumps(
                {"username": self._settings.username, "password": self._settings.password}
            ).encode()
        )
        response = self._exchange(
            "POST", self.base_url + "/login", "POST /login", None, body, retryable=True
        )
        who = f"login to {self.base_url} as {self._settings.username!r}"
        if response.status_code != 200:
            raise ApiError(f"{who} failed: HTTP {response.status_code}: {self._reason(response)}")
        if self._csrf_token() is None:
            raise ApiError(f"{who} set no csrftoken cookie: is this an Avi controller?")
        self._logged_in = True

    def _exchange(
        self,
        method: str,
        url: str,
        label: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        *,
        retryable: bool,
    ) -> requests.Response:
        """Send, retrying on 5xx and lost connections only when ``retryable``.

        A write is never retried here: after a 5xx or a lost connection its outcome is unknown.
        """

        def no_answer(why: str, attempts: int) -> str:
            if retryable:
                return (
                    f"{label}: no answer from {self.base_url} after {attempts} attempt(s) ({why}); "
                    "check the controller URL (--avi-controller, AVI_CONTROLLER) and that the "
                    "controller is up"
                )
            return f"{label}: the connection failed mid-write ({why}): {WRITE_OUTCOME_UNKNOWN}"

        return self.transport.send(
            method, url, label, params=params, body=body, retryable=retryable, no_answer=no_answer
        )

    def _decode(self, method: str, label: str, response: requests.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            return self.transport.decoded(response, label)
        reason = self._reason(response)
        if status == 412 and method != "GET":
            raise VrfConflict(
                f"{label}: the VRF changed since it was read (HTTP 412: {reason}); "
                "re-read it and plan again"
            )
        if status == 403:
            raise ApiError(
                f"{label}: permission denied (HTTP 403: {reason}); check the role of "
                f"{self._settings.username!r} in tenant {self._settings.tenant!r}"
            )
        if status in SESSION_REJECTED:
            raise ApiError(f"{label}: session rejected again after a fresh login (HTTP {status})")
        if 300 <= status < 400:
            raise ApiError(
                f"{label}: redirected (HTTP {status}) to {response.headers.get('Location')!r}; "
                "use that address as the controller URL"
            )
        if status >= 500 and method != "GET":
            raise ApiError(f"{label}: HTTP {status}: {reason}: {WRITE_OUTCOME_UNKNOWN}")
        raise ApiError(f"{label} failed: HTTP {status}: {reason}")

    def _reason(self, response: requests.Response) -> str:
        """The controller's ``error`` text, else a short excerpt of the body, secrets masked."""
        return self.transport.reason(response, _controller_error)

    def _csrf_token(self) -> str | None:
        return next((c.value for c in self.transport.cookies if c.name == "csrftoken"), None)

    def _csrf_header(self) -> dict[str, str]:
        token = self._csrf_token()
        return {"X-CSRFToken": token} if token else {}


class _Redacted(bytes):
    """A request body holding the password: tracebacks that show arguments print no secret."""

    def __repr__(self) -> str:
        return "<redacted>"


def _controller_error(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else None


@functools.cache
def _warn_tls_verification_off(controller: str) -> None:
    """Say it once, loudly, rather than let urllib3 repeat a warning on every request."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    logger.warning(
        "TLS certificate verification is OFF for %s: anyone on the path can read the Avi "
        "password and change routes",
        controller,
    )
