"""The Avi Controller calls route-reconciler makes: find a VRF or SE group, read and write a VRF.

The session (login, CSRF, retries, what each failure means) is in ``session.py``; this module
only knows the objects and the controller's ``{count, results, next}`` paging.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit

from reconciler.avi.session import AviSession, VrfConflict
from reconciler.avi.settings import AviSettings
from reconciler.bounds import PageTrail
from reconciler.errors import ApiError, InputError
from reconciler.json_body import EncodedJson

__all__ = ["AviClient", "AviSettings", "VrfConflict"]

JsonObject = dict[str, Any]

PAGE_SIZE: Final = 200
PATCH_OPERATIONS: Final = ("add", "replace", "delete")


class AviClient:
    """A session with one controller; logs in lazily on the first call."""

    def __init__(self, settings: AviSettings) -> None:
        self._settings = settings
        self._session = AviSession(settings)
        self._base_url = self._session.base_url
        parts = urlsplit(self._base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def __enter__(self) -> AviClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def requests_made(self) -> int:
        return self._session.transport.requests_made

    @property
    def requests_written(self) -> int:
        """The requests that went out whole: the controller handles each, answered or not."""
        return self._session.transport.requests_written

    @property
    def bytes_sent(self) -> int:
        return self._session.transport.bytes_sent

    def find_vrf(self, name: str, cloud: str) -> JsonObject:
        """The one VRF called ``name`` in ``cloud``; names repeat across clouds (``global``)."""
        return self._find_one("vrfcontext", "VRF", name, cloud, fields="name,cloud_ref")

    def find_se_group(self, name: str, cloud: str) -> JsonObject:
        return self._find_one("serviceenginegroup", "SE group", name, cloud)

    def get_vrf(self, uuid: str) -> JsonObject:
        return _expect_object(self._session.call("GET", self._vrf_url(uuid)), f"GET VRF {uuid}")

    def put_vrf(self, uuid: str, body: JsonObject | EncodedJson) -> JsonObject:
        """Write the whole VRF; a stale ``_last_modified`` in ``body`` raises VrfConflict. An
        encoded body lets the caller drop the VRF it came from before the answer arrives."""
        return _expect_object(
            self._session.call("PUT", self._vrf_url(uuid), payload=body), f"PUT VRF {uuid}"
        )

    def patch_vrf(
        self, uuid: str, op: str, static_routes: list[JsonObject], *, unread: bool = False
    ) -> JsonObject:
        """Add, replace or delete routes without resending the rest of the VRF. ``unread``: the
        caller does not read the VRF the controller answers with; then it may be ``{}``."""
        if op not in PATCH_OPERATIONS:
            raise ValueError(f"PATCH operation must be one of {PATCH_OPERATIONS}, got {op!r}")
        payload = {op: {"static_routes": static_routes}}
        response = self._session.call("PATCH", self._vrf_url(uuid), payload=payload, unread=unread)
        return _expect_object(response, f"PATCH VRF {uuid}")

    def list_all(self, path: str, params: Mapping[str, str]) -> list[JsonObject]:
        """Every object of a collection, following ``next`` links (host replaced by ours)."""
        url = self._base_url + path
        query: dict[str, Any] | None = {**params, "page_size": PAGE_SIZE}
        trail = PageTrail(f"GET {path}", "the controller's", self._settings.max_pages)
        objects: list[JsonObject] = []
        while True:
            page = self._session.call("GET", url, params=query)
            results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(results, list):
                raise ApiError(f"GET {path}: the controller's answer has no 'results' list")
            objects.extend(results)
            next_link = page.get("next")
            if not next_link:
                return objects
            link = urlsplit(next_link)
            url, query = f"{self._origin}{link.path}?{link.query}", None
            trail.follow(url, shown=link.path)

    def close(self) -> None:
        self._session.close()

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


def _expect_object(decoded: Any, what: str) -> JsonObject:
    if not isinstance(decoded, dict):
        raise ApiError(f"{what}: expected a JSON object, got {type(decoded).__name__}")
    return decoded


def _ref_name(ref: Any) -> str | None:
    """The ``#name`` suffix that ``include_name=true`` adds to a ref, if any."""
    if not isinstance(ref, str) or "#" not in ref:
        return None
    return ref.partition("#")[2]
