"""The controller's objects (tenants, clouds, VRF contexts, SE groups) and what the REST API does
with them: list with paging and filters, GET, PUT with the ``_last_modified`` check, PATCH.

No HTTP here: requests reach these methods already authenticated and parsed.
"""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from reconciler.sim.avi.patch import parse_patch, patched_field
from reconciler.sim.avi.validation import (
    REF_FIELDS,
    SimRequestError,
    check_routes,
    check_unique_route_ids,
    checked_route_list,
    page_number,
    parse_json,
)

JsonObject = dict[str, Any]
_Copied = TypeVar("_Copied")

DEFAULT_CLOUD = "Default-Cloud"
ADMIN_TENANT = "admin"
SYSTEM_VRFS = ("global", "management")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
KIND_BY_COLLECTION = {
    "vrfcontext": "VrfContext",
    "cloud": "Cloud",
    "tenant": "Tenant",
    "serviceenginegroup": "ServiceEngineGroup",
}


class ControllerObjects:
    """The object store, with the seeding and inspection calls tests and the demo use.

    One re-entrant lock (``_lock``) serialises every change, as a controller serialises
    writers; another writer in a test may hold it around a read-modify-write of its own.
    """

    def __init__(self, url: str) -> None:
        self.url = url  # stored objects carry it in their refs
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, JsonObject]] = {name: {} for name in KIND_BY_COLLECTION}
        self._last_modified_us = 0
        self._create("tenant", ADMIN_TENANT, object_uuid=ADMIN_TENANT)
        self.add_cloud(DEFAULT_CLOUD)

    # seeding and inspection
    def add_tenant(self, name: str) -> str:
        return self._create("tenant", name)

    def add_cloud(self, name: str) -> str:
        """Add a cloud with its own system-default ``global`` and ``management`` VRFs."""
        cloud_uuid = self._create("cloud", name, vtype="CLOUD_NONE")
        for vrf_name in SYSTEM_VRFS:
            self._create(
                "vrfcontext", vrf_name, cloud=cloud_uuid, system_default=True, static_routes=[]
            )
        return cloud_uuid

    def add_vrf(
        self,
        name: str,
        cloud: str = DEFAULT_CLOUD,
        static_routes: list[JsonObject] | None = None,
        *,
        tenant: str = ADMIN_TENANT,
        **extra_fields: Any,
    ) -> str:
        routes = check_routes(_deep_copy(static_routes or []))
        return self._create(
            "vrfcontext",
            name,
            cloud=self._uuid_by_name("cloud", cloud),
            tenant=self._uuid_by_name("tenant", tenant),
            system_default=False,
            **_deep_copy(extra_fields),
            static_routes=routes,
        )

    def add_se_group(
        self, name: str, cloud: str = DEFAULT_CLOUD, labels: list[JsonObject] | None = None
    ) -> str:
        extra: JsonObject = {} if labels is None else {"labels": _deep_copy(labels)}
        return self._create(
            "serviceenginegroup", name, cloud=self._uuid_by_name("cloud", cloud), **extra
        )

    def vrf(self, uuid_or_name: str, cloud: str = DEFAULT_CLOUD) -> JsonObject:
        """A deep copy of a VRF as ``GET /api/vrfcontext/<uuid>`` would show it."""
        with self._lock:
            return _deep_copy(self._vrf_object(uuid_or_name, cloud))

    def set_routes(self, vrf_uuid: str, static_routes: list[JsonObject]) -> None:
        """Replace a VRF's routes out of band, as another writer would; bumps ``_last_modified``."""
        routes = check_routes(_deep_copy(static_routes))
        with self._lock:
            current = self._objects["vrfcontext"][vrf_uuid]
            self._store("vrfcontext", {**current, "static_routes": routes})

    def load_seed(self, seed: Mapping[str, Any]) -> None:
        """Preload ``tenants``, ``clouds``, ``vrfs`` and ``se_groups`` from a seed document.

        A VRF entry naming an existing VRF (``global`` of a cloud) gets its routes replaced.
        """
        unknown = set(seed) - {"tenants", "clouds", "vrfs", "se_groups"}
        if unknown:
            raise ValueError(f"unknown seed sections: {', '.join(sorted(unknown))}")
        for tenant in seed.get("tenants", []):
            self.add_tenant(tenant)
        for cloud in seed.get("clouds", []):
            self.add_cloud(cloud)
        for entry in seed.get("vrfs", []):
            fields = dict(entry)
            name, cloud = fields.pop("name"), fields.pop("cloud", DEFAULT_CLOUD)
            routes = fields.pop("static_routes", [])
            existing = self._find("vrfcontext", name, cloud_uuid=self._uuid_by_name("cloud", cloud))
            if existing is not None and not fields:
                self.set_routes(existing["uuid"], routes)
            else:
                self.add_vrf(name, cloud, routes, **fields)
        for entry in seed.get("se_groups", []):
            self.add_se_group(entry["name"], entry.get("cloud", DEFAULT_CLOUD), entry.get("labels"))

    # the REST operations
    def _tenant_uuid(self, name: str) -> str:
        tenant = self._find("tenant", name)
        if tenant is None:
            raise SimRequestError(400, f"Tenant '{name}' not found")
        return str(tenant["uuid"])

    def _list(self, collection: str, query: Mapping[str, str], tenant_uuid: str) -> JsonObject:
        page_size = page_number(query, "page_size", DEFAULT_PAGE_SIZE)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SimRequestError(400, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        page = page_number(query, "page", 1)
        if page < 1:
            raise SimRequestError(400, "page must be 1 or more")
        include_name = query.get("include_name", "").lower() == "true"
        with self._lock:
            matching = [
                obj
                for obj in self._objects[collection].values()
                if _visible(obj, tenant_uuid) and self._matches_filters(obj, query)
            ]
            start = (page - 1) * page_size
            if page > 1 and start >= len(matching):
                raise SimRequestError(404, "Invalid page.")
            envelope: JsonObject = {
                "count": len(matching),
                "results": [
                    self._render(o, include_name, query.get("fields"))
                    for o in matching[start : start + page_size]
                ],
            }
        if start + page_size < len(matching):
            next_query = urlencode({**query, "page": page + 1})
            envelope["next"] = f"{self.url}/api/{collection}?{next_query}"
        return envelope

    def _get(
        self, collection: str, object_uuid: str, tenant_uuid: str, include_name: bool
    ) -> JsonObject:
        with self._lock:
            return self._render(self._object(collection, object_uuid, tenant_uuid), include_name)

    def _put(self, collection: str, object_uuid: str, body: bytes, tenant_uuid: str) -> JsonObject:
        """Whole-object write: 412 on a stale ``_last_modified``; without one it is accepted.

        Unknown fields are stored as given; uuid and url stay; refs must name the same object.
        """
        payload = parse_json(body)
        if not isinstance(payload, dict):
            raise SimRequestError(400, "expected a JSON object")
        with self._lock:
            current = self._writable(collection, object_uuid, tenant_uuid)
            sent = payload.get("_last_modified")
            if sent is not None and str(sent) != current["_last_modified"]:
                raise SimRequestError(
                    412, f"Need to reload object data {KIND_BY_COLLECTION[collection]}"
                )
            if not isinstance(payload.get("name"), str) or not payload["name"]:
                raise SimRequestError(400, "name: This field is required.")
            updated = {**payload, "uuid": current["uuid"], "url": current["url"]}
            for ref_field in REF_FIELDS:
                if ref_field in current:
                    given = payload.get(ref_field, current[ref_field])
                    updated[ref_field] = _same_ref(ref_field, given, current[ref_field])
            if collection == "vrfcontext":
                check_routes(updated.get("static_routes", []))
            return self._store(collection, updated)

    def _patch(
        self, collection: str, object_uuid: str, body: bytes, tenant_uuid: str
    ) -> JsonObject:
        """add/replace/delete at field depth 1; no ``_last_modified`` check, but a bump.

        Only new routes are re-validated (plus uniqueness), so large VRFs stay cheap to PATCH.
        """
        operation, changes = parse_patch(parse_json(body))
        with self._lock:
            current = self._writable(collection, object_uuid, tenant_uuid)
            updated = dict(current)
            for name, given in changes.items():
                if collection == "vrfcontext" and name == "static_routes" and operation != "delete":
                    checked_route_list(given)
                value = patched_field(operation, name, current.get(name), given)
                if value is None:
                    updated.pop(name, None)
                else:
                    updated[name] = value
            if collection == "vrfcontext" and "static_routes" in changes:
                check_unique_route_ids(updated.get("static_routes", []))
            return self._store(collection, updated)

    # the store
    def _ref(self, collection: str, object_uuid: str) -> str:
        return f"{self.url}/api/{collection}/{object_uuid}"

    def _next_last_modified(self) -> str:
        """Microseconds since the epoch, strictly increasing even within one microsecond."""
        self._last_modified_us = max(time.time_ns() // 1000, self._last_modified_us + 1)
        return str(self._last_modified_us)

    def _create(
        self,
        collection: str,
        name: str,
        *,
        object_uuid: str | None = None,
        cloud: str | None = None,
        tenant: str = ADMIN_TENANT,
        **fields: Any,
    ) -> str:
        with self._lock:
            if self._find(collection, name, cloud_uuid=cloud, tenant_uuid=tenant) is not None:
                raise ValueError(f"{collection} {name!r} already exists")
            new_uuid = object_uuid or f"{collection}-{uuid.uuid4()}"
            obj: JsonObject = {
                "uuid": new_uuid,
                "name": name,
                "url": self._ref(collection, new_uuid),
            }
            if collection != "tenant":
                obj["tenant_ref"] = self._ref("tenant", tenant)
            if cloud is not None:
                obj["cloud_ref"] = self._ref("cloud", cloud)
            self._store(collection, {**obj, **fields})
            return new_uuid

    def _store(self, collection: str, obj: JsonObject) -> JsonObject:
        """New version; stored objects are never mutated, so readers may use them unlocked."""
        stored = {**obj, "_last_modified": self._next_last_modified()}
        self._objects[collection][stored["uuid"]] = stored
        return stored

    def _find(
        self,
        collection: str,
        name: str,
        *,
        cloud_uuid: str | None = None,
        tenant_uuid: str | None = None,
    ) -> JsonObject | None:
        with self._lock:
            for obj in self._objects[collection].values():
                if (
                    obj["name"] == name
                    and (
                        cloud_uuid is None or obj.get("cloud_ref") == self._ref("cloud", cloud_uuid)
                    )
                    and (
                        tenant_uuid is None
                        or _ref_uuid(obj.get("tenant_ref")) in (tenant_uuid, None)
                    )
                ):
                    return obj
            return None

    def _uuid_by_name(self, collection: str, name: str) -> str:
        obj = self._find(collection, name)
        if obj is None:
            raise KeyError(f"no {collection} named {name!r}")
        return str(obj["uuid"])

    def _vrf_object(self, uuid_or_name: str, cloud: str) -> JsonObject:
        found = self._objects["vrfcontext"].get(uuid_or_name) or self._find(
            "vrfcontext", uuid_or_name, cloud_uuid=self._uuid_by_name("cloud", cloud)
        )
        if found is None:
            raise KeyError(f"no VRF {uuid_or_name!r} in cloud {cloud!r}")
        return found

    def _object(self, collection: str, object_uuid: str, tenant_uuid: str) -> JsonObject:
        obj = self._objects[collection].get(object_uuid)
        if obj is None or not _visible(obj, tenant_uuid):
            raise SimRequestError(404, "Object not found")
        return obj

    def _writable(self, collection: str, object_uuid: str, tenant_uuid: str) -> JsonObject:
        """Other tenants see admin objects but cannot change them, as AKO's fallback shows."""
        obj = self._object(collection, object_uuid, tenant_uuid)
        if _ref_uuid(obj.get("tenant_ref")) not in (tenant_uuid, None):
            raise SimRequestError(400, f"Cannot modify {KIND_BY_COLLECTION[collection]}")
        return obj

    def _matches_filters(self, obj: JsonObject, query: Mapping[str, str]) -> bool:
        cloud_ref = obj.get("cloud_ref")
        actual = {
            "name": obj["name"],
            "uuid": obj["uuid"],
            "cloud_ref.name": self._name_of(cloud_ref) if cloud_ref else None,
            "cloud_ref.uuid": _ref_uuid(cloud_ref),
        }
        return all(value == query[key] for key, value in actual.items() if key in query)

    def _name_of(self, ref: str) -> str:
        collection, _, object_uuid = urlsplit(ref).path.removeprefix("/api/").partition("/")
        target = self._objects.get(collection, {}).get(object_uuid)
        return "" if target is None else str(target["name"])

    def _render(self, obj: JsonObject, include_name: bool, fields: str | None = None) -> JsonObject:
        """The object as sent on the wire; ``include_name`` adds ``#<name>`` to refs and
        ``fields`` keeps only the named fields (with uuid and url), as the controller does."""
        wanted = None if not fields else {*fields.split(","), "uuid", "url"}
        return {
            key: f"{value}#{self._name_of(value)}" if include_name and key in REF_FIELDS else value
            for key, value in obj.items()
            if wanted is None or key in wanted
        }


def _visible(obj: JsonObject, tenant_uuid: str) -> bool:
    """Objects of the caller's tenant, plus the admin tenant's shared ones."""
    return _ref_uuid(obj.get("tenant_ref")) in (tenant_uuid, ADMIN_TENANT, None)


def _same_ref(name: str, given: Any, stored: str) -> str:
    """Refs may come back with a host prefix or ``#name`` suffix; the target may not change."""
    given_path = urlsplit(given.partition("#")[0]).path if isinstance(given, str) else None
    if given_path != urlsplit(stored).path:
        raise SimRequestError(400, f"{name}: cannot be changed (got {given!r})")
    return stored


def _ref_uuid(ref: Any) -> str | None:
    if not isinstance(ref, str):
        return None
    return urlsplit(ref.partition("#")[0]).path.rstrip("/").rpartition("/")[2]


def _deep_copy(value: _Copied) -> _Copied:
    """Copy JSON data; a pickle round trip is twice as fast as copy.deepcopy on huge VRFs."""
    return cast(_Copied, pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))


def endless_page(url: str, collection: str, query: Mapping[str, str]) -> JsonObject:
    """An empty page that links to a next page never seen before."""
    page = page_number(query, "page", 1)
    next_query = urlencode({**query, "page": page + 1})
    return {"count": 10**9, "results": [], "next": f"{url}/api/{collection}?{next_query}"}
