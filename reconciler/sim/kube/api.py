"""A small, faithful fake Kubernetes API server over real HTTP on 127.0.0.1.

No real kube-apiserver can run on the project's machines, and mocks that bypass HTTP would skip the
official client's kubeconfig loading, paging and error handling. This server therefore speaks the
wire format that client sees: list envelopes, ``limit``/``continue`` paging over consistent
snapshots, ``Status`` error bodies with the real reasons and messages, and faults on demand.

Objects are serialised once when stored; a list page is the join of those precomputed strings, so
paging through 15,000 nodes costs O(page) per request.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import threading
import uuid
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from reconciler.sim.server import Fault, Faults, LoggedRequest, Reply, StandInServer

DEFAULT_USER = "system:serviceaccount:route-reconciler:route-reconciler"
DEFAULT_TOKEN = "fake-kube-api-token"

# Old continue tokens stay usable while their snapshot is remembered; older ones answer 410, like
# a token that outlived etcd compaction.
_REMEMBERED_SNAPSHOTS = 64
_TOKEN_VERSION = "meta.k8s.io/v1"
_COMPACT_JSON = (",", ":")

_NOT_SERVED = "the server could not find the requested resource"
_METHOD_NOT_ALLOWED = "the server does not allow this method on the requested resource"
_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)
_STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_FAULT_MESSAGES = {
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected fault",
    503: "the server is currently unable to handle the request",
    504: (
        "the server was unable to return a response in the time allotted, "
        "but may still be processing the request"
    ),
}
_VERSION_INFO = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_UNAUTHENTICATED_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
_UNSUPPORTED_LIST_PARAMETERS = ("labelSelector", "fieldSelector")

Obj = dict[str, Any]


@dataclass(frozen=True)
class _ResourceType:
    """One served resource, with the server-side policies that differ between resources."""

    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    custom: bool = False  # served from a CRD: can be uninstalled, list items keep kind/apiVersion
    unconditional_update: bool = True  # PUT without metadata.resourceVersion is accepted
    create_on_update: bool = False  # PUT of a missing object creates it

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The resource name used in messages: ``nodes``, ``leases.coordination.k8s.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def details(self, name: str | None = None) -> Obj:
        details: Obj = {"name": name} if name else {}
        if self.group:
            details["group"] = self.group
        details["kind"] = self.plural
        return details


_RESOURCE_TYPES = (
    _ResourceType("Node", "nodes", "", "v1", namespaced=False, short_names=("no",)),
    _ResourceType("ConfigMap", "configmaps", "", "v1", namespaced=True, short_names=("cm",)),
    _ResourceType("Service", "services", "", "v1", namespaced=True, short_names=("svc",)),
    _ResourceType(
        "Lease",
        "leases",
        "coordination.k8s.io",
        "v1",
        namespaced=True,
        unconditional_update=False,
        create_on_update=True,
    ),
    _ResourceType(
        "CiliumNode",
        "ciliumnodes",
        "cilium.io",
        "v2",
        namespaced=False,
        short_names=("cn", "ciliumn"),
        custom=True,
        unconditional_update=False,
    ),
    _ResourceType(
        "BlockAffinity",
        "blockaffinities",
        "crd.projectcalico.org",
        "v1",
        namespaced=False,
        custom=True,
        unconditional_update=False,
    ),
    _ResourceType(
        "HostSubnet",
        "hostsubnets",
        "network.openshift.io",
        "v1",
        namespaced=False,
        custom=True,
        unconditional_update=False,
    ),
)
_TYPES_BY_KIND = {rtype.kind: rtype for rtype in _RESOURCE_TYPES}
_TYPES_BY_PATH = {(rtype.group, rtype.version, rtype.plural): rtype for rtype in _RESOURCE_TYPES}
_TYPES_BY_RESOURCE = {rtype.plural: rtype for rtype in _RESOURCE_TYPES} | {
    rtype.qualified: rtype for rtype in _RESOURCE_TYPES
}
_CUSTOM_TYPES_BY_CRD = {rtype.qualified: rtype for rtype in _RESOURCE_TYPES if rtype.custom}


@dataclass(frozen=True)
class RecordedRequest(LoggedRequest):
    """One request the fake answered, for assertions on what the client really sent."""


@dataclass(frozen=True, slots=True)
class _Stored:
    """An object as stored: its list-item JSON is computed once and never mutated."""

    uid: str
    created: str
    resource_version: int
    item_json: str


@dataclass(frozen=True)
class _Snapshot:
    """A resource's objects sorted by key at one moment; continue tokens page through it."""

    keys: list[str]
    items: list[str]


