"""A small, faithful fake Kubernetes API server over real HTTP on 127.0.0.1.

No real kube-apiserver can run on the project's machines, and mocks that bypass HTTP would skip the
official client's kubeconfig loading, paging and error handling. This server therefore speaks the
wire format that client sees: list envelopes, ``limit``/``continue`` paging over consistent
snapshots, ``Status`` error bodies with the real reasons and messages, and faults on demand.

This module is the server: its setup API for tests and the routing of a request to the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import cast
from urllib.parse import parse_qsl, urlsplit

import yaml

from reconciler.sim.kube.discovery import VERSION_INFO, discovery_document, is_discovery_path
from reconciler.sim.kube.faults import InjectedFaults
from reconciler.sim.kube.paging import (
    FIRST_PAGE,
    ContinueToken,
    decode_continue,
    expired,
    list_body,
    parse_limit,
)
from reconciler.sim.kube.resources import (
    RESOURCE_TYPES,
    Obj,
    ResourceType,
    name_of,
    namespace_of,
    object_key,
    type_of_crd,
    type_of_kind,
    type_of_object,
)
from reconciler.sim.kube.routing import (
    UNAUTHENTICATED_PATHS,
    parse_resource_path,
    reject_unsupported_list_parameters,
    verb_of,
)
from reconciler.sim.kube.status import StatusError, bad_request, json_reply, not_found, not_served
from reconciler.sim.kube.store import ObjectStore, SnapshotGone
from reconciler.sim.kube.tables import as_table, table_version
from reconciler.sim.kube.validation import checked_name, parse_body
from reconciler.sim.server import LoggedRequest, Reply, StandInServer, Stream
from reconciler.sim.tls import ThrowawayCa

DEFAULT_USER = "system:serviceaccount:route-reconciler:route-reconciler"
DEFAULT_TOKEN = "fake-kube-api-token"
_METHOD_NOT_ALLOWED = "the server does not allow this method on the requested resource"


@dataclass(frozen=True)
class RecordedRequest(LoggedRequest):
    """One request the fake answered, for assertions on what the client really sent."""


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
        tls: ThrowawayCa | None = None,
    ) -> None:
        """``crds`` lists installed CRDs (``ciliumnodes.cilium.io``,
        ``blockaffinities.crd.projectcalico.org``, ``hostsubnets.network.openshift.io``); by
        default a CRD is installed iff an object of its kind is given, so pass ``crds=()`` to
        simulate Cilium being absent. With ``tls`` it serves HTTPS, as kubectl needs to send a
        token; without, plain HTTP, which is quicker for tests."""
        tls_files = None if tls is None else (str(tls.server_cert), str(tls.server_key))
        super().__init__(port=port, tls=tls_files)
        self._ca_cert = None if tls is None else tls.ca_cert
        initial = list(objects)
        self.max_page_size = max_page_size
        self.user = user  # named in Forbidden messages, like the job's service account
        self.token = token
        self._faults = InjectedFaults()
        if crds is None:
            types = map(type_of_object, initial)
            self._store = ObjectStore(rtype.qualified for rtype in types if rtype.custom)
        else:
            self._store = ObjectStore()
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
        """Write a kubeconfig (token auth, and the CA to trust when serving HTTPS) so the code
        under test loads config the real way."""
        context_entry = {"cluster": context, "user": context}
        if namespace:
            context_entry["namespace"] = namespace
        cluster: dict[str, str] = {"server": self.url}
        if self._ca_cert is not None:
            cluster["certificate-authority"] = str(self._ca_cert)
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
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
        rtype = type_of_object(obj)
        self._store.put(rtype, obj, name_of(obj), namespace_of(rtype, obj))

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        rtype = type_of_kind(kind)
        namespace = (namespace or "default") if rtype.namespaced else None
        if self._store.remove(rtype, namespace, name) is None:
            raise KeyError(f"{rtype.qualified} {object_key(namespace, name)!r} does not exist")

    def objects(self, kind: str) -> list[Obj]:
        """Copies of the stored objects of ``kind``, in list order, with kind and apiVersion."""
        return self._store.all(type_of_kind(kind))

    def install_crd(self, plural_group: str) -> None:
        self._store.install_crd(type_of_crd(plural_group))

    def uninstall_crd(self, plural_group: str) -> None:
        """Remove the CRD and, as the apiserver does, every object of its kind."""
        self._store.uninstall_crd(type_of_crd(plural_group))

    # -- faults ----------------------------------------------------------------------------------

    def forbid(self, resource: str) -> None:
        """Answer every request for ``resource`` (``nodes``, ``ciliumnodes.cilium.io``...) 403."""
        self._faults.forbid(resource)

    def allow(self, resource: str) -> None:
        """Undo ``forbid``, as when the missing RBAC rule is added."""
        self._faults.allow(resource)

    def fail(
        self, resource: str, status: int = 500, *, count: int = 1, on_page: int | None = None
    ) -> None:
        """Answer the next ``count`` requests for ``resource`` with ``status`` and a Status body;
        with ``on_page``, only list requests for that page (1 is the request without continue)."""
        self._faults.fail(resource, status, count=count, on_page=on_page)

    def expire_continue_tokens(self) -> None:
        """Make every token issued so far answer 410 Expired, as after an etcd compaction."""
        self._store.forget_snapshots()

    def answer(
        self,
        resource: str,
        body: bytes | Stream,
        *,
        status: int = 200,
        count: int = 1,
        on_page: int | None = None,
    ) -> None:
        """Answer the next ``count`` requests for ``resource`` with ``status`` and ``body`` (a
        Stream: a hostile one); with ``on_page``, only list requests for that page."""
        self._faults.answer(resource, status, body, count=count, on_page=on_page)

    def truncate_next_list(self, resource: str) -> None:
        """Cut the next list response for ``resource`` mid-JSON, with an honest Content-Length."""
        self._faults.truncate_next_list(resource)

    # -- HTTP ------------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            response = self._route(method, path, query, headers, body)
        except StatusError as error:
            response = error.response()
        self._record(RecordedRequest(method, path, query, response.status))
        return response

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Message,
        body: bytes,
    ) -> Reply:
        if method == "GET" and path in UNAUTHENTICATED_PATHS:
            if path == "/version":
                return json_reply(200, VERSION_INFO)
            return Reply(200, b"ok", content_type="text/plain; charset=utf-8")
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise StatusError(401, "Unauthorized", None)
        if method == "GET" and is_discovery_path(path):
            served = [rtype for rtype in RESOURCE_TYPES if self._store.serves(rtype)]
            document = discovery_document(path, served, urlsplit(self.url).netloc)
            if document is not None:
                return json_reply(200, document)
        rtype, namespace, name = parse_resource_path(path)
        verb = verb_of(method, name)
        self._faults.check_access(rtype, verb, namespace, name, self.user)
        token = FIRST_PAGE
        if verb == "list":
            reject_unsupported_list_parameters(query)
            if query.get("continue"):
                token = decode_continue(query["continue"])
        page = token.page if verb == "list" else None
        self._faults.raise_injected(rtype, page)
        hostile = self._faults.hostile_answer(rtype, page)
        if hostile is not None:
            return hostile
        if not self._store.serves(rtype):
            raise not_served()
        if verb == "list":
            return self._printed(rtype, self._list(rtype, namespace, query, token), query, headers)
        if verb == "get":
            found = self._get(rtype, namespace, cast(str, name))
            return self._printed(rtype, found, query, headers)
        if verb == "create" and (namespace or not rtype.namespaced):
            return self._create(rtype, namespace, parse_body(body))
        if verb == "update":
            return self._replace(rtype, namespace, cast(str, name), parse_body(body))
        if verb == "delete":
            return self._delete(rtype, namespace, cast(str, name))
        raise StatusError(405, _METHOD_NOT_ALLOWED, {})

    def _list(
        self,
        rtype: ResourceType,
        namespace: str | None,
        query: Mapping[str, str],
        token: ContinueToken,
    ) -> Reply:
        limit = parse_limit(query.get("limit"))
        if query.get("continue") and query.get("resourceVersion") not in (None, "", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        if limit and self.max_page_size:
            limit = min(limit, self.max_page_size)
        try:
            page = self._store.list_page(
                rtype,
                namespace=namespace,
                limit=limit,
                start_key=token.start_key,
                resource_version=token.snapshot,
            )
        except SnapshotGone:
            raise expired(token) from None
        return Reply(200, self._faults.maybe_truncated(rtype, list_body(rtype, page, token)))

    def _printed(
        self, rtype: ResourceType, found: Reply, query: Mapping[str, str], headers: Message
    ) -> Reply:
        """``found`` as the Table kubectl asks for with ``Accept: ...;as=Table``, else as is."""
        version = table_version(headers.get("Accept"))
        if version is None:
            return found
        include = query.get("includeObject")
        return Reply(200, as_table(rtype, found.body, version, include, datetime.now(UTC)))

    def _get(self, rtype: ResourceType, namespace: str | None, name: str) -> Reply:
        found = self._store.get(rtype, namespace, name)
        if found is None:
            raise not_found(rtype, name)
        return Reply(200, found.encode())

    def _create(self, rtype: ResourceType, namespace: str | None, obj: Obj) -> Reply:
        created = self._store.create(rtype, obj, checked_name(rtype, obj, namespace), namespace)
        return Reply(201, created.encode())

    def _replace(self, rtype: ResourceType, namespace: str | None, name: str, obj: Obj) -> Reply:
        checked_name(rtype, obj, namespace, name_on_url=name)
        created, replaced = self._store.replace(rtype, obj, name, namespace)
        return Reply(201 if created else 200, replaced.encode())

    def _delete(self, rtype: ResourceType, namespace: str | None, name: str) -> Reply:
        uid = self._store.remove(rtype, namespace, name)
        if uid is None:
            raise not_found(rtype, name)
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**rtype.details(name), "uid": uid},
        }
        return json_reply(200, status)
