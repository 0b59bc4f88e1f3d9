"""The objects the fake holds, under one global resourceVersion as in etcd.

Objects are serialised once when stored; a list page is a slice of those precomputed strings, so
paging through 15,000 nodes costs O(page) per request. Pages after the first read the snapshot
their first page was cut from, so a paged list stays consistent while objects change.
"""

from __future__ import annotations

import json
import threading
import uuid
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.sim.kube.resources import RESOURCE_TYPES, Obj, ResourceType, object_key
from reconciler.sim.kube.status import StatusError, dump, not_found

# Old snapshots stay readable while remembered; older ones are gone, like revisions that etcd
# compacted away.
_REMEMBERED_SNAPSHOTS = 64
_FIRST_RESOURCE_VERSION = 1000


@dataclass(frozen=True, slots=True)
class _Stored:
    """An object as stored: its list-item JSON is computed once and never mutated."""

    uid: str
    created: str
    resource_version: int
    item_json: str


@dataclass(frozen=True)
class _Snapshot:
    """A resource's objects sorted by key at one moment."""

    keys: list[str]
    items: list[str]


@dataclass(frozen=True)
class Page:
    """One page of a list: item JSONs, and where the next page starts if one follows."""

    resource_version: int
    items: list[str]
    last_key: str | None  # the key of the last item when more follow, else None
    remaining: int


class SnapshotGone(Exception):
    """The snapshot a continued list asked for is no longer remembered."""


