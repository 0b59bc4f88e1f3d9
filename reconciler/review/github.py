"""GitHub REST client for the pull requests route-reconciler proposes, on plain ``requests``.

Why not PyGithub: about 25 MB of dependencies (cryptography, pynacl, pyjwt) for six calls, and a
retry policy of its own that also retries writes. This client sends the documented headers,
retries reads (never writes: a failed POST may still have opened the pull request), follows
``Link`` paging only within the configured API, and turns every failure into an ApiError that
quotes GitHub's message and never carries the token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from reconciler import http
from reconciler.errors import ApiError, InputError

JsonObject = dict[str, Any]

DEFAULT_API_URL: Final = "https://api.github.com"
API_VERSION: Final = "2022-11-28"
MAX_BODY: Final = 65536  # characters, for pull request bodies and comments alike
PAGE_SIZE: Final = 100  # GitHub's maximum per_page
DEFAULT_TRUNCATION_NOTE: Final = "The full text is in the job log."

_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}/[A-Za-z0-9._-]{1,100}")
_MARKER = re.compile(r"<!--[^\n]*\S[^\n]*-->")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class GitHubSettings:
    """Which repository to propose changes to, and how to reach its API.

    ``token`` never shows in repr, logs or errors. ``api_url`` is ``https://HOST/api/v3`` for
    GitHub Enterprise Server.
    """

    repository: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    ca_bundle: str | None = None
    timeout: float = 30.0
    read_retries: int = 2
    backoff_base: float = 0.5

    def __post_init__(self) -> None:
        if not _REPOSITORY.fullmatch(self.repository) or self.name in (".", ".."):
            raise InputError(
                f"the GitHub repository must be OWNER/NAME (e.g. acme/routes), "
                f"got {self.repository!r}"
            )
        # A header value with whitespace or non-ASCII would be refused by requests with a message
        # that quotes it, so check here where the message can leave the value out.
        token = self.token
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise InputError("the GitHub token is empty or has spaces or control characters")
        _check_api_url(self.api_url)
        if self.timeout <= 0 or self.read_retries < 0 or self.backoff_base < 0:
            raise InputError(
                "GitHub timeout must be positive, read retries and backoff zero or more"
            )

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        repository: str,
        api_url: str | None = None,
        ca_bundle: str | None = None,
    ) -> GitHubSettings:
        """Settings from flags plus GITHUB_TOKEN (or GITHUB_TOKEN_FILE) and GITHUB_API_URL.

        GITHUB_API_URL is what GitHub Actions sets, on GitHub Enterprise Server too.
        """
        return cls(
            repository=repository,
            token=http.secret_from_env(
                environ, "GITHUB_TOKEN", "the GitHub token", strip=str.strip
            ),
            api_url=api_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
            ca_bundle=ca_bundle,
        )


@dataclass(frozen=True)
class PullRequest:
    """What route-reconciler needs of a pull request.

    ``merge_commit_sha`` is None unless merged: GitHub fills it with a test-merge commit while a
    pull request is open, which must not be mistaken for the merged result.
    """

    number: int
    state: str
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    body: str
    title: str
    url: str
    merge_commit_sha: str | None


class GitHubClient:
    """Pull requests and comments of one repository; ``requests_made`` counts HTTP attempts."""

    def __init__(self, settings: GitHubSettings) -> None:
        self._settings = settings
        self._api = settings.api_url.rstrip("/")
        self._repo_path = f"/repos/{settings.owner}/{settings.name}"
        # Passed on each request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests.
        self._verify: str | bool = settings.ca_bundle or True
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "route-reconciler",
            }
        )
        self._retry = http.RetryPolicy(settings.read_retries, settings.backoff_base)
        self.requests_made = 0

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # pull requests
    def find_open_pull(self, head_branch: str, base: str) -> PullRequest | None:
        """The open pull request from ``head_branch`` into ``base``; GitHub allows one at most.

        Matches are re-checked here: without the ``owner:`` prefix GitHub would ignore the filter.
        """
        params = {"head": f"{self._settings.owner}:{head_branch}", "base": base, "state": "open"}
        for item in self._get_all(f"{self._repo_path}/pulls", params):
            pull = _pull_from(item, "GET pulls")
            if (pull.head_ref, pull.base_ref, pull.state) == (head_branch, base, "open"):
                return pull
        return None

    def create_pull(self, *, head_branch: str, base: str, title: str, body: str) -> PullRequest:
        payload = {"title": title, "head": head_branch, "base": base, "body": body}
        return self._pull_call("POST", f"{self._repo_path}/pulls", payload)

    def update_pull(
        self, number: int, *, title: str | None = None, body: str | None = None
    ) -> PullRequest:
        """Change only what is given; GitHub leaves the other fields as they are."""
        payload = {
            key: value for key, value in (("title", title), ("body", body)) if value is not None
        }
        return self._pull_call("PATCH", f"{self._repo_path}/pulls/{number}", payload)

    def close_pull(self, number: int, comment: str) -> None:
        """Say why first, so a reader of the closed pull request finds the reason."""
        self._call("POST", f"{self._repo_path}/issues/{number}/comments", {"body": comment})
        self._call("PATCH", f"{self._repo_path}/pulls/{number}", {"state": "closed"})

    def get_pull(self, number: int) -> PullRequest:
        return self._pull_call("GET", f"{self._repo_path}/pulls/{number}")

    # comments
    def upsert_sticky_comment(self, number: int, marker: str, body: str) -> int:
        """Keep one comment per ``marker`` up to date instead of adding one per run.

        ``marker`` is a hidden one-line HTML comment, e.g.
        ``<!-- route-reconciler:plan:prod-a/global -->``; it is put first in the body unless the
        body has it. An unchanged comment is not rewritten. Returns the comment id.
        """
        if not _MARKER.fullmatch(marker):
            raise ValueError(f"the marker must be a one-line HTML comment, got {marker!r}")
        text = body if marker in body else f"{marker}\n{body}"
        comments_path = f"{self._repo_path}/issues/{number}/comments"
        for comment in self._get_all(comments_path, {}):
            existing = comment.get("body") or ""
            if marker in existing:
                comment_id = _comment_id(comment, f"GET {comments_path}")
                if existing != text:
                    self._call(
                        "PATCH", f"{self._repo_path}/issues/comments/{comment_id}", {"body": text}
                    )
                return comment_id
        created = self._call("POST", comments_path, {"body": text})
        return _comment_id(created, f"POST {comments_path}")

    # plumbing
    def _pull_call(self, method: str, path: str, payload: JsonObject | None = None) -> PullRequest:
        return _pull_from(self._call(method, path, payload), f"{method} {path}")

    def _call(self, method: str, path: str, payload: JsonObject | None = None) -> Any:
        return self._decode(self._request(method, self._api + path, params=None, payload=payload))

    def _get_all(self, path: str, params: Mapping[str, str]) -> Iterator[JsonObject]:
        """Every item of a list, page by page, lazily so a search can stop early."""
        url = self._api + path
        query: Mapping[str, Any] | None = {**params, "per_page": PAGE_SIZE}
        seen: set[str] = set()
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
            if not url.startswith(f"{self._api}/"):
                raise ApiError(f"GET {path}: GitHub's next-page link leaves {self._api}: {url}")
            if url in seen:
                raise ApiError(f"GET {path}: GitHub's paging loops back to {url}")
            seen.add(url)

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
        secrets = [self._settings.token]

        def attempt() -> requests.Response:
            self.requests_made += 1
            return http.timed_request(
                self._session,
                method,
                url,
                params=params,
                json=payload,
                timeout=self._settings.timeout,
                verify=self._verify,
            )

        response = http.send_with_retries(
            attempt,
            label,
            self._retry,
            retryable=method == "GET",
            tls_failed=lambda exc: (
                f"{label}: TLS with {self._api} failed ({http.masked(str(exc), secrets)}); "
                "give the CA bundle of the GitHub host (ca_bundle)"
            ),
            no_answer=lambda exc, attempts: _failure_text(
                label, method, f"no answer ({type(exc).__name__})", attempts
            ),
        )
        if not 200 <= response.status_code < 300:
            attempts = self._retry.attempts(method == "GET")
            raise ApiError(self._error_text(label, method, response, attempts))
        return response

    def _decode(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            label = f"{response.request.method} {urlsplit(response.url).path}"
            content_type = response.headers.get("Content-Type") or "no content type"
            raise ApiError(
                f"{label}: HTTP {response.status_code} with a body that is not JSON "
                f"({content_type}): {_excerpt(response, self._settings)}"
            ) from None

    def _error_text(
        self, label: str, method: str, response: requests.Response, attempts: int
    ) -> str:
        """GitHub's message and 422 details, with a hint for the failures users can fix."""
        status = response.status_code
        cause = f"HTTP {status}: {_github_reason(response, self._settings)}"
        if status == 401:
            cause += "; check GITHUB_TOKEN (or GITHUB_TOKEN_FILE)"
        elif status == 403:
            cause += "; the token may lack pull request write access, or a rate limit applies"
        elif status == 404:
            cause += (
                f"; check that {self._settings.repository} exists on {self._api} "
                "and that the token can see it (GitHub answers 404 for private repositories)"
            )
        elif status >= 500:
            return _failure_text(label, method, cause, attempts)
        return f"{label} failed: {cause}"


