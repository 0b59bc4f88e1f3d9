"""Failures tests inject per resource: missing RBAC, error statuses (optionally on one list page),
a list body cut mid-JSON and hostile answers. Expired continue tokens are the store's, as they
are in etcd."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reconciler.sim.kube.resources import ResourceType, type_of_resource
from reconciler.sim.kube.status import StatusError
from reconciler.sim.server import Fault, Faults, Reply, Stream

_FAULT_MESSAGES = {
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected fault",
    503: "the server is currently unable to handle the request",
    504: (
        "the server was unable to return a response in the time allotted, "
        "but may still be processing the request"
    ),
}


@dataclass(kw_only=True)
class _StatusFault(Fault):
    resource: str  # the plural, e.g. ``nodes``
    status: int
    on_page: int | None


@dataclass(kw_only=True)
class _HostileAnswer(Fault):
    resource: str
    status: int
    body: bytes | Stream
    on_page: int | None


class InjectedFaults:
    """The faults in force; handler threads consult them while tests change them.

    Tests name a resource by plural (``nodes``) or qualified name (``ciliumnodes.cilium.io``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forbidden: set[str] = set()
        self._truncated: set[str] = set()
        self._failures: Faults[_StatusFault] = Faults()
        self._answers: Faults[_HostileAnswer] = Faults()

    def forbid(self, resource: str) -> None:
        plural = type_of_resource(resource).plural
        with self._lock:
            self._forbidden.add(plural)

    def allow(self, resource: str) -> None:
        plural = type_of_resource(resource).plural
        with self._lock:
            self._forbidden.discard(plural)

    def fail(self, resource: str, status: int, *, count: int, on_page: int | None) -> None:
        if not 400 <= status <= 599 or count < 1 or (on_page is not None and on_page < 1):
            raise ValueError("fail() needs a 4xx/5xx status, count >= 1 and on_page >= 1")
        plural = type_of_resource(resource).plural
        self._failures.add(
            _StatusFault(remaining=count, resource=plural, status=status, on_page=on_page)
        )

    def answer(
        self, resource: str, status: int, body: bytes | Stream, *, count: int, on_page: int | None
    ) -> None:
        plural = type_of_resource(resource).plural
        self._answers.add(
            _HostileAnswer(
                remaining=count, resource=plural, status=status, body=body, on_page=on_page
            )
        )

    def hostile_answer(self, rtype: ResourceType, page: int | None) -> Reply | None:
        """The oldest answer injected for this request (``page`` None: not a list)."""
        answer = self._answers.take(
            lambda fault: fault.resource == rtype.plural and fault.on_page in (None, page)
        )
        if answer is None:
            return None
        if isinstance(answer.body, Stream):
            return Reply(answer.status, b"", stream=answer.body)
        return Reply(answer.status, answer.body)

    def truncate_next_list(self, resource: str) -> None:
        plural = type_of_resource(resource).plural
        with self._lock:
            self._truncated.add(plural)

    def check_access(
        self, rtype: ResourceType, verb: str, namespace: str | None, name: str | None, user: str
    ) -> None:
        """403 with the apiserver's RBAC message while ``rtype`` is forbidden."""
        with self._lock:
            if rtype.plural not in self._forbidden:
                return
        subject = f'{rtype.qualified} "{name}"' if name else rtype.qualified
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{subject} is forbidden: User "{user}" cannot {verb} resource "{rtype.plural}" '
            f'in API group "{rtype.group}" {scope}'
        )
        raise StatusError(403, message, rtype.details(name))

    def raise_injected(self, rtype: ResourceType, page: int | None) -> None:
        """Use up the oldest failure injected for this request (``page`` None: not a list)."""
        fault = self._failures.take(
            lambda fault: fault.resource == rtype.plural and fault.on_page in (None, page)
        )
        if fault is not None:
            message = _FAULT_MESSAGES.get(fault.status, f"injected fault: HTTP {fault.status}")
            raise StatusError(fault.status, message, {})

    def maybe_truncated(self, rtype: ResourceType, body: bytes) -> bytes:
        """The list body, cut in half once after ``truncate_next_list``."""
        with self._lock:
            if rtype.plural not in self._truncated:
                return body
            self._truncated.discard(rtype.plural)
        return body[: len(body) // 2]