class ObjectStore:
    """Thread-safe storage; every change bumps the one resourceVersion."""

    def __init__(self, installed_crds: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._resource_version = _FIRST_RESOURCE_VERSION
        self._objects: dict[str, dict[str, _Stored]] = {rt.plural: {} for rt in RESOURCE_TYPES}
        self._installed_crds = set(installed_crds)
        self._current_snapshots: dict[str, _Snapshot] = {}
        self._issued_snapshots: OrderedDict[tuple[str, int], _Snapshot] = OrderedDict()

    # -- CRDs ------------------------------------------------------------------------------------

    def install_crd(self, rtype: ResourceType) -> None:
        with self._lock:
            self._installed_crds.add(rtype.qualified)
            self._changed_locked(rtype)

    def uninstall_crd(self, rtype: ResourceType) -> None:
        """Remove the CRD and, as the apiserver does, every object of its kind."""
        with self._lock:
            self._installed_crds.discard(rtype.qualified)
            self._objects[rtype.plural].clear()
            self._changed_locked(rtype)

    def serves(self, rtype: ResourceType) -> bool:
        """Built-in resources always; custom ones while their CRD is installed."""
        with self._lock:
            return not rtype.custom or rtype.qualified in self._installed_crds

    # -- objects ---------------------------------------------------------------------------------

    def put(
        self, rtype: ResourceType, obj: Mapping[str, Any], name: str, namespace: str | None
    ) -> None:
        """Create or replace without preconditions, as the test and demo setup does."""
        with self._lock:
            if rtype.custom and rtype.qualified not in self._installed_crds:
                raise ValueError(f"CRD {rtype.qualified} is not installed; call install_crd first")
            self._store_locked(rtype, obj, name, namespace)

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> str | None:
        """The object's JSON as GET answers it, or None."""
        with self._lock:
            stored = self._objects[rtype.plural].get(object_key(namespace, name))
        return None if stored is None else _full_json(rtype, stored)

    def all(self, rtype: ResourceType) -> list[Obj]:
        """Copies of the objects of ``rtype`` in list order, with kind and apiVersion."""
        with self._lock:
            objects = self._objects[rtype.plural]
            stored = [objects[key] for key in sorted(objects)]
        return [json.loads(_full_json(rtype, entry)) for entry in stored]

    def create(self, rtype: ResourceType, obj: Obj, name: str, namespace: str | None) -> str:
        """Store a new object and return its JSON; 409 AlreadyExists if the name is taken."""
        with self._lock:
            if object_key(namespace, name) in self._objects[rtype.plural]:
                message = f'{rtype.qualified} "{name}" already exists'
                raise StatusError(409, message, rtype.details(name), reason="AlreadyExists")
            return _full_json(rtype, self._store_locked(rtype, obj, name, namespace))

    def replace(
        self, rtype: ResourceType, obj: Obj, name: str, namespace: str | None
    ) -> tuple[bool, str]:
        """Whether the object was created, and its JSON; ``metadata.resourceVersion`` in ``obj``
        is the precondition, checked as the apiserver checks it."""
        expected = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        with self._lock:
            previous = self._objects[rtype.plural].get(object_key(namespace, name))
            if previous is None and (expected or not rtype.create_on_update):
                raise not_found(rtype, name)
            if previous is not None and not expected and not rtype.unconditional_update:
                raise StatusError(
                    422,
                    f'{rtype.qualified_kind} "{name}" is invalid: metadata.resourceVersion: '
                    "Invalid value: 0x0: must be specified for an update",
                    {**rtype.details(name), "kind": rtype.kind},
                )
            if previous is not None and expected and expected != str(previous.resource_version):
                raise StatusError(
                    409,
                    f'Operation cannot be fulfilled on {rtype.qualified} "{name}": the object has '
                    "been modified; please apply your changes to the latest version and try again",
                    rtype.details(name),
                )
            stored = self._store_locked(rtype, obj, name, namespace)
        return previous is None, _full_json(rtype, stored)

    def remove(self, rtype: ResourceType, namespace: str | None, name: str) -> str | None:
        """Delete the object and return its uid, or None if there was none."""
        with self._lock:
            stored = self._objects[rtype.plural].pop(object_key(namespace, name), None)
            if stored is not None:
                self._changed_locked(rtype)
        return None if stored is None else stored.uid

    # -- lists -----------------------------------------------------------------------------------

    def list_page(
        self,
        rtype: ResourceType,
        *,
        namespace: str | None,
        limit: int,
        start_key: str,
        resource_version: int | None,
    ) -> Page:
        """Up to ``limit`` objects (0: all) from ``start_key`` on, read from the current state
        (``resource_version`` None) or from the snapshot an earlier page was cut from.

        Raises SnapshotGone when that snapshot is no longer remembered."""
        with self._lock:
            if resource_version is None:
                resource_version = self._resource_version
                snapshot = self._current_snapshot_locked(rtype)
            else:
                found = self._issued_snapshots.get((rtype.plural, resource_version))
                if found is None:
                    raise SnapshotGone
                snapshot = found
            keys = snapshot.keys
            low, high = 0, len(keys)
            if namespace is not None:
                # "0" is the character after "/", so this bounds exactly the keys "namespace/...".
                low, high = bisect_left(keys, f"{namespace}/"), bisect_left(keys, f"{namespace}0")
            low = max(low, bisect_left(keys, start_key))
            end = min(high, low + limit) if limit else high
            if end < high:
                self._remember_snapshot_locked(rtype, resource_version, snapshot)
        last_key = keys[end - 1] if end < high else None
        return Page(resource_version, snapshot.items[low:end], last_key, high - end)

    def forget_snapshots(self) -> None:
        """Forget every snapshot handed out so far, as an etcd compaction does.

        The resourceVersion moves on too, so snapshots taken from now on are told apart."""
        with self._lock:
            self._resource_version += 1
            self._issued_snapshots.clear()

    # -- internals -------------------------------------------------------------------------------

    def _changed_locked(self, rtype: ResourceType) -> int:
        self._resource_version += 1
        self._current_snapshots.pop(rtype.plural, None)
        return self._resource_version

    def _store_locked(
        self, rtype: ResourceType, obj: Mapping[str, Any], name: str, namespace: str | None
    ) -> _Stored:
        key = object_key(namespace, name)
        previous = self._objects[rtype.plural].get(key)
        resource_version = self._changed_locked(rtype)
        metadata = dict(obj.get("metadata") or {})
        metadata.pop("namespace", None)
        metadata["name"] = name
        if namespace:
            metadata["namespace"] = namespace
        metadata["uid"] = previous.uid if previous else metadata.get("uid") or str(uuid.uuid4())
        metadata["resourceVersion"] = str(resource_version)
        metadata["creationTimestamp"] = (
            previous.created if previous else metadata.get("creationTimestamp") or _now()
        )
        body: Obj = {"apiVersion": rtype.api_version, "kind": rtype.kind} if rtype.custom else {}
        body["metadata"] = metadata
        body.update((k, v) for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata"))
        stored = _Stored(
            metadata["uid"], metadata["creationTimestamp"], resource_version, dump(body)
        )
        self._objects[rtype.plural][key] = stored
        return stored

    def _current_snapshot_locked(self, rtype: ResourceType) -> _Snapshot:
        snapshot = self._current_snapshots.get(rtype.plural)
        if snapshot is None:
            entries = sorted(self._objects[rtype.plural].items())
            snapshot = _Snapshot([key for key, _ in entries], [s.item_json for _, s in entries])
            self._current_snapshots[rtype.plural] = snapshot
        return snapshot

    def _remember_snapshot_locked(
        self, rtype: ResourceType, resource_version: int, snapshot: _Snapshot
    ) -> None:
        self._issued_snapshots[(rtype.plural, resource_version)] = snapshot
        self._issued_snapshots.move_to_end((rtype.plural, resource_version))
        while len(self._issued_snapshots) > _REMEMBERED_SNAPSHOTS:
            self._issued_snapshots.popitem(last=False)


def _full_json(rtype: ResourceType, stored: _Stored) -> str:
    """The object as GET returns it: built-in list items lack kind/apiVersion, so add them."""
    if rtype.custom:
        return stored.item_json
    return f'{{"kind":"{rtype.kind}","apiVersion":"{rtype.api_version}",{stored.item_json[1:]}'


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
