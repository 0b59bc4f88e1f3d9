"""Server-side printing: the ``Table`` kubectl asks for with ``Accept: ...;as=Table``.

``kubectl get`` prints what the server puts in a Table's cells, so without it kubectl shows only
NAME and AGE. Nodes get the apiserver's columns (``-o wide`` shows those of priority 1),
ConfigMaps their DATA count, every other resource NAME and AGE. Each row carries the object as
``includeObject`` asks: ``Metadata`` (the default, what kubectl uses), ``Object`` or ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from reconciler.sim.kube.resources import Obj, ResourceType
from reconciler.sim.kube.status import bad_request, dump

TABLE_GROUP = "meta.k8s.io"
TABLE_VERSIONS = ("v1", "v1beta1")
INCLUDE_OBJECT = ("None", "Metadata", "Object")
NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
LEGACY_ROLE_LABEL = "kubernetes.io/role"

Cell = Callable[[Obj, datetime], Any]


class Column(NamedTuple):
    """A column definition; ``priority`` 1 columns show only with ``-o wide``."""

    name: str
    type: str
    description: str
    cell: Cell
    priority: int = 0


def table_version(accept: str | None) -> str | None:
    """The Table version the first acceptable ``as=Table`` media type asks for, if any."""
    for media_type in (accept or "").split(","):
        kind, *params = (part.strip() for part in media_type.split(";"))
        options = dict(param.partition("=")[::2] for param in params)
        if (
            kind in ("application/json", "*/*")
            and options.get("as") == "Table"
            and options.get("g") == TABLE_GROUP
            and options.get("v") in TABLE_VERSIONS
        ):
            return options["v"]
    return None


def as_table(
    rtype: ResourceType, body: bytes, version: str, include_object: str | None, now: datetime
) -> bytes:
    """A list envelope or one object, as the Table of ``meta.k8s.io/<version>``."""
    include = include_object or "Metadata"
    if include not in INCLUDE_OBJECT:
        raise bad_request(f'includeObject: Unsupported value: "{include}"')
    answer = json.loads(body)
    is_list = "items" in answer and str(answer.get("kind", "")).endswith("List")
    objects: list[Obj] = answer["items"] if is_list else [answer]
    columns = _COLUMNS.get(rtype.plural, _DEFAULT_COLUMNS)
    metadata = dict(answer["metadata"]) if is_list else {}
    if not is_list:
        metadata["resourceVersion"] = answer["metadata"].get("resourceVersion", "")
    table = {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{version}",
        "metadata": metadata,
        "columnDefinitions": [
            {
                "name": column.name,
                "type": column.type,
                "format": "name" if column is _NAME else "",
                "description": column.description,
                "priority": column.priority,
            }
            for column in columns
        ],
        "rows": [_row(rtype, obj, columns, include, version, now) for obj in objects],
    }
    return dump(table).encode()


def human_duration(seconds: float) -> str:
    """An age as kubectl shows it: precise when recent, coarser as it grows (``5m30s``, ``3h``,
    ``2d4h``, ``400d``, ``2y10d``)."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if minutes < 10:
        return _two_units(minutes, "m", whole % 60, "s")
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return _two_units(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return _two_units(days, "d", hours % 24, "h")
    if days < 730:
        return f"{days}d"
    if days < 2920:
        return _two_units(days // 365, "y", days % 365, "d")
    return f"{days // 365}y"


def _two_units(large: int, large_unit: str, small: int, small_unit: str) -> str:
    return f"{large}{large_unit}" + (f"{small}{small_unit}" if small else "")


def _row(
    rtype: ResourceType,
    obj: Obj,
    columns: tuple[Column, ...],
    include: str,
    version: str,
    now: datetime,
) -> Obj:
    row: Obj = {"cells": [column.cell(obj, now) for column in columns]}
    if include == "Object":
        row["object"] = {"kind": rtype.kind, "apiVersion": rtype.api_version, **obj}
    elif include == "Metadata":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": f"{TABLE_GROUP}/{version}",
            "metadata": obj.get("metadata", {}),
        }
    return row


def _name(obj: Obj, now: datetime) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _age(obj: Obj, now: datetime) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    when = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration((now - when).total_seconds())


def _node_status(node: Obj, now: datetime) -> str:
    """Ready, NotReady or Unknown from the Ready condition; SchedulingDisabled when cordoned."""
    conditions = node.get("status", {}).get("conditions") or []
    ready = [c.get("status") for c in conditions if c.get("type") == "Ready"]
    states = [] if not ready else ["Ready" if ready[-1] == "True" else "NotReady"]
    if not states:
        states.append("Unknown")
    if node.get("spec", {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_roles(node: Obj, now: datetime) -> str:
    roles = set()
    for key, value in (node.get("metadata", {}).get("labels") or {}).items():
        if key.startswith(NODE_ROLE_PREFIX) and key != NODE_ROLE_PREFIX:
            roles.add(key.removeprefix(NODE_ROLE_PREFIX))
        elif key == LEGACY_ROLE_LABEL and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or "<none>"


def _node_address(kind: str) -> Cell:
    def first_address(node: Obj, now: datetime) -> str:
        addresses = node.get("status", {}).get("addresses") or []
        found = [a.get("address") for a in addresses if a.get("type") == kind]
        return str(found[0]) if found else "<none>"

    return first_address


def _node_info(field: str) -> Cell:
    def info(node: Obj, now: datetime) -> str:
        return str((node.get("status", {}).get("nodeInfo") or {}).get(field) or "<unknown>")

    return info


def _data_count(config_map: Obj, now: datetime) -> int:
    return len(config_map.get("data") or {}) + len(config_map.get("binaryData") or {})


_NAME = Column("Name", "string", "Name must be unique within a namespace.", _name)
_AGE = Column("Age", "string", "Time since the object was created.", _age)
_DEFAULT_COLUMNS = (_NAME, _AGE)
_COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "nodes": (
        _NAME,
        Column("Status", "string", "The status of the node", _node_status),
        Column("Roles", "string", "The roles of the node", _node_roles),
        _AGE,
        Column("Version", "string", "Kubelet version.", _node_info("kubeletVersion")),
        Column("Internal-IP", "string", "Internal IPs.", _node_address("InternalIP"), 1),
        Column("External-IP", "string", "External IPs.", _node_address("ExternalIP"), 1),
        Column("OS-Image", "string", "OS image.", _node_info("osImage"), 1),
        Column("Kernel-Version", "string", "Kernel version.", _node_info("kernelVersion"), 1),
        Column("Container-Runtime", "string", "Runtime.", _node_info("containerRuntimeVersion"), 1),
    ),
    "configmaps": (
        _NAME,
        Column("Data", "integer", "Entries in data and binaryData.", _data_count),
        _AGE,
    ),
}