@dataclass(kw_only=True)
class _Fault(Fault):
    resource: str  # the plural, e.g. ``nodes``
    status: int
    on_page: int | None


class _ContinueToken(NamedTuple):
    resource_version: int  # -1 resumes from the latest state, as after an expired token
    start_key: str
    page: int


class _StatusError(Exception):
    """An API failure, answered as a Kubernetes ``Status`` body."""

    def __init__(
        self,
        code: int,
        message: str,
        details: Obj | None = None,
        *,
        reason: str | None = None,
        continue_token: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.reason = _STATUS_REASONS.get(code, "") if reason is None else reason
        self.continue_token = continue_token

    def response(self) -> Reply:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"continue": self.continue_token} if self.continue_token else {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        headers = (("Retry-After", "1"),) if self.code == 429 else ()
        return Reply(self.code, _dump(body).encode(), headers=headers)


def _dump(value: Any) -> str:
    return json.dumps(value, separators=_COMPACT_JSON)


def _json_response(status: int, body: Obj) -> Reply:
    return Reply(status, _dump(body).encode())


def _not_served() -> _StatusError:
    return _StatusError(404, _NOT_SERVED, {})


def _not_found(rtype: _ResourceType, name: str) -> _StatusError:
    return _StatusError(404, f'{rtype.qualified} "{name}" not found', rtype.details(name))


def _bad_request(message: str) -> _StatusError:
    return _StatusError(400, message, {})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object_key(namespace: str | None, name: str) -> str:
    """The store key; sorting by it gives the apiserver's list order (namespace, then name)."""
    return f"{namespace}/{name}" if namespace else name


def _type_of_kind(kind: str) -> _ResourceType:
    rtype = _TYPES_BY_KIND.get(kind)
    if rtype is None:
        raise ValueError(f"unsupported kind {kind!r}; supported: {', '.join(_TYPES_BY_KIND)}")
    return rtype


def _type_of_resource(resource: str) -> _ResourceType:
    rtype = _TYPES_BY_RESOURCE.get(resource)
    if rtype is None:
        raise ValueError(f"unknown resource {resource!r}; known: {', '.join(_TYPES_BY_RESOURCE)}")
    return rtype


def _type_of_object(obj: Mapping[str, Any]) -> _ResourceType:
    rtype = _type_of_kind(str(obj.get("kind")))
    api_version = obj.get("apiVersion")
    if api_version not in (None, rtype.api_version):
        raise ValueError(f"{rtype.kind} needs apiVersion {rtype.api_version}, not {api_version}")
    return rtype


def _encode_continue(token: _ContinueToken) -> str:
    """The apiserver's token shape, plus the page number that ``fail(on_page=...)`` matches."""
    raw = _dump(
        {
            "v": _TOKEN_VERSION,
            "rv": token.resource_version,
            "start": token.start_key,
            "page": token.page,
        }
    )
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _decode_continue(token: str) -> _ContinueToken:
    """Parse a token the way the apiserver does, answering 400 for anything malformed."""
    prefix = "invalid continue token: continue key is not valid"
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        data = json.loads(raw)
    except ValueError as exc:  # bad base64 (binascii.Error) and bad JSON are both ValueErrors
        raise _bad_request(f"{prefix}: {exc}") from None
    if not isinstance(data, dict):
        raise _bad_request(prefix)
    if data.get("v") != _TOKEN_VERSION:
        raise _bad_request(f"{prefix}: server does not recognize this encoded version")
    resource_version, start_key, page = data.get("rv"), data.get("start"), data.get("page")
    if type(resource_version) is not int or resource_version == 0:
        raise _bad_request(
            f"{prefix}: incorrect encoded start resourceVersion (version {_TOKEN_VERSION})"
        )
    if not isinstance(start_key, str) or not start_key:
        raise _bad_request(f"{prefix}: encoded start key empty (version {_TOKEN_VERSION})")
    if type(page) is not int or page < 2:
        raise _bad_request(prefix)
    return _ContinueToken(resource_version, start_key, page)


def _parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        return max(int(raw), 0)
    except ValueError:
        raise _bad_request(f'invalid value for limit: "{raw}"') from None


class _Target(NamedTuple):
    rtype: _ResourceType
    namespace: str | None
    name: str | None


def _parse_resource_path(path: str) -> _Target:
    """Map ``/api/v1/...`` and ``/apis/{group}/{version}/...`` onto a served resource."""
    parts = [unquote(part) for part in path.strip("/").split("/")]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_served()
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        raise _not_served()
    rtype = _TYPES_BY_PATH.get((group, version, rest[0]))
    if rtype is None or len(rest) > 2 or (namespace is not None and not rtype.namespaced):
        raise _not_served()
    name = rest[1] if len(rest) == 2 else None
    if name is not None and rtype.namespaced and namespace is None:
        raise _not_served()
    return _Target(rtype, namespace, name)


def _verb(method: str, name: str | None) -> str:
    if method == "GET":
        return "get" if name else "list"
    if method == "DELETE" and not name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "DELETE": "delete", "PATCH": "patch"}.get(
        method, method.lower()
    )


