"""Offline source: what `kubectl get nodes,ciliumnodes -o yaml|json` (or blockaffinities,
hostsubnets) and `kubectl get configmap cilium-config -n kube-system -o yaml` print, from one or
more files, with the objects `check` reads (BGP resources, AviInfraSettings). A CRD counts as
served when the dump holds its objects or its CustomResourceDefinition (`kubectl get crd NAME -o
yaml`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler import yamlio
from reconciler.checked_resources import CHECKED_KINDS
from reconciler.errors import InputError
from reconciler.ipam.source import CUSTOM_RESOURCES, CustomResource, RawObject
from reconciler.ipam.wire import decode_list

_KINDS = {"Node", "ConfigMap", "Service", "CustomResourceDefinition", *CHECKED_KINDS} | {
    resource.kind for resource in CUSTOM_RESOURCES.values()
}


class SnapshotSource:
    def __init__(self, paths: Iterable[str | Path]) -> None:
        self.paths = [Path(path) for path in paths]
        self.description = "snapshot " + ", ".join(str(path) for path in self.paths)
        try:
            self._by_kind = _read(self.paths, pruned=True)
        except _PrunedTwice:
            self._by_kind = _read(self.paths, pruned=False)

    def cilium_config(self, namespace: str) -> dict[str, str] | None:
        for config_map in self._by_kind["ConfigMap"]:
            metadata = config_map.get("metadata") or {}
            if (
                metadata.get("name") == "cilium-config"
                and metadata.get("namespace", namespace) == namespace
            ):
                data = config_map.get("data") or {}
                if not isinstance(data, dict):
                    raise InputError(f"ConfigMap {namespace}/cilium-config: data must be a mapping")
                return {str(key): str(value) for key, value in data.items()}
        return None

    def nodes(self) -> list[RawObject]:
        return self._by_kind["Node"]

    def custom_objects(self, resource: CustomResource) -> list[RawObject]:
        return self._by_kind[resource.kind]

    def crd_served(self, crd: str) -> bool:
        if self._by_kind[CUSTOM_RESOURCES[crd].kind]:
            return True
        return any(
            (definition.get("metadata") or {}).get("name") == crd
            for definition in self._by_kind["CustomResourceDefinition"]
        )

    def serves(self, resource: CustomResource) -> bool:
        """Objects dumped in this version, or the CRD dumped with this version served; objects
        of another version are listed under the version the CRD serves them in."""
        group_version = f"{resource.group}/{resource.version}"
        if any(obj.get("apiVersion") == group_version for obj in self._by_kind[resource.kind]):
            return True
        for definition in self._by_kind["CustomResourceDefinition"]:
            if (definition.get("metadata") or {}).get("name") == resource.name:
                versions = (definition.get("spec") or {}).get("versions") or []
                return any(
                    isinstance(entry, dict)
                    and entry.get("name") == resource.version
                    and entry.get("served") is True
                    for entry in versions
                )
        return False

    def services(self) -> list[RawObject]:
        return self._by_kind["Service"]


class _PrunedTwice(Exception):
    """An object appears twice while objects are pruned: only whole ones can be compared."""


def _read(paths: list[Path], pruned: bool) -> dict[str, list[RawObject]]:
    by_kind: dict[str, list[RawObject]] = {kind: [] for kind in _KINDS}
    seen: dict[tuple[str, str, str], tuple[Path, RawObject]] = {}
    for path in paths:
        for obj in _objects_in(path, pruned):
            key = _identity(obj)
            if key in seen:
                if pruned:
                    raise _PrunedTwice
                _check_same(key, seen[key], (path, obj))
                continue
            seen[key] = (path, obj)
            by_kind[obj["kind"]].append(obj)
    return by_kind


def _objects_in(path: Path, pruned: bool) -> Iterable[RawObject]:
    """Decoded with one copy alive at a time: a 5,000-node dump is 50 MB of JSON. A JSON list
    is decoded keeping only the fields read of its Nodes and CiliumNodes (wire.py)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"snapshot {path}: cannot read ({error.strerror})") from None
    listing = decode_list(data, _KINDS) if pruned else None
    if listing is not None:
        del data
        yield from _flatten(path, listing)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"snapshot {path}: not UTF-8 (byte {error.start})") from None
    del data
    documents = _documents(path, text)
    del text
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise InputError(
                f"snapshot {path}: expected Kubernetes objects, got {type(document).__name__}"
            )
        yield from _flatten(path, document)


def _documents(path: Path, text: str) -> list[Any]:
    if text.lstrip().startswith(("{", "[")):
        try:
            return [json.loads(text)]
        except RecursionError:
            raise InputError(
                f"snapshot {path}: JSON nested too deeply to be a kubectl dump"
            ) from None
        except json.JSONDecodeError as error:
            raise InputError(
                f"snapshot {path}: line {error.lineno}: not valid JSON ({error.msg})"
            ) from None
    try:
        return yamlio.load_all(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(
            f"snapshot {path}: {line}not valid YAML ({getattr(error, 'problem', error)})"
        ) from None


def _flatten(path: Path, document: RawObject) -> Iterable[RawObject]:
    kind = document.get("kind")
    if not isinstance(kind, str) or not kind.endswith("List"):
        yield from _accepted(path, document, "")
        return
    items = document.get("items") or []
    if not isinstance(items, list):
        raise InputError(f"snapshot {path}: {kind} field items must be a list")
    item_kind = kind[: -len("List")] or None
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"snapshot {path}: items[{index}] is not an object")
        if "kind" not in item and item_kind:
            item = {**item, "kind": item_kind}
        yield from _accepted(path, item, f"items[{index}] ")


def _accepted(path: Path, obj: RawObject, where: str) -> Iterable[RawObject]:
    kind = obj.get("kind")
    if not isinstance(kind, str):
        raise InputError(f"snapshot {path}: {where}has no kind; export with kubectl get -o yaml")
    if kind in _KINDS:
        yield obj


def _identity(obj: RawObject) -> tuple[str, str, str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    return (str(obj["kind"]), str(metadata.get("namespace", "")), str(metadata.get("name", "")))


def _check_same(
    key: tuple[str, str, str], first: tuple[Path, RawObject], again: tuple[Path, RawObject]
) -> None:
    """The same dump given twice is harmless; two different objects of one name are not."""
    if first[1] != again[1]:
        kind, namespace, name = key
        where = f"{namespace}/{name}" if namespace else name
        raise InputError(
            f"{kind} {where}: two different objects of this name, in snapshot "
            f"{first[0]} and {again[0]}"
        )
