"""List paging as the apiserver does it: ``limit``, opaque ``continue`` tokens, the list envelope
and the 410 that tells a client its token outlived the snapshot."""

from __future__ import annotations

import base64
import json
from typing import NamedTuple

from reconciler.sim.kube.resources import Obj, ResourceType
from reconciler.sim.kube.status import StatusError, bad_request, dump
from reconciler.sim.kube.store import Page

_TOKEN_VERSION = "meta.k8s.io/v1"
_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)
_LATEST = -1


class ContinueToken(NamedTuple):
    """Where a list continues: page ``page`` from ``start_key`` in one snapshot."""

    resource_version: int  # negative: the latest state, as after an expired token
    start_key: str
    page: int

    @property
    def snapshot(self) -> int | None:
        """The resourceVersion of the snapshot to read; None for the latest state."""
        return None if self.resource_version < 0 else self.resource_version


FIRST_PAGE = ContinueToken(_LATEST, "", 1)  # a list request without ``continue``


def encode_continue(token: ContinueToken) -> str:
    """The apiserver's token shape, plus the page number that ``fail(on_page=...)`` matches."""
    raw = dump(
        {
            "v": _TOKEN_VERSION,
            "rv": token.resource_version,
            "start": token.start_key,
            "page": token.page,
        }
    )
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_continue(token: str) -> ContinueToken:
    """Parse a token the way the apiserver does, answering 400 for anything malformed."""
    prefix = "invalid continue token: continue key is not valid"
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        data = json.loads(raw)
    except ValueError as exc:  # bad base64 (binascii.Error) and bad JSON are both ValueErrors
        raise bad_request(f"{prefix}: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request(prefix)
    if data.get("v") != _TOKEN_VERSION:
        raise bad_request(f"{prefix}: server does not recognize this encoded version")
    resource_version, start_key, page = data.get("rv"), data.get("start"), data.get("page")
    if type(resource_version) is not int or resource_version == 0:
        raise bad_request(
            f"{prefix}: incorrect encoded start resourceVersion (version {_TOKEN_VERSION})"
        )
    if not isinstance(start_key, str) or not start_key:
        raise bad_request(f"{prefix}: encoded start key empty (version {_TOKEN_VERSION})")
    if type(page) is not int or page < 2:
        raise bad_request(prefix)
    return ContinueToken(resource_version, start_key, page)


def parse_limit(raw: str | None) -> int:
    """The ``limit`` query parameter; 0 means no limit."""
    if raw is None or raw == "":
        return 0
    try:
        return max(int(raw), 0)
    except ValueError:
        raise bad_request(f'invalid value for limit: "{raw}"') from None


def expired(token: ContinueToken) -> StatusError:
    """410 Expired, with a token that resumes from the latest state where this one stopped."""
    fresh = encode_continue(token._replace(resource_version=_LATEST))
    return StatusError(410, _EXPIRED_CONTINUE, {}, reason="Expired", continue_token=fresh)


def list_body(rtype: ResourceType, page: Page, token: ContinueToken) -> bytes:
    """The list envelope, joined from the stored item JSON, with a token if more follow."""
    metadata: Obj = {"resourceVersion": str(page.resource_version)}
    if page.last_key is not None:
        next_token = ContinueToken(page.resource_version, page.last_key + "\x00", token.page + 1)
        metadata["continue"] = encode_continue(next_token)
        metadata["remainingItemCount"] = page.remaining
    return (
        f'{{"kind":"{rtype.kind}List","apiVersion":"{rtype.api_version}",'
        f'"metadata":{dump(metadata)},"items":[{",".join(page.items)}]}}'
    ).encode()
