"""IP addresses and prefixes to and from text, fast for the forms clusters and manifests use. Pure.

`ipaddress` parses and prints in Python, a few microseconds a value, which a 10,000-route render
pays several times per route. Here the plain forms (dotted quads, colon-separated hextets) are
read by the C library's `inet_pton` once a regular expression has admitted their shape, and
written by `inet_ntop` (IPv6) or integer arithmetic (IPv4); anything else (a zone id, an
embedded IPv4 address, a netmask instead of a length, a value with host bits, or anything
malformed) goes to `ipaddress` itself, so every result and every error message is the one it
gives.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from typing import Final

from reconciler.addresses import IPAddress, IPNetwork

_OCTET: Final = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD: Final = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_V4_CIDR: Final = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}/(3[0-2]|[12]?[0-9])")
# Hextets and colons only; at most 8 hextets of 4 digits and 7 colons (or one `::` more).
_HEXTETS: Final = re.compile(r"[0-9a-fA-F:]{2,40}")
_V6_CIDR: Final = re.compile(r"([0-9a-fA-F:]{2,40})/(12[0-8]|1[01][0-9]|[1-9]?[0-9])")
_V4_BITS: Final = 32
_V6_BITS: Final = 128
# `str()` of an IPv6 address in ::/96 (IPv4-compatible) or ::ffff:0:0/96 (IPv4-mapped) differs
# between Python versions; those are left to `ipaddress`.
_EMBEDS_V4 = (0, 0xFFFF)


def parse_address(text: str) -> IPAddress:
    """`ipaddress.ip_address(text)`, ValueError included."""
    if _DOTTED_QUAD.fullmatch(text):
        return ipaddress.IPv4Address(_packed_int(socket.AF_INET, text))
    if _HEXTETS.fullmatch(text):
        value = _hextets_int(text)
        if value is not None:
            return ipaddress.IPv6Address(value)
    return ipaddress.ip_address(text)


def parse_network(text: str) -> IPNetwork:
    """`ipaddress.ip_network(text, strict=True)`, ValueError included."""
    cidr = _V4_CIDR.fullmatch(text)
    if cidr is not None:
        address, _, length = text.partition("/")
        start = _packed_int(socket.AF_INET, address)
        if not start & _host_mask(_V4_BITS, int(length)):
            return ipaddress.IPv4Network((start, int(length)))
    else:
        cidr = _V6_CIDR.fullmatch(text)
        if cidr is not None:
            start_or_none = _hextets_int(cidr.group(1))
            length = cidr.group(2)
            if start_or_none is not None and not start_or_none & _host_mask(_V6_BITS, int(length)):
                return ipaddress.IPv6Network((start_or_none, int(length)))
    return ipaddress.ip_network(text, strict=True)


def address_text(address: IPAddress) -> str:
    """`str(address)`."""
    value = int(address)
    if isinstance(address, ipaddress.IPv4Address):
        return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"
    if value >> 32 in _EMBEDS_V4 or address.scope_id is not None:
        return str(address)
    return _hextets_text(value)


def network_text(network: IPNetwork) -> str:
    """`str(network)`."""
    return f"{address_text(network.network_address)}/{network.prefixlen}"


def _packed_int(family: int, text: str) -> int:
    """The value of a text whose shape a regular expression admitted: a dotted quad always
    parses; hextets may still be malformed (a second `::`), which the caller checks."""
    return int.from_bytes(socket.inet_pton(family, text), "big")


def _host_mask(bits: int, length: int) -> int:
    return (1 << (bits - length)) - 1


def _hextets_int(text: str) -> int | None:
    """The value of 8 hextets, or of fewer around one `::` standing for at least one zero
    hextet; None for anything else (which `ipaddress` then reads or refuses)."""
    try:
        return _packed_int(socket.AF_INET6, text)
    except OSError:
        return None


@functools.lru_cache(maxsize=1 << 16)
def _hextets_text(value: int) -> str:
    """RFC 5952, as `ipaddress` writes it (lower case, no leading zeros, the first longest run
    of two or more zero hextets as `::`), which the C library's `inet_ntop` writes for every
    address outside the two IPv4-embedding ranges. Remembered: a render writes each IPv6 prefix
    and next hop into its route id, the manifest and the change list."""
    return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
