"""Avi Controller REST client for the few calls route-reconciler needs, on plain ``requests``.

Why not the vendor SDK (avisdk): it reports a 403 as "no such object", keeps a module-global
session cache and omits ``X-Avi-Version`` unless told. This client logs in with JSON, keeps the
session cookies, sends the CSRF token and Referer a controller demands, logs in again once when
a session expires, retries reads but never blindly retries writes, and turns every failure into
an ApiError whose text quotes the controller and never carries a secret.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

import requests
import urllib3

from reconciler import http
from reconciler.errors import ApiError, InputError

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]

DEFAULT_TENANT: Final = "admin"
DEFAULT_API_VERSION: Final = "22.1.3"
PAGE_SIZE: Final = 200
SESSION_REJECTED: Final = frozenset({401, 419})
PATCH_OPERATIONS: Final = ("add", "replace", "delete")
WRITE_OUTCOME_UNKNOWN: Final = "the write outcome is unknown; re-read the VRF before trying again"


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
    timeout: float = 30.0
    read_retries: int = 3
    backoff_base: float = 0.5

    def __post_init__(self) -> None:
        _check_controller_url(self.controller)
        if not self.username:
            raise InputError("the Avi username is empty")
        if not self.password:
            raise InputError("the Avi password is empty")
        if self.insecure and self.ca_bundle:
            raise InputError("a CA bundle and insecure mode exclude each other: choose one")
        if self.timeout <= 0 or self.read_retries < 0 or self.backoff_base < 0:
            raise InputError("Avi timeout must be positive, read retries and backoff zero or more")

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


class VrfConflict(ApiError):
    """The VRF changed since it was read (HTTP 412 on a write): re-read it and plan again."""


class AviClient:
    """A session with one controller; logs in lazily on the first call."""

    def __init__(self, settings: AviSettings) -> None:
        self._settings = settings
        self._base_url = settings.controller.rstrip("/")
        parts = urlsplit(self._base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._session = requests.Session()
        # Passed on every request: a Session-level verify loses to REQUESTS_CA_BUNDLE.
        self._verify: bool | str = False if settings.insecure else (settings.ca_bundle or True)
        self._session.headers.update(
            {
                "Referer": self._base_url,
                "X-Avi-Version": settings.api_version,
                "X-Avi-Tenant": settings.tenant,
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )
        self._retry = http.RetryPolicy(settings.read_retries, settings.backoff_base)
        self._logged_in = False
        self.requests_made = 0
        self.bytes_sent = 0
        if settings.insecure:
            _warn_tls_verification_off(self._base_url)

    def __enter__(self) -> AviClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # the calls route-reconciler makes
    def find_vrf(self, name: str, cloud: str) -> JsonObject:
        """The one VRF called ``name`` in ``cloud``; names repeat across clouds (``global``)."""
        return self._find_one("vrfcontext", "VRF", name, cloud, fields="name,cloud_ref")

    def find_se_group(self, name: str, cloud: str) -> JsonObject:
        return self._find_one("serviceenginegroup", "SE group", name, cloud)

    def get_vrf(self, uuid: str) -> JsonObject:
        return self._expect_object(self._call("GET", self._vrf_url(uuid)), f"GET VRF {uuid}")

    def put_vrf(self, uuid: str, body: JsonObject) -> JsonObject:
        """Write the whole VRF; a stale ``_last_modified`` in ``body`` raises VrfConflict."""
        return self._expect_object(
            self._call("PUT", self._vrf_url(uuid), payload=body), f"PUT VRF {uuid}"
        )

    def patch_vrf(self, uuid: str, op: str, static_routes: list[JsonObject]) -> JsonObject:
        """Add, replace or delete routes without resending the rest of the VRF."""
        if op not in PATCH_OPERATIONS:
            raise ValueError(f"PATCH operation must be one of {PATCH_OPERATIONS}, got {op!r}")
        payload = {op: {"static_routes": static_routes}}
        response = self._call("PATCH", self._vrf_url(uuid), payload=payload)
        return self._expect_object(response, f"PATCH VRF {uuid}")

    def list_all(self, path: str, params: Mapping[str, str]) -> list[JsonObject]:
        """Every object of a collection, following ``next`` links (host replaced by ours)."""
        url = self._base_url + path
        query: dict[str, Any] | None = {**params, "page_size": PAGE_SIZE}
        seen_pages: set[str] = set()
        objects: list[JsonObject] = []
        while True:
            page = self._call("GET", url, params=query)
            results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(results, list):
                raise ApiError(f"GET {path}: the controller's answer has no 'results' list")
            objects.extend(results)
            next_link = page.get("next")
            if not next_link:
                return objects
            link = urlsplit(next_link)
            url, query = f"{self._origin}{link.path}?{link.query}", None
            if url in seen_pages:
                raise ApiError(f"GET {path}: the controller's paging loops back to {link.path}")
            seen_pages.add(url)

    def close(self) -> None:
        """Log out (best effort) so the session does not linger on the controller."""
        if self._logged_in:
            self._logged_in = False
            try:
                self._send("POST", self._base_url + "/logout", None, None)
            except requests.RequestException as exc:
                logger.debug("logout from %s failed: %s", self._base_url, type(exc).__name__)
        self._session.close()

    # plumbing
    def _vrf_url(self, uuid: str) -> str:
        return f"{self._base_url}/api/vrfcontext/{quote(uuid, safe='')}"

    def _find_one(
        self, collection: str, kind: str, name: str, cloud: str, fields: str | None = None
    ) -> JsonObject:
        """``fields`` keeps a lookup small: a VRF's 60,000 routes are read once, by uuid."""
        query = {"name": name, "cloud_ref.name": cloud, "include_name": "true"}
        found = self.list_all(f"/api/{collection}", query | ({"fields": fields} if fields else {}))
        # Re-check name and cloud: a controller that ignored a filter must not pick the wrong one.
        matches = [
            obj
            for obj in found
            if obj.get("name") == name and _ref_name(obj.get("cloud_ref")) in (cloud, None)
        ]
        where = f"{kind} {name!r} in cloud {cloud!r} (tenant {self._settings.tenant!r})"
        if not matches:
            raise InputError(f"{where} not found on {self._base_url}")
        if len(matches) > 1:
            uuids = ", ".join(str(obj.get("uuid")) for obj in matches)
            raise ApiError(f"{where} is ambiguous: {len(matches)} matches ({uuids})")
        return matches[0]

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        payload: JsonObject | None = None,
    ) -> Any:
        """One API call: lazy login, one re-login on 401/419 (nothing was done), decoded JSON."""
        label = f"{method} {urlsplit(url).path}"
        body = None if payload is None else json.dumps(payload).encode()
        if not self._logged_in:
            self._login()
        response = self._exchange(method, url, label, params, body, retryable=method == "GET")
        if response.status_code in SESSION_REJECTED:
            logger.info(
                "%s: session rejected (HTTP %d), logging in again", label, response.status_code
            )
            self._login()
            response = self._exchange(method, url, label, params, body, retryable=method == "GET")
        return self._decode(method, label, response)

    def _login(self) -> None:
        self._logged_in = False
        self._session.cookies.clear()
        body = _Redacted(
            json.dumps(
                {"username": self._settings.username, "password": self._settings.password}
            ).encode()
        )
        response = self._exchange(
            "POST", self._base_url + "/login", "POST /login", None, body, retryable=True
        )
        who = f"login to {self._base_url} as {self._settings.username!r}"
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

        def no_answer(exc: requests.RequestException, attempts: int) -> str:
            if retryable:
                return f"{label}: no answer ({type(exc).__name__}) after {attempts} attempts: {exc}"
            return (
                f"{label}: the connection failed mid-write ({type(exc).__name__}): "
                f"{WRITE_OUTCOME_UNKNOWN}"
            )

        return http.send_with_retries(
            lambda: self._send(method, url, params, body),
            label,
            self._retry,
            retryable=retryable,
            tls_failed=lambda exc: (
                f"{label}: TLS with {self._base_url} failed ({exc}); give the controller's CA "
                "bundle, or (unsafe) turn verification off"
            ),
            no_answer=no_answer,
        )

    def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, body: bytes | None
    ) -> requests.Response:
        token = self._csrf_token()
        self.requests_made += 1
        self.bytes_sent += len(body or b"")
        return http.timed_request(
            self._session,
            method,
            url,
            params=params,
            data=body,
            headers={"X-CSRFToken": token} if token else {},
            timeout=self._settings.timeout,
            verify=self._verify,
            allow_redirects=False,
        )

    def _decode(self, method: str, label: str, response: requests.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:
                raise ApiError(
                    f"{label}: HTTP {status} with a body that is not JSON "
                    f"({response.headers.get('Content-Type') or 'no content type'}): "
                    f"{self._reason(response)}"
                ) from None
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
        body = http.decoded(response)
        error = body.get("error") if isinstance(body, dict) else None
        text = error if isinstance(error, str) else http.excerpt(response)
        cookies = (c.value for c in self._session.cookies if c.value)
        return http.masked(text, [self._settings.password, *cookies])

    def _csrf_token(self) -> str | None:
        return next((c.value for c in self._session.cookies if c.name == "csrftoken"), None)

    @staticmethod
    def _expect_object(decoded: Any, what: str) -> JsonObject:
        if not isinstance(decoded, dict):
            raise ApiError(f"{what}: expected a JSON object, got {type(decoded).__name__}")
        return decoded


class _Redacted(bytes):
    """A request body holding the password: tracebacks that show arguments print no secret."""

    def __repr__(self) -> str:
        return "<redacted>"


def _check_controller_url(url: str) -> None:
    """Accept only a plain http(s) base URL; credentials belong in AVI_USERNAME/AVI_PASSWORD."""
    parts = http.split_base_url(url, "the Avi controller URL")
    if "@" in parts.netloc:
        raise InputError(
            "the Avi controller URL must not embed credentials (user:password@host); "
            "use AVI_USERNAME and AVI_PASSWORD or AVI_PASSWORD_FILE"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"the Avi controller URL must be https://<host>, got {url!r}")
    if parts.query or parts.fragment:
        raise InputError(f"the Avi controller URL must be a base URL without query, got {url!r}")


def _ref_name(ref: Any) -> str | None:
    """The ``#name`` suffix that ``include_name=true`` adds to a ref, if any."""
    if not isinstance(ref, str) or "#" not in ref:
        return None
    return ref.partition("#")[2]


@functools.cache
def _warn_tls_verification_off(controller: str) -> None:
    """Say it once, loudly, rather than let urllib3 repeat a warning on every request."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    logger.warning(
        "TLS certificate verification is OFF for %s: anyone on the path can read the Avi "
        "password and change routes",
        controller,
    )
