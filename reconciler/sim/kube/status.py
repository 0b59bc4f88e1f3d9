"""Kubernetes ``Status`` failures with the apiserver's reasons and messages, since the official
client and the code under test branch on them."""

from __future__ import annotations

import json
from typing import Any

from reconciler.sim.kube.resources import Obj, ResourceType
from reconciler.sim.server import Reply

_COMPACT_JSON = (",", ":")
_NOT_SERVED = "the server could not find the requested resource"
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


def dump(value: Any) -> str:
    return json.dumps(value, separators=_COMPACT_JSON)


def json_reply(status: int, body: Obj) -> Reply:
    return Reply(status, dump(body).encode())


class StatusError(Exception):
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
        return Reply(self.code, dump(body).encode(), headers=headers)


def not_served() -> StatusError:
    return StatusError(404, _NOT_SERVED, {})


def not_found(rtype: ResourceType, name: str) -> StatusError:
    return StatusError(404, f'{rtype.qualified} "{name}" not found', rtype.details(name))


def bad_request(message: str) -> StatusError:
    return StatusError(400, message, {})
