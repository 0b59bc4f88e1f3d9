"""What a request asks for: the resource, namespace and name its path names, and the verb.

Anything the fake does not implement is refused loudly, never served approximately.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import unquote

from reconciler.sim.kube.resources import TYPES_BY_PATH, ResourceType
from reconciler.sim.kube.status import bad_request, not_served

UNAUTHENTICATED_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
_UNSUPPORTED_LIST_PARAMETERS = ("labelSelector", "fieldSelector")
_VERBS_BY_METHOD = {"POST": "create", "PUT": "update", "DELETE": "delete", "PATCH": "patch"}


class Target(NamedTuple):
    rtype: ResourceType
    namespace: str | None
    name: str | None


def parse_resource_path(path: str) -> Target:
    """Map ``/api/v1/...`` and ``/apis/{group}/{version}/...`` onto a served resource."""
    parts = [unquote(part) for part in path.strip("/").split("/")]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_served()
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        raise not_served()
    rtype = TYPES_BY_PATH.get((group, version, rest[0]))
    if rtype is None or len(rest) > 2 or (namespace is not None and not rtype.namespaced):
        raise not_served()
    name = rest[1] if len(rest) == 2 else None
    if name is not None and rtype.namespaced and namespace is None:
        raise not_served()
    return Target(rtype, namespace, name)


def verb_of(method: str, name: str | None) -> str:
    """The RBAC verb of a request, as Forbidden messages name it."""
    if method == "GET":
        return "get" if name else "list"
    if method == "DELETE" and not name:
        return "deletecollection"
    return _VERBS_BY_METHOD.get(method, method.lower())


def reject_unsupported_list_parameters(query: Mapping[str, str]) -> None:
    """Fail loudly rather than silently ignore a filter and return too much."""
    for parameter in _UNSUPPORTED_LIST_PARAMETERS:
        if query.get(parameter):
            raise bad_request(f"the fake Kubernetes API does not support {parameter}")
    if query.get("watch") in ("true", "1"):
        raise bad_request("the fake Kubernetes API does not support watch")