class FakeKubeApi(StandInServer[RecordedRequest]):
    """An in-memory Kubernetes API server: state, paging, errors and faults, served over HTTP.

    All state changes are thread-safe and bump one global resourceVersion, as etcd does.
    """

    _what = "the fake Kubernetes API"

    def __init__(
        self,
        objects: Iterable[Obj] = (),
        *,
        crds: Iterable[str] | None = None,
        max_page_size: int | None = None,
        port: int = 0,
        user: str = DEFAULT_USER,
        token: str = DEFAULT_TOKEN,
    ) -> None:
        """``crds`` lists installed CRDs (``ciliumnodes.cilium.io``,
        ``blockaffinities.crd.projectcalico.org``, ``hostsubnets.network.openshift.io``); by
        default a CRD is installed iff an object of its kind is given, so pass ``crds=()`` to
        simulate Cilium being absent."""
        super().__init__(port=port)
        initial = list(objects)
        self.max_page_size = max_page_size
        self.user = user  # named in Forbidden messages, like the job's service account
        self.token = token
        self._lock = threading.Lock()
        self._resource_version = 1000
        self._stores: dict[str, dict[str, _Stored]] = {rt.plural: {} for rt in _RESOURCE_TYPES}
        self._current_snapshots: dict[str, _Snapshot] = {}
        self._issued_snapshots: OrderedDict[tuple[str, int], _Snapshot] = OrderedDict()
        self._forbidden: set[str] = set()
        self._faults: Faults[_Fault] = Faults()
        self._truncated: set[str] = set()
        if crds is None:
            self._installed_crds = {
                rtype.qualified for rtype in map(_type_of_object, initial) if rtype.custom
            }
        else:
            self._installed_crds = set()
            for crd in crds:
                self.install_crd(crd)
        for obj in initial:
            self.apply(obj)

    @property
    def url(self) -> str:
        return self._origin

    def write_kubeconfig(
        self, path: str | Path, context: str = "fake", namespace: str | None = None
    ) -> Path:
        """Write a kubeconfig (token auth) so the code under test loads config the real way."""
        context_entry = {"cluster": context, "user": context}
        if namespace:
            context_entry["namespace"] = namespace
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": context_entry}],
            "current-context": context,
            "preferences": {},
        }
        target = Path(path)
        target.write_text(yaml.safe_dump(kubeconfig, sort_keys=False))
        return target

    # -- state -----------------------------------------------------------------------------------

    def apply(self, obj: Obj) -> None:
        """Create or replace by (kind, namespace, name); the namespace defaults to ``default``."""
        rtype = _type_of_object(obj)
        with self._lock:
            if rtype.custom and rtype.qualified not in self._installed_crds:
                raise ValueError(f"CRD {rtype.qualified} is not installed; call install_crd first")
            self._store_locked(rtype, obj, _name_of(obj), _namespace_of(rtype, obj))

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        rtype = _type_of_kind(kind)
        key = _object_key((namespace or "default") if rtype.namespaced else None, name)
        with self._lock:
            if self._stores[rtype.plural].pop(key, None) is None:
                raise KeyError(f"{rtype.qualified} {key!r} does not exist")
            self._changed_locked(rtype)

    def objects(self, kind: str) -> list[Obj]:
        """Copies of the stored objects of ``kind``, in list order, with kind and apiVersion."""
        rtype = _type_of_kind(kind)
        with self._lock:
            stored = [self._stores[rtype.plural][key] for key in sorted(self._stores[rtype.plural])]
        return [json.loads(_full_json(rtype, entry)) for entry in stored]

    def install_crd(self, plural_group: str) -> None:
        rtype = _custom_type(plural_group)
        with self._lock:
            self._installed_crds.add(rtype.qualified)
            self._changed_locked(rtype)

    def uninstall_crd(self, plural_group: str) -> None:
        """Remove the CRD and, as the apiserver does, every object of its kind."""
        rtype = _custom_type(plural_group)
        with self._lock:
            self._installed_crds.discard(rtype.qualified)
            self._stores[rtype.plural].clear()
            self._changed_locked(rtype)

    # -- faults ----------------------------------------------------------------------------------

    def forbid(self, resource: str) -> None:
        """Answer every request for ``resource`` (``nodes``, ``ciliumnodes.cilium.io``...) 403."""
        rtype = _type_of_resource(resource)
        with self._lock:
            self._forbidden.add(rtype.plural)

    def allow(self, resource: str) -> None:
        """Undo ``forbid``, as when the missing RBAC rule is added."""
        rtype = _type_of_resource(resource)
        with self._lock:
            self._forbidden.discard(rtype.plural)

    def fail(
        self, resource: str, status: int = 500, *, count: int = 1, on_page: int | None = None
    ) -> None:
        """Answer the next ``count`` requests for ``resource`` with ``status`` and a Status body;
        with ``on_page``, only list requests for that page (1 is the request without continue)."""
        if not 400 <= status <= 599 or count < 1 or (on_page is not None and on_page < 1):
            raise ValueError("fail() needs a 4xx/5xx status, count >= 1 and on_page >= 1")
        rtype = _type_of_resource(resource)
        self._faults.add(
            _Fault(remaining=count, resource=rtype.plural, status=status, on_page=on_page)
        )

    def expire_continue_tokens(self) -> None:
        """Make every token issued so far answer 410 Expired, as after an etcd compaction.

        The resourceVersion moves on too, so tokens issued from now on are told apart from the old.
        """
        with self._lock:
            self._resource_version += 1
            self._issued_snapshots.clear()

    def truncate_next_list(self, resource: str) -> None:
        """Cut the next list response for ``resource`` mid-JSON, with an honest Content-Length."""
        rtype = _type_of_resource(resource)
        with self._lock:
            self._truncated.add(rtype.plural)

    # -- internals: storage ----------------------------------------------------------------------

    def _changed_locked(self, rtype: _ResourceType) -> int:
        self._resource_version += 1
        self._current_snapshots.pop(rtype.plural, None)
        return self._resource_version

    def _store_locked(
        self, rtype: _ResourceType, obj: Mapping[str, Any], name: str, namespace: str | None
    ) -> _Stored:
        key = _object_key(namespace, name)
        previous = self._stores[rtype.plural].get(key)
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
            metadata["uid"], metadata["creationTimestamp"], resource_version, _dump(body)
        )
        self._stores[rtype.plural][key] = stored
        return stored

    def _snapshot_locked(self, rtype: _ResourceType) -> _Snapshot:
        snapshot = self._current_snapshots.get(rtype.plural)
        if snapshot is None:
            entries = sorted(self._stores[rtype.plural].items())
            snapshot = _Snapshot([key for key, _ in entries], [s.item_json for _, s in entries])
            self._current_snapshots[rtype.plural] = snapshot
        return snapshot

    def _remember_snapshot_locked(
        self, rtype: _ResourceType, resource_version: int, snapshot: _Snapshot
    ) -> None:
        self._issued_snapshots[(rtype.plural, resource_version)] = snapshot
        self._issued_snapshots.move_to_end((rtype.plural, resource_version))
        while len(self._issued_snapshots) > _REMEMBERED_SNAPSHOTS:
            self._issued_snapshots.popitem(last=False)

    # -- internals: HTTP -------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            response = self._route(method, path, query, headers.get("Authorization"), body)
        except _StatusError as error:
            response = error.response()
        self._record(RecordedRequest(method, path, query, response.status))
        return response

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        authorization: str | None,
        body: bytes,
    ) -> Reply:
        if method == "GET" and path in _UNAUTHENTICATED_PATHS:
            if path == "/version":
                return _json_response(200, _VERSION_INFO)
            return Reply(200, b"ok", content_type="text/plain; charset=utf-8")
        if authorization != f"Bearer {self.token}":
            raise _StatusError(401, "Unauthorized", None)
        if method == "GET":
            discovery = self._discovery(path)
            if discovery is not None:
                return _json_response(200, discovery)
        rtype, namespace, name = _parse_resource_path(path)
        verb = _verb(method, name)
        with self._lock:
            if rtype.plural in self._forbidden:
                raise self._forbidden_error(rtype, verb, namespace, name)
        token = None
        if verb == "list":
            _reject_unsupported_list_parameters(query)
            if query.get("continue"):
                token = _decode_continue(query["continue"])
        self._inject_fault(rtype, token.page if token else 1 if verb == "list" else None)
        with self._lock:
            if rtype.custom and rtype.qualified not in self._installed_crds:
                raise _not_served()
        if verb == "list":
            return self._list(rtype, namespace, query, token)
        if verb == "get":
            return self._get(rtype, namespace, cast(str, name))
        if verb == "create" and (namespace or not rtype.namespaced):
            return self._create(rtype, namespace, _parse_body(body))
        if verb == "update":
            return self._replace(rtype, namespace, cast(str, name), _parse_body(body))
        if verb == "delete":
            return self._delete(rtype, namespace, cast(str, name))
        raise _StatusError(405, _METHOD_NOT_ALLOWED, {})

    def _discovery(self, path: str) -> Obj | None:
        """The discovery documents a client may read; None when ``path`` is not one of them."""
        if path not in ("/api", "/apis", "/api/v1") and not (
            path.startswith("/apis/") and path.count("/") <= 3
        ):
            return None
        with self._lock:
            installed = set(self._installed_crds)
        served = [rt for rt in _RESOURCE_TYPES if not rt.custom or rt.qualified in installed]
        groups: dict[str, Obj] = {}
        for rtype in served:
            if rtype.group:
                gv = {"groupVersion": rtype.api_version, "version": rtype.version}
                groups[rtype.group] = {"name": rtype.group, "versions": [gv]}
                groups[rtype.group]["preferredVersion"] = gv
        if path == "/api":
            address = self.url.removeprefix("http://")
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": address}
                ],
            }
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": list(groups.values())}
        parts = path.strip("/").split("/")
        if path == "/api/v1":
            group_version = "v1"
        elif len(parts) == 3 and parts[0] == "apis":
            group_version = f"{parts[1]}/{parts[2]}"
        elif len(parts) == 2 and parts[0] == "apis":
            group = groups.get(parts[1])
            return {"kind": "APIGroup", "apiVersion": "v1", **group} if group else None
        else:
            return None
        resources = [_discovery_entry(rt) for rt in served if rt.api_version == group_version]
        if not resources:
            return None
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        }

    def _forbidden_error(
        self, rtype: _ResourceType, verb: str, namespace: str | None, name: str | None
    ) -> _StatusError:
        subject = f'{rtype.qualified} "{name}"' if name else rtype.qualified
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{subject} is forbidden: User "{self.user}" cannot {verb} resource "{rtype.plural}" '
            f'in API group "{rtype.group}" {scope}'
        )
        return _StatusError(403, message, rtype.details(name))

    def _inject_fault(self, rtype: _ResourceType, page: int | None) -> None:
        fault = self._faults.take(
            lambda fault: fault.resource == rtype.plural and fault.on_page in (None, page)
        )
        if fault is not None:
            message = _FAULT_MESSAGES.get(fault.status, f"injected fault: HTTP {fault.status}")
            raise _StatusError(fault.status, message, {})

    def _list(
        self,
        rtype: _ResourceType,
        namespace: str | None,
        query: Mapping[str, str],
        token: _ContinueToken | None,
    ) -> Reply:
        limit = _parse_limit(query.get("limit"))
        if token and query.get("resourceVersion") not in (None, "", "0"):
            raise _bad_request("specifying resource version is not allowed when using continue")
        with self._lock:
            if token is None or token.resource_version < 0:
                resource_version = self._resource_version
                snapshot = self._snapshot_locked(rtype)
            else:
                resource_version = token.resource_version
                found = self._issued_snapshots.get((rtype.plural, resource_version))
                if found is None:
                    fresh = token._replace(resource_version=-1)
                    raise _StatusError(
                        410,
                        _EXPIRED_CONTINUE,
                        {},
                        reason="Expired",
                        continue_token=_encode_continue(fresh),
                    )
                snapshot = found
            truncate = rtype.plural in self._truncated
            self._truncated.discard(rtype.plural)
            keys = snapshot.keys
            low, high = 0, len(keys)
            if namespace is not None:
                # "0" is the character after "/", so this bounds exactly the keys "namespace/...".
                low, high = bisect_left(keys, f"{namespace}/"), bisect_left(keys, f"{namespace}0")
            if token:
                low = max(low, bisect_left(keys, token.start_key))
            page_size = min(limit, self.max_page_size or limit) if limit else high - low
            end = min(high, low + page_size)
            metadata: Obj = {"resourceVersion": str(resource_version)}
            if end < high:
                next_token = _ContinueToken(
                    resource_version, keys[end - 1] + "\x00", token.page + 1 if token else 2
                )
                metadata["continue"] = _encode_continue(next_token)
                metadata["remainingItemCount"] = high - end
                self._remember_snapshot_locked(rtype, resource_version, snapshot)
        body = (
            f'{{"kind":"{rtype.kind}List","apiVersion":"{rtype.api_version}",'
            f'"metadata":{_dump(metadata)},"items":[{",".join(snapshot.items[low:end])}]}}'
        ).encode()
        return Reply(200, body[: len(body) // 2] if truncate else body)

    def _get(self, rtype: _ResourceType, namespace: str | None, name: str) -> Reply:
        with self._lock:
            stored = self._stores[rtype.plural].get(_object_key(namespace, name))
        if stored is None:
            raise _not_found(rtype, name)
        return Reply(200, _full_json(rtype, stored).encode())

    def _create(self, rtype: _ResourceType, namespace: str | None, obj: Obj) -> Reply:
        name = _check_body(rtype, obj, namespace)
        with self._lock:
            if _object_key(namespace, name) in self._stores[rtype.plural]:
                message = f'{rtype.qualified} "{name}" already exists'
                raise _StatusError(409, message, rtype.details(name), reason="AlreadyExists")
            stored = self._store_locked(rtype, obj, name, namespace)
        return Reply(201, _full_json(rtype, stored).encode())

    def _replace(self, rtype: _ResourceType, namespace: str | None, name: str, obj: Obj) -> Reply:
        body_name = _check_body(rtype, obj, namespace)
        if body_name != name:
            raise _bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        expected = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        with self._lock:
            previous = self._stores[rtype.plural].get(_object_key(namespace, name))
            if previous is None and (expected or not rtype.create_on_update):
                raise _not_found(rtype, name)
            if previous is not None and not expected and not rtype.unconditional_update:
                raise _StatusError(
                    422,
                    f'{rtype.qualified_kind} "{name}" is invalid: metadata.resourceVersion: '
                    "Invalid value: 0x0: must be specified for an update",
                    {**rtype.details(name), "kind": rtype.kind},
                )
            if previous is not None and expected and expected != str(previous.resource_version):
                raise _StatusError(
                    409,
                    f'Operation cannot be fulfilled on {rtype.qualified} "{name}": the object has '
                    "been modified; please apply your changes to the latest version and try again",
                    rtype.details(name),
                )
            stored = self._store_locked(rtype, obj, name, namespace)
        return Reply(200 if previous else 201, _full_json(rtype, stored).encode())

    def _delete(self, rtype: _ResourceType, namespace: str | None, name: str) -> Reply:
        with self._lock:
            stored = self._stores[rtype.plural].pop(_object_key(namespace, name), None)
            if stored is not None:
                self._changed_locked(rtype)
        if stored is None:
            raise _not_found(rtype, name)
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**rtype.details(name), "uid": stored.uid},
        }
        return _json_response(200, status)


