"""Checks on create and update bodies, answered with the apiserver's 400 and 422 messages."""

from __future__ import annotations

import json

from reconciler.sim.kube.resources import Obj, ResourceType
from reconciler.sim.kube.status import StatusError, bad_request


def parse_body(body: bytes) -> Obj:
    try:
        obj = json.loads(body)
    except ValueError as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise bad_request("the request body must be a JSON object")
    return obj


def checked_name(
    rtype: ResourceType, obj: Obj, namespace: str | None, name_on_url: str | None = None
) -> str:
    """Validate a create/update body against the URL; return the object's name."""
    if obj.get("kind") not in (None, rtype.kind) or obj.get("apiVersion") not in (
        None,
        rtype.api_version,
    ):
        raise bad_request(
            f"the object's kind/apiVersion ({obj.get('kind')}, {obj.get('apiVersion')}) does not "
            f"match the expected ({rtype.kind}, {rtype.api_version})"
        )
    metadata = obj.get("metadata") or {}
    if metadata.get("namespace") not in (None, "", namespace) and rtype.namespaced:
        raise bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise StatusError(
            422,
            f'{rtype.qualified_kind} "" is invalid: metadata.name: Required value: '
            "name or generateName is required",
            {"group": rtype.group, "kind": rtype.kind} if rtype.group else {"kind": rtype.kind},
        )
    if name_on_url is not None and name != name_on_url:
        raise bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({name_on_url})"
        )
    return name
