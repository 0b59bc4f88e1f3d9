"""Live source: the official kubernetes client, reading raw JSON pages.

Raw JSON (`_preload_content=False`) rather than client models: it is the same across client
majors 35-37 and several times cheaper at 5,000 nodes (see the shared reference); pages of
Nodes and CiliumNodes keep only the fields read (wire.py). Every request
is bounded (``KUBE_BOUNDS``): a deadline for the whole request, a largest answer, JSON no deeper
than an honest one, and a page limit per list.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, Final

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from reconciler.bounds import MIB, AnswerBounds, AnswerRefused, bound_pools, bounded_call
from reconciler.errors import ApiError, InputError
from reconciler.ipam.source import CUSTOM_RESOURCES, CustomResource, RawObject
from reconciler.ipam.wire import PRUNED_KINDS, decode_page
from reconciler.json_depth import MAX_JSON_DEPTH, TooDeep, json_depth, parse_json
from reconciler.unreachable import connection_failure

PAGE_SIZE = 500
MAX_LIST_RESTARTS = 3
MESSAGE_LIMIT = 300
# A page of 500 Nodes is 2-20 MB; 1,000 pages is 500,000 objects.
KUBE_BOUNDS: Final = AnswerBounds(deadline=60.0, max_bytes=64 * MIB, max_pages=1000)


class KubeSource:
    def __init__(
        self,
        api: client.ApiClient,
        page_size: int = PAGE_SIZE,
        progress: bool | None = None,
        bounds: AnswerBounds = KUBE_BOUNDS,
        access: str = "the kubeconfig in use",
    ) -> None:
        """``access`` names where the server and credentials came from (`cluster_access`)."""
        bound_pools(api.rest_client.pool_manager)
        self.bounds = bounds
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.page_size = page_size
        self.server = api.configuration.host
        self.access = access
        self.description = f"cluster {self.server}"
        self.list_requests: dict[str, int] = {}

    def cilium_config(self, namespace: str) -> dict[str, str] | None:
        try:
            body = self._call(
                f"ConfigMap {namespace}/cilium-config",
                partial(self.core.read_namespaced_config_map, "cilium-config", namespace),
            )
        except _NotFound:
            return None
        data = body.get("data") or {}
        return {str(key): str(value) for key, value in data.items()}

    def nodes(self) -> list[RawObject]:
        return self._list_core("nodes", self.core.list_node, pruned=True)

    def crd_served(self, crd: str) -> bool:
        return self.serves(CUSTOM_RESOURCES[crd])

    def serves(self, resource: CustomResource) -> bool:
        """A discovery read of the resource's group-version: readable by every authenticated
        account (system:discovery), so what the cluster does not serve needs no RBAC."""
        group_version = f"{resource.group}/{resource.version}"
        try:
            body = self._call(
                f"discovery {group_version}",
                partial(self.custom.get_api_resources, resource.group, resource.version),
            )
        except _NotFound:
            return False
        served = body.get("resources")
        return isinstance(served, list) and any(
            isinstance(entry, dict) and entry.get("name") == resource.plural for entry in served
        )

    def custom_objects(self, resource: CustomResource) -> list[RawObject]:
        def list_page(**kwargs: Any) -> Any:
            return self.custom.list_cluster_custom_object(
                resource.group, resource.version, resource.plural, **kwargs
            )

        try:
            return self._list(resource.name, list_page, pruned=resource.kind in PRUNED_KINDS)
        except _NotFound:
            raise InputError(
                f"{resource.kind} CRD ({resource.name}/{resource.version}) is not served by the "
                f"cluster, but the IPAM mode needs it: {resource.absent_hint}"
            ) from None

    def services(self) -> list[RawObject]:
        return self._list_core("services", self.core.list_service_for_all_namespaces)

    def _list_core(
        self, resource: str, list_page: Callable[..., Any], pruned: bool = False
    ) -> list[RawObject]:
        """Every API server serves core resources: a 404 means this is not one."""
        try:
            return self._list(resource, list_page, pruned)
        except _NotFound:
            raise ApiError(
                f"list {resource}: the server answered 404; is {self.description.split()[-1]} "
                "a Kubernetes API server?"
            ) from None

    def _list(
        self, resource: str, list_page: Callable[..., Any], pruned: bool = False
    ) -> list[RawObject]:
        """All pages of one consistent list; an expired continue token restarts the list, since
        resuming with the token the 410 offers would mix two snapshots. `pruned`: a list of
        Nodes or CiliumNodes, whose items keep only the fields read."""
        for _attempt in range(MAX_LIST_RESTARTS):
            items: list[RawObject] = []
            token: str | None = None
            pages = 0
            try:
                while True:
                    kwargs: dict[str, Any] = {"limit": self.page_size}
                    if token:
                        kwargs["_continue"] = token
                    pages += 1
                    if pages > self.bounds.max_pages:
                        raise ApiError(
                            f"list {resource}: more than {self.bounds.max_pages} pages (the page "
                            "limit); refusing to read on"
                        )
                    self.list_requests[resource] = self.list_requests.get(resource, 0) + 1
                    page = self._call(f"list {resource}", partial(list_page, **kwargs), pruned)
                    page_items = page.get("items")
                    if not isinstance(page_items, list):
                        raise ApiError(f"list {resource}: response has no items list")
                    items.extend(page_items)
                    token = (page.get("metadata") or {}).get("continue")
                    if self.progress:
                        end = "\n" if not token else ""
                        print(f"\rreading {resource}: {len(items)}", end=end, file=sys.stderr)
                    if not token:
                        return items
            except _Expired:
                continue
        raise ApiError(
            f"list {resource}: continue token expired {MAX_LIST_RESTARTS} times in a row"
        )

    def _call(self, what: str, request: Callable[..., Any], pruned: bool = False) -> RawObject:
        """One request within the bounds, its answer read raw and decoded here."""
        try:
            with bounded_call(self.bounds) as call:
                response = request(_preload_content=False, _request_timeout=call.timeouts())
        except ApiException as error:
            raise self._refusal(what, error) from None
        except AnswerRefused as error:
            raise ApiError(f"{what}: {error}") from None
        except urllib3.exceptions.HTTPError as error:
            raise self._no_answer(what, error) from None
        try:
            body = _decoded(response.data, pruned)
        except TooDeep as error:
            raise ApiError(f"{what}: the answer {error}; refusing it") from None
        except ValueError:
            raise ApiError(f"{what}: response is not valid JSON (truncated or corrupted)") from None
        if not isinstance(body, dict):
            raise ApiError(f"{what}: response is not a JSON object")
        return body

    def _no_answer(self, what: str, error: Exception) -> ApiError:
        failure = connection_failure(error)
        if failure.certificate:
            return ApiError(
                f"{what}: the Kubernetes API at {self.server}: {failure.why}; check the "
                f"cluster's certificate-authority in {self.access}"
            )
        return ApiError(
            f"{what}: no answer from the Kubernetes API at {self.server} ({failure.why}); check "
            f"the cluster's server in {self.access}, and that the cluster is up"
        )

    def _refusal(self, what: str, error: ApiException) -> Exception:
        if error.status == 404:
            return _NotFound()
        if error.status == 410:
            return _Expired()
        message = error.reason or ""
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            message = parse_json(error.body or "").get("message") or message
        message = " ".join(str(message).split())[:MESSAGE_LIMIT]  # the server's text, one line
        if error.status == 401:
            return ApiError(
                f"{what}: the Kubernetes API at {self.server} refused the credentials of "
                f"{self.access} (401: {message}); renew them"
            )
        if error.status == 403:
            return ApiError(
                f"{what}: forbidden by RBAC ({message}) for the credentials of {self.access}; "
                "see deploy/ for the rules needed"
            )
        return ApiError(
            f"{what}: the Kubernetes API at {self.server} answered {error.status} ({message})"
        )


def _decoded(data: bytes, pruned: bool) -> Any:
    """As `parse_json` decodes it; a page of Nodes or CiliumNodes no deeper than an honest
    answer (checked first, as for any answer) by the typed decoder when it takes it."""
    page = decode_page(data) if pruned and json_depth(data) <= MAX_JSON_DEPTH else None
    return parse_json(data) if page is None else page


class _NotFound(Exception):
    pass


class _Expired(Exception):
    pass