def fit_body(body: str, limit: int = 60000, note: str = DEFAULT_TRUNCATION_NOTE) -> str:
    """``body`` cut to at most ``limit`` characters so GitHub accepts it (MAX_BODY is the cap).

    Whole lines are kept, so a reader never sees half a route; a code fence left open is closed,
    so the appended notice (how much was cut, then ``note``: where the full text is) renders.
    """
    if not 0 < limit <= MAX_BODY:
        raise ValueError(f"limit must be between 1 and {MAX_BODY}, got {limit}")
    if len(body) <= limit:
        return body
    lines = body.splitlines(keepends=True)
    budget = limit - len(_truncated(lines, 0, note))
    shown, used = 0, 0
    while shown < len(lines) and used + len(lines[shown]) <= budget:
        used += len(lines[shown])
        shown += 1
    while shown >= 0:  # the closing fence may need room that the budget did not reserve
        text = _truncated(lines, shown, note)
        if len(text) <= limit:
            return text
        shown -= 1
    raise ValueError(f"limit {limit} leaves no room for the truncation notice")


def _truncated(lines: list[str], shown: int, note: str) -> str:
    kept = "".join(lines[:shown])
    fence = _open_fence(lines[:shown])
    closing = f"{fence}\n" if fence else ""
    notice = (
        f"\n**Truncated:** {len(lines) - shown} of {len(lines)} lines are not shown, "
        f"to stay under GitHub's limit of {MAX_BODY} characters. {note}\n"
    )
    return kept + closing + notice


