"""Where and as whom route-reconciler reaches the Avi Controller, checked before any request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler import http
from reconciler.avi.defaults import DEFAULT_API_VERSION, DEFAULT_TENANT
from reconciler.bounds import MIB, AnswerBounds
from reconciler.errors import InputError


@dataclass(frozen=True)
class AviSettings:
    """Where and as whom to reach the controller; ``password`` never shows in repr or errors."""

    controller: str
    username: str
    password: str = field(repr=False)
    tenant: str = DEFAULT_TENANT
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 60.0  # seconds for one whole request: connect, headers and body
    read_retries: int = 3
    backoff_base: float = 0.5
    max_answer_bytes: int = 32 * MIB
    max_pages: int = 100

    def __post_init__(self) -> None:
        _check_controller_url(self.controller)
        if not self.username:
            raise InputError("the Avi username is empty")
        if not self.password:
            raise InputError("the Avi password is empty")
        if self.insecure and self.ca_bundle:
            raise InputError("a CA bundle and insecure mode exclude each other: choose one")
        http.check_ca_bundle(self.ca_bundle, "the Avi CA bundle (--avi-ca-bundle, AVI_CA_BUNDLE)")
        http.check_timing("Avi", self.bounds, self.read_retries, self.backoff_base)

    @property
    def bounds(self) -> AnswerBounds:
        return AnswerBounds(self.timeout, self.max_answer_bytes, self.max_pages)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        controller: str | None = None,
        tenant: str = DEFAULT_TENANT,
        api_version: str = DEFAULT_API_VERSION,
        ca_bundle: str | None = None,
        insecure: bool = False,
    ) -> AviSettings:
        """Settings from flags plus AVI_CONTROLLER, AVI_USERNAME, AVI_PASSWORD(_FILE)."""
        controller_url = controller or environ.get("AVI_CONTROLLER")
        if not controller_url:
            raise InputError("the Avi controller URL is not set: set AVI_CONTROLLER")
        username = environ.get("AVI_USERNAME")
        if not username:
            raise InputError("the Avi username is not set: set AVI_USERNAME")
        return cls(
            controller=controller_url,
            username=username,
            password=http.secret_from_env(
                environ,
                "AVI_PASSWORD",
                "the Avi password",
                strip=lambda text: text.rstrip("\r\n"),  # spaces may be part of a password
            ),
            tenant=tenant,
            api_version=api_version,
            ca_bundle=ca_bundle,
            insecure=insecure,
        )


def _check_controller_url(url: str) -> None:
    """Accept only a plain http(s) base URL; credentials belong in AVI_USERNAME/AVI_PASSWORD."""
    parts = http.checked_base_url(
        url,
        "the Avi controller URL",
        " (user:password@host); use AVI_USERNAME and AVI_PASSWORD or AVI_PASSWORD_FILE",
    )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"the Avi controller URL must be https://<host>, got {url!r}")
    if parts.query or parts.fragment:
        raise InputError(f"the Avi controller URL must be a base URL without query, got {url!r}")
