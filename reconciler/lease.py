"""One run per cluster at a time, in a cluster: a coordination.k8s.io/v1 Lease
`route-reconciler-<cluster>`, taken unless another holder still renews it (outside a cluster, a
lock file: reconciler/lock.py). Its own module, so only a run that takes it loads the
Kubernetes client.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from reconciler.bounds import AnswerRefused, bound_pools, bounded_call
from reconciler.errors import ApiError, GuardRefusal
from reconciler.ipam.kube import KUBE_BOUNDS
from reconciler.json_depth import parse_json
from reconciler.unreachable import connection_failure

LEASE_SECONDS = 600


def holder_identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@contextlib.contextmanager
def lease_lock(
    api: client.ApiClient, namespace: str, cluster: str, now: datetime | None = None
) -> Iterator[None]:
    """Take `route-reconciler-<cluster>` unless another holder's lease is still running."""
    bound_pools(api.rest_client.pool_manager)
    leases: Any = client.CoordinationV1Api(api)  # raw dicts in and out, as everywhere else
    name = f"route-reconciler-{cluster}"
    what = f"Lease {namespace}/{name} at {api.configuration.host}"
    identity = holder_identity()
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = {
        "holderIdentity": identity,
        "leaseDurationSeconds": LEASE_SECONDS,
        "acquireTime": stamp,
        "renewTime": stamp,
    }
    current = _read_lease(leases, namespace, name, what)
    try:
        if current is None:
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name},
                "spec": spec,
            }
            _bounded(what, partial(leases.create_namespaced_lease, namespace, lease))
        else:
            _refuse_if_held(current, identity, cluster, now or datetime.now(UTC))
            current["spec"] = spec
            _bounded(what, partial(leases.replace_namespaced_lease, name, namespace, current))
    except ApiException as error:
        if error.status == 409:
            raise GuardRefusal(
                f"another run for cluster {cluster} took Lease {namespace}/{name} first"
            ) from None
        raise ApiError(f"{what}: Kubernetes API answered {error.status}") from None
    try:
        yield
    finally:
        released = _read_lease(leases, namespace, name, what)
        if released is not None and (released.get("spec") or {}).get("holderIdentity") == identity:
            released["spec"] = {**released["spec"], "holderIdentity": None}
            with contextlib.suppress(ApiException):
                _bounded(what, partial(leases.replace_namespaced_lease, name, namespace, released))


def _bounded(what: str, request: Callable[..., Any]) -> Any:
    """One Lease request within the bounds every Kubernetes read has; its raw answer."""
    try:
        with bounded_call(KUBE_BOUNDS) as call:
            return request(_preload_content=False, _request_timeout=call.timeouts())
    except AnswerRefused as error:
        raise ApiError(f"{what}: {error}") from None
    except urllib3.exceptions.HTTPError as error:
        why = connection_failure(error).why
        raise ApiError(f"{what}: no answer from the Kubernetes API ({why})") from None


def _read_lease(leases: Any, namespace: str, name: str, what: str) -> dict[str, Any] | None:
    try:
        response = _bounded(what, partial(leases.read_namespaced_lease, name, namespace))
    except ApiException as error:
        if error.status == 404:
            return None
        raise ApiError(f"{what}: Kubernetes API answered {error.status}") from None
    try:
        lease = parse_json(response.data)
    except ValueError as error:
        raise ApiError(f"{what}: the answer is not a JSON Lease ({error})") from None
    if not isinstance(lease, dict):
        raise ApiError(f"{what}: the answer is not a JSON Lease")
    return lease


def _refuse_if_held(lease: dict[str, Any], identity: str, cluster: str, now: datetime) -> None:
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity")
    if not holder or holder == identity:
        return
    renewed = spec.get("renewTime") or spec.get("acquireTime")
    if renewed is None:
        return
    age = (now - datetime.fromisoformat(renewed.replace("Z", "+00:00"))).total_seconds()
    if age < int(spec.get("leaseDurationSeconds") or LEASE_SECONDS):
        raise GuardRefusal(
            f"run for cluster {cluster} is held by {holder} (Lease renewed {int(age)} s ago)"
        )
