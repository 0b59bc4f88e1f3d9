"""The canonical manifest text, written and recognised without a YAML library. Pure.

A manifest has one fixed shape, so writing it is a matter of which scalars may stand plain and
which need quotes, which PyYAML's representer decides in Python at microseconds a scalar. Here
two plainly safe classes are decided by regular expressions and PyYAML's own implicit resolvers:
a scalar of letters, digits and `._/-` that starts with a letter, digit or `_` is written plain
unless it would read back as something else (`123`, `true`, `2001-12-14`: quoted); one that also
holds a `:` (an IPv6 prefix) is single-quoted. Any other scalar (a hand-edited node name with a
space, a decommission reason) returns None, and the caller lets PyYAML write the whole manifest:
the text is always the one `yamlio.dump` writes (tests/test_manifest_text.py compares them).

A committed manifest is ours, so reading it starts by recognising it: its fixed lines are
parsed, what the validating loader checks is checked, and each line is compared with the line
`write` would write; only text `write` gives back byte for byte is taken. Anything else
returns None, for the validating loader to read and report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Final

from reconciler import yamlio
from reconciler.errors import InputError
from reconciler.ip_text import address_text, network_text, parse_address
from reconciler.ipam.model import IpamMode
from reconciler.names import validate_cloud_name, validate_cluster_name, validate_vrf_name
from reconciler.prefixes import PrefixKey, prefix_key
from reconciler.routes import Route, parse_cidr, sort_routes

API_VERSION: Final = "route-reconciler.io/v1alpha1"
KIND: Final = "StaticRouteSet"
HEADER: Final = "# Managed by route-reconciler. Change it through a pull request.\n"
IPAM_MODES: Final = tuple(sorted(str(mode) for mode in IpamMode))

# libyaml breaks a line longer than this (yamlio.dump's width); no line here may be longer.
_WIDTH: Final = 4096
_PLAIN: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
_QUOTED: Final = re.compile(r"[A-Za-z0-9._/-]*:[A-Za-z0-9._/:-]*")
# What PyYAML reads a plain scalar as, by its first character: any match is not a string.
_IMPLICIT: Final = {
    first: tuple(regexp for _tag, regexp in resolvers)
    for first, resolvers in yamlio.SafeDumper.yaml_implicit_resolvers.items()
}
_ANY_FIRST: Final = _IMPLICIT.get(None, ())

_VALUE: Final = r"('[A-Za-z0-9._/:-]+'|[A-Za-z0-9_][A-Za-z0-9._/-]*)"
_FIXED_LINES: Final = (HEADER.rstrip("\n"), f"apiVersion: {API_VERSION}", f"kind: {KIND}")
_METADATA_LINE: Final = re.compile(
    rf"metadata: \{{cluster: {_VALUE}, vrf: {_VALUE}, cloud: {_VALUE}\}}"
)
_MODE_LINE: Final = re.compile(r"  ipamMode: ([A-Za-z0-9_][A-Za-z0-9._/-]*)")
_ROUTE_LINE: Final = re.compile(
    rf"  - \{{routeId: {_VALUE}, prefix: {_VALUE}, nextHop: {_VALUE}, node: {_VALUE}\}}"
)
_ROUTES: Final = "  routes:"
_NO_ROUTES: Final = "  routes: []"


def write(
    cluster: str, vrf: str, cloud: str, ipam_mode: str, routes: Sequence[Route]
) -> str | None:
    """HEADER and the manifest as `yamlio.dump` writes it; None when a scalar is not plainly
    safe (PyYAML then writes it)."""
    metadata, mode = _metadata_line(cluster, vrf, cloud), f"  ipamMode: {ipam_mode}"
    if metadata is None or not _plain(ipam_mode) or len(mode) > _WIDTH:
        return None
    lines = [
        *_FIXED_LINES,
        metadata,
        "spec:",
        mode,
        _ROUTES if routes else _NO_ROUTES,
    ]
    for route in sort_routes(routes):
        line = _route_line(route)
        if line is None:
            return None
        lines.append(line)
    lines.append("")
    return "\n".join(lines)


def read(text: str) -> tuple[str, str, str, str, tuple[Route, ...]] | None:
    """(cluster, vrf, cloud, ipam mode, routes) of a canonical manifest without decommission
    marker, exactly as the validating loader reads it; None for any other text.

    Canonical means `write` gives this text back. That is checked line by line, without writing
    the manifest again: the fixed lines, each route line as `write` writes its route, and the
    routes in strictly ascending order (which is also what makes their prefixes unique)."""
    lines = text.split("\n")
    if tuple(lines[:3]) != _FIXED_LINES or len(lines) < 8 or lines[4] != "spec:":
        return None
    metadata, mode = _METADATA_LINE.fullmatch(lines[3]), _MODE_LINE.fullmatch(lines[5])
    if metadata is None or mode is None or mode.group(1) not in IPAM_MODES:
        return None
    cluster, vrf, cloud = (_unquoted(value) for value in metadata.groups())
    try:
        validate_cluster_name(cluster)
        validate_vrf_name(vrf)
        validate_cloud_name(cloud)
    except InputError:
        return None
    route_lines = lines[7:-1]
    if (
        _metadata_line(cluster, vrf, cloud) != lines[3]
        or not _plain(mode.group(1))
        or lines[6] != (_ROUTES if route_lines else _NO_ROUTES)
        or lines[-1]
    ):
        return None
    routes = []
    previous: PrefixKey | None = None
    for line in route_lines:
        found = _route_of_line(cluster, line)
        if found is None or (previous is not None and found[1] <= previous):
            return None
        routes.append(found[0])
        previous = found[1]
    return cluster, vrf, cloud, mode.group(1), tuple(routes)


def _metadata_line(cluster: str, vrf: str, cloud: str) -> str | None:
    scalars = (_flow_scalar(cluster), _flow_scalar(vrf), _flow_scalar(cloud))
    if None in scalars:
        return None
    line = "metadata: {{cluster: {}, vrf: {}, cloud: {}}}".format(*scalars)
    return line if len(line) <= _WIDTH else None


def _route_line(route: Route) -> str | None:
    """The route's line as `write` writes it; None when a scalar is not plainly safe or the line
    would be longer than libyaml writes one."""
    route_id, node = _flow_scalar(route.route_id), _flow_scalar(route.node)
    if route_id is None or node is None:
        return None
    prefix = _address_scalar(network_text(route.prefix))
    next_hop = _address_scalar(address_text(route.next_hop))
    line = f"  - {{routeId: {route_id}, prefix: {prefix}, nextHop: {next_hop}, node: {node}}}"
    return line if len(line) <= _WIDTH else None


@functools.lru_cache(maxsize=1 << 17)
def _route_of_line(cluster: str, line: str) -> tuple[Route, PrefixKey] | None:
    """The route of a canonical route line and its sort key, if the line passes the validating
    loader's checks. Remembered: apply reads the applied and the reviewed manifest, which
    mostly share their lines."""
    match = _ROUTE_LINE.fullmatch(line)
    if match is None:
        return None
    route_id, prefix_text, next_hop_text, node = (_unquoted(v) for v in match.groups())
    try:
        prefix, next_hop = parse_cidr(prefix_text), parse_address(next_hop_text)
    except ValueError:
        return None
    address, _, length = prefix_text.partition("/")
    if (
        prefix.version != next_hop.version
        or route_id != f"{cluster}.{address.replace(':', '-')}_{length}"
    ):
        return None
    route = Route(prefix, next_hop, node, route_id)
    if _route_line(route) != line:
        return None
    return route, prefix_key(prefix)


def _flow_scalar(value: str) -> str | None:
    """How libyaml writes `value` inside a flow mapping, when that is plainly decided."""
    if _PLAIN.fullmatch(value):
        return f"'{value}'" if _reads_as_other(value) else value
    if _QUOTED.fullmatch(value):
        return f"'{value}'"
    return None


def _address_scalar(text: str) -> str:
    """An address or prefix as `_flow_scalar` writes it, without asking the resolvers: a dotted
    quad holds three dots, which no YAML 1.1 number, date or word does, and an IPv6 text holds a
    colon (tests/test_manifest_text.py holds this to PyYAML on arbitrary addresses)."""
    return f"'{text}'" if ":" in text else text


def _plain(value: str) -> bool:
    return _PLAIN.fullmatch(value) is not None and not _reads_as_other(value)


def _reads_as_other(value: str) -> bool:
    return any(regexp.match(value) for regexp in (*_IMPLICIT.get(value[0], ()), *_ANY_FIRST))


def _unquoted(value: str) -> str:
    return value[1:-1] if value.startswith("'") else value