def _open_fence(lines: list[str]) -> str | None:
    """The Markdown code fence still open after ``lines``, if any."""
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if match is None:
            continue
        run = match.group(1)
        if fence is None:
            fence = run
        elif run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :]:
            fence = None
    return fence


def _pull_from(data: Any, what: str) -> PullRequest:
    """Read a pull request from a single-PR answer or a list item (which lacks ``merged``)."""
    try:
        merged = bool(data["merged"]) if "merged" in data else data["merged_at"] is not None
        return PullRequest(
            number=int(data["number"]),
            state=str(data["state"]),
            merged=merged,
            head_ref=str(data["head"]["ref"]),
            head_sha=str(data["head"]["sha"]),
            base_ref=str(data["base"]["ref"]),
            body=str(data.get("body") or ""),
            title=str(data["title"]),
            url=str(data["html_url"]),
            merge_commit_sha=str(data["merge_commit_sha"]) if merged else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            f"{what}: GitHub's answer is not a pull request ({type(exc).__name__}: {exc})"
        ) from None


def _comment_id(data: Any, what: str) -> int:
    comment_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(comment_id, int):
        raise ApiError(f"{what}: GitHub's answer is not a comment (no integer id)")
    return comment_id


def _failure_text(label: str, method: str, cause: str, attempts: int) -> str:
    if method == "GET":
        return f"{label} failed after {attempts} attempt(s): {cause}"
    return (
        f"{label}: {cause}; the outcome is unknown (GitHub may have done it): "
        "look at the pull request before trying again"
    )


def _github_reason(response: requests.Response, settings: GitHubSettings) -> str:
    """GitHub's ``message`` plus each ``errors[]`` entry; a body excerpt when it is not JSON."""
    body = http.decoded(response)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return _excerpt(response, settings)
    details = [_error_detail(error) for error in body.get("errors") or []]
    text = "; ".join([body["message"], *details])
    return http.masked(text, [settings.token])


def _error_detail(error: Any) -> str:
    """One ``errors[]`` entry: its message, else ``resource.field code`` as GitHub sends it."""
    if isinstance(error, dict):
        if isinstance(error.get("message"), str):
            return str(error["message"])
        where = ".".join(str(error[key]) for key in ("resource", "field") if key in error)
        return f"{where} {error.get('code', 'invalid')}".strip()
    return str(error)


def _excerpt(response: requests.Response, settings: GitHubSettings) -> str:
    return http.masked(http.excerpt(response), [settings.token])


def _check_api_url(url: str) -> None:
    """Accept only a plain http(s) base URL; the token belongs in GITHUB_TOKEN."""
    parts = http.split_base_url(url, "the GitHub API URL")
    if "@" in parts.netloc:
        raise InputError("the GitHub API URL must not embed credentials; use GITHUB_TOKEN")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(
            f"the GitHub API URL must be https://api.github.com or https://HOST/api/v3, got {url!r}"
        )
