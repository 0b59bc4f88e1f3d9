"""Which GitHub repository route-reconciler proposes changes to, and how to reach its API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from reconciler import http
from reconciler.bounds import MIB, AnswerBounds
from reconciler.errors import InputError

DEFAULT_API_URL: Final = "https://api.github.com"

_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}/[A-Za-z0-9._-]{1,100}")


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
    timeout: float = 30.0  # seconds for one whole request: connect, headers and body
    read_retries: int = 2
    backoff_base: float = 0.5
    max_answer_bytes: int = 16 * MIB
    max_pages: int = 100

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
        bundle = "the GitHub CA bundle (--github-ca-bundle, GITHUB_CA_BUNDLE)"
        http.check_ca_bundle(self.ca_bundle, bundle)
        http.check_timing("GitHub", self.bounds, self.read_retries, self.backoff_base)

    @property
    def bounds(self) -> AnswerBounds:
        return AnswerBounds(self.timeout, self.max_answer_bytes, self.max_pages)

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


def _check_api_url(url: str) -> None:
    """Accept only a plain http(s) base URL; the token belongs in GITHUB_TOKEN."""
    parts = http.checked_base_url(url, "the GitHub API URL", "; use GITHUB_TOKEN")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(
            f"the GitHub API URL must be https://api.github.com or https://HOST/api/v3, got {url!r}"
        )
