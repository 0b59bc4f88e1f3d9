"""Prefixes as (version, network address, length) keys, and which of them nest. Pure.

A key sorts IPv4 before IPv6, then by address, then by length, as manifests list routes, and is
cheap to build from Avi's JSON, where a shared VRF holds tens of thousands of foreign routes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reconciler.addresses import IPNetwork

PrefixKey = tuple[int, int, int]


def prefix_key(prefix: IPNetwork) -> PrefixKey:
    return (prefix.version, int(prefix.network_address), prefix.prefixlen)


def contains(outer: PrefixKey, inner: PrefixKey) -> bool:
    version, start, length = outer
    if version != inner[0] or length > inner[2]:
        return False
    shift = (32 if version == 4 else 128) - length
    return inner[1] >> shift == start >> shift


def nested_pairs(keys: Sequence[PrefixKey]) -> Iterator[tuple[int, int]]:
    """Every (outer, inner) pair of indexes into `keys` whose prefixes nest, equal ones included
    (the earlier index is then the outer one). Two CIDRs either nest or are disjoint, so one
    sweep in key order finds them all: the prefixes enclosing the current one form a stack of at
    most 129 entries."""
    enclosing: list[int] = []
    for index in sorted(range(len(keys)), key=keys.__getitem__):
        while enclosing and not contains(keys[enclosing[-1]], keys[index]):
            enclosing.pop()
        for outer in enclosing:
            yield outer, index
        enclosing.append(index)
