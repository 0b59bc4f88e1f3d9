"""The GitHub REST API of one repository host: calls, ``Link`` paging, and what failures mean.

Why not PyGithub: about 25 MB of dependencies (cryptography, pynacl, pyjwt) for six calls, and a
retry policy of its own that also retries writes. This session sends the documented headers,
retries reads (never writes: a failed POST may still have opened the pull request), follows
``Link`` paging only within the configured API, and turns every failure into an ApiError that
quotes GitHub's message and never carries the token.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from reconciler import http
from reconciler.bounds import PageTrail
from reconciler.errors import ApiError
from reconciler.json_body import json_body
from reconciler.review.settings import GitHubSettings

JsonObject = dict[str, Any]

API_VERSION: Final = "2022-11-28"
PAGE_SIZE: Final = 100  # GitHub's maximum per_page


class GitHubSession:
    """Authenticated calls to the API ``settings`` name; ``transport`` counts HTTP attempts."""

    def __init__(self, settings: GitHubSettings) -> None:
        self._settings = settings
        self.api = settings.api_url.rstrip("/")
        self.transport = http.Transport(
            self.api,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "route-reconciler",
            },
            verify=settings.ca_bundle or True,
            bounds=settings.bounds,
            retry=http.RetryPolicy(settings.read_retries, settings.backoff_base),
            secrets=[settings.token],
            tls_hint="give its CA bundle (--github-ca-bundle, githubCaBundle or GITHUB_CA_BUNDLE)",
            follow_redirects=True,
        )

    def close(self) -> None:
        self.transport.close()

    def call(self, method: str, path: str, payload: JsonObject | None = None) -> Any:
        return self._decode(self._request(method, self.api + path, params=None, payload=payload))

    def get_all(self, path: str, params: Mapping[str, str]) -> Iterator[JsonObject]:
        """Every item of a list, page by page, lazily so a search can stop early."""
        url = self.api + path
        query: Mapping[str, Any] | None = {**params, "per_page": PAGE_SIZE}
        trail = PageTrail(f"GET {path}", "GitHub's", self._settings.max_pages)
        while True:
            response = self._request("GET", url, params=query, payload=None)
            page = self._decode(response)
            if not isinstance(page, list):
                raise ApiError(f"GET {path}: expected a JSON list, got {type(page).__name__}")
            yield from (item for item in page if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
            if next_url is None:
                return
            url, query = next_url, None
            # The session sends the token to any URL it is given: follow links only within the API.
            if not url.startswith(f"{self.api}/"):
                raise ApiError(f"GET {path}: GitHub's next-page link leaves {self.api}: {url}")
            trail.follow(url, shown=url)

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        payload: JsonObject | None,
    ) -> requests.Response:
        """Send, retrying GETs on 5xx and lost connections.

        A write is never retried: after a 5xx or a lost connection its outcome is unknown.
        Returns only 2xx answers; anything else raises ApiError.
        """
        label = f"{method} {urlsplit(url).path}"
        response = self.transport.send(
            method,
            url,
            label,
            params=params,
            body=json_body(payload),
            retryable=method == "GET",
            no_answer=lambda why, attempts: _failure_text(
                label, method, f"no answer from {self.transport.base_url} ({why})", attempts
            ),
        )
        if not 200 <= response.status_code < 300:
            attempts = self.transport.retry.attempts(method == "GET")
            raise ApiError(self._error_text(label, method, response, attempts))
        return response

    def _decode(self, response: requests.Response) -> Any:
        label = f"{response.request.method} {urlsplit(response.url).path}"
        return self.transport.decoded(response, label)

    def _error_text(
        self, label: str, method: str, response: requests.Response, attempts: int
    ) -> str:
        """GitHub's message and 422 details, with a hint for the failures users can fix."""
        status = response.status_code
        cause = f"HTTP {status}: {self.transport.reason(response, _github_message)}"
        if status == 401:
            cause += "; check GITHUB_TOKEN (or GITHUB_TOKEN_FILE)"
        elif status == 403:
            cause += "; the token may lack pull request write access, or a rate limit applies"
        elif status == 404:
            cause += (
                f"; check that {self._settings.repository} exists on {self.api} "
                "and that the token can see it (GitHub answers 404 for private repositories)"
            )
        elif status >= 500:
            return _failure_text(label, method, cause, attempts)
        return f"{label} failed: {cause}"


def _failure_text(label: str, method: str, cause: str, attempts: int) -> str:
    if method == "GET":
        return f"{label} failed after {attempts} attempt(s): {cause}"
    return (
        f"{label}: {cause}; the outcome is unknown (GitHub may have done it): "
        "look at the pull request before trying again"
    )


def _github_message(body: Any) -> str | None:
    """GitHub's ``message`` plus each ``errors[]`` entry, if the body has a message."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    details = [_error_detail(error) for error in body.get("errors") or []]
    return "; ".join([body["message"], *details])


def _error_detail(error: Any) -> str:
    """One ``errors[]`` entry: its message, else ``resource.field code`` as GitHub sends it."""
    if isinstance(error, dict):
        if isinstance(error.get("message"), str):
            return str(error["message"])
        where = ".".join(str(error[key]) for key in ("resource", "field") if key in error)
        return f"{where} {error.get('code', 'invalid')}".strip()
    return str(error)
