"""Notifications: one POST per event to a generic webhook, whose ``text`` Slack and Microsoft
Teams incoming webhooks show as the message.

A webhook URL is a credential (its path holds the token), so it is never a setting or a flag:
it comes only from ``ROUTE_RECONCILER_WEBHOOK_URL`` or the file ``..._FILE`` names, and the URL,
its path and its query are masked in every message. A webhook that fails is a warning for the
log, never a failed run; each POST has a deadline and is tried again on a lost connection or a
5xx (a chat message twice is better than none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from reconciler import http
from reconciler.bounds import MIB, AnswerBounds
from reconciler.errors import InputError, ReconcilerError
from reconciler.json_body import json_body

URL_VARIABLE: Final = "ROUTE_RECONCILER_WEBHOOK_URL"
TIMEOUT_SECONDS: Final = 10.0
RETRIES: Final = 2
BACKOFF_SECONDS: Final = 0.5
ANSWER_BYTES: Final = 1 * MIB  # a webhook answers "ok" or a short error


class Webhook:
    """One webhook URL; ``send`` returns a warning instead of raising."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        retries: int = RETRIES,
        backoff_base: float = BACKOFF_SECONDS,
    ) -> None:
        parts = http.checked_base_url(url, "the webhook URL", ": give the URL your chat tool gave")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError("the webhook URL must be http(s)://HOST/...")
        bounds = AnswerBounds(timeout, ANSWER_BYTES, max_pages=1)
        http.check_timing("webhook", bounds, retries, backoff_base)
        self._url = url
        hidden = [url, parts.path if parts.path.strip("/") else "", parts.query]
        self._transport = http.Transport(
            f"{parts.scheme}://{parts.netloc}",
            headers={"User-Agent": "route-reconciler", "Accept": "*/*"},
            verify=True,
            bounds=bounds,
            retry=http.RetryPolicy(retries, backoff_base),
            secrets=[secret for secret in hidden if secret],
            tls_hint="the webhook's certificate must verify against the system trust store",
            follow_redirects=False,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Webhook | None:
        """None when neither variable is set (nor set to anything but spaces)."""
        if not (environ.get(URL_VARIABLE, "").strip() or environ.get(f"{URL_VARIABLE}_FILE")):
            return None
        url = http.secret_from_env(environ, URL_VARIABLE, "the webhook URL", strip=str.strip)
        return cls(url.strip())

    def close(self) -> None:
        self._transport.close()

    def send(self, body: dict[str, Any]) -> str | None:
        """POST ``body`` as JSON; a warning when it did not arrive, None when it did."""
        label = f"webhook POST {urlsplit(self._transport.base_url).hostname}"
        try:
            response = self._transport.send(
                "POST",
                self._url,
                label,
                body=json_body(body),
                retryable=True,
                no_answer=lambda why, attempts: (
                    f"{label}: no answer after {attempts} attempt(s) ({why})"
                ),
            )
        except ReconcilerError as error:
            return self._transport.masked(str(error))
        if 200 <= response.status_code < 300:
            return None
        reason = self._transport.reason(response, lambda _decoded: None)
        return f"{label}: HTTP {response.status_code}: {reason}"