def _full_json(rtype: _ResourceType, stored: _Stored) -> str:
    """The object as GET returns it: built-in list items lack kind/apiVersion, so add them."""
    if rtype.custom:
        return stored.item_json
    return f'{{"kind":"{rtype.kind}","apiVersion":"{rtype.api_version}",{stored.item_json[1:]}'


def _custom_type(plural_group: str) -> _ResourceType:
    rtype = _CUSTOM_TYPES_BY_CRD.get(plural_group)
    if rtype is None:
        raise ValueError(f"unknown CRD {plural_group!r}; known: {', '.join(_CUSTOM_TYPES_BY_CRD)}")
    return rtype


def _name_of(obj: Mapping[str, Any]) -> str:
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{obj.get('kind')} without metadata.name")
    return name


def _namespace_of(rtype: _ResourceType, obj: Mapping[str, Any]) -> str | None:
    """Cluster-scoped objects lose any namespace, as on the apiserver."""
    if not rtype.namespaced:
        return None
    return str((obj.get("metadata") or {}).get("namespace") or "default")


def _discovery_entry(rtype: _ResourceType) -> Obj:
    entry: Obj = {
        "name": rtype.plural,
        "singularName": rtype.kind.lower(),
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": ["create", "delete", "get", "list", "update"],
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    return entry


def _reject_unsupported_list_parameters(query: Mapping[str, str]) -> None:
    """Fail loudly rather than silently ignore a filter and return too much."""
    for parameter in _UNSUPPORTED_LIST_PARAMETERS:
        if query.get(parameter):
            raise _bad_request(f"the fake Kubernetes API does not support {parameter}")
    if query.get("watch") in ("true", "1"):
        raise _bad_request("the fake Kubernetes API does not support watch")


def _parse_body(body: bytes) -> Obj:
    try:
        obj = json.loads(body)
    except ValueError as exc:
        raise _bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise _bad_request("the request body must be a JSON object")
    return obj


def _check_body(rtype: _ResourceType, obj: Obj, namespace: str | None) -> str:
    """Validate a create/update body against the URL; return the object's name."""
    if obj.get("kind") not in (None, rtype.kind) or obj.get("apiVersion") not in (
        None,
        rtype.api_version,
    ):
        raise _bad_request(
            f"the object's kind/apiVersion ({obj.get('kind')}, {obj.get('apiVersion')}) does not "
            f"match the expected ({rtype.kind}, {rtype.api_version})"
        )
    metadata = obj.get("metadata") or {}
    if metadata.get("namespace") not in (None, "", namespace) and rtype.namespaced:
        raise _bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise _StatusError(
            422,
            f'{rtype.qualified_kind} "" is invalid: metadata.name: Required value: '
            "name or generateName is required",
            {"group": rtype.group, "kind": rtype.kind} if rtype.group else {"kind": rtype.kind},
        )
    return name


# -- snapshot files and the `route-reconciler sim kube` entry --------------------------------

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_objects(paths: Iterable[str | Path]) -> list[Obj]:
    """Read kubectl-style dumps: a ``List`` (or typed list) with items, one object, or
    multi-document YAML. Items of typed lists such as ``NodeList`` get the kind they lack."""
    objects: list[Obj] = []
    for path in paths:
        text = Path(path).read_text()
        if text.lstrip().startswith("{"):
            documents = [json.loads(text)]  # much faster than YAML for large JSON dumps
        else:
            documents = list(yaml.load_all(text, Loader=_YAML_LOADER))
        for document in documents:
            objects.extend(_flatten(document, path))
    return objects


def _flatten(document: Any, path: str | Path) -> list[Obj]:
    if document is None:
        return []
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ValueError(f"{path}: expected a Kubernetes object or List, got a {kind}")
    kind = str(document.get("kind", ""))
    if not (kind.endswith("List") and isinstance(document.get("items"), list)):
        return [document]
    item_kind = kind.removesuffix("List")
    defaults = {"kind": item_kind, "apiVersion": document.get("apiVersion")} if item_kind else {}
    return [{**defaults, **item} for item in document["items"]]


def serve(snapshot_paths: list[str], port: int) -> None:
    """Serve the objects of the snapshot files until interrupted (Ctrl-C)."""
    loaded = load_objects(snapshot_paths)
    crds = {
        str(obj.get("metadata", {}).get("name"))
        for obj in loaded
        if obj.get("kind") == "CustomResourceDefinition"
    } & set(_CUSTOM_TYPES_BY_CRD)
    served = [obj for obj in loaded if obj.get("kind") in _TYPES_BY_KIND]
    crds |= {rtype.qualified for rtype in map(_type_of_object, served) if rtype.custom}
    ignored = Counter(
        str(obj.get("kind"))
        for obj in loaded
        if obj.get("kind") not in _TYPES_BY_KIND and obj.get("kind") != "CustomResourceDefinition"
    )
    api = FakeKubeApi(served, crds=crds, port=port)
    with tempfile.TemporaryDirectory(prefix="route-reconciler-sim-kube-") as workdir, api:
        kubeconfig = api.write_kubeconfig(Path(workdir) / "kubeconfig")
        if ignored:
            kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(ignored.items()))
            print(f"ignored objects of unsupported kinds: {kinds}", file=sys.stderr)
        print(f"fake Kubernetes API serving {len(served)} objects at {api.url}")
        print(f"kubeconfig: {kubeconfig}")
        print(f"export KUBECONFIG={kubeconfig}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)
