"""The fast address and prefix text of ip_text.py against `ipaddress`, on arbitrary text and
values: the same result, or the same error message."""

from __future__ import annotations

import ipaddress

from hypothesis import example, given
from hypothesis import strategies as st

from reconciler.addresses import never_a_next_hop, never_a_pod_network
from reconciler.ip_text import address_text, network_text, parse_address, parse_network

V4 = st.integers(0, 2**32 - 1)
V6 = st.integers(0, 2**128 - 1)
# Values near the edges the formatter and parsers treat apart: zero runs, embedded IPv4.
V6_SHAPED = st.builds(
    lambda hextets: int("".join(f"{h:04x}" for h in hextets), 16),
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xABC, 0x10]), min_size=8, max_size=8),
)
ADDRESS_CHARS = "0123456789abcdefABCDEF:./% -x"
TEXT = st.one_of(
    st.text(alphabet=ADDRESS_CHARS, max_size=45),
    st.text(max_size=12),
    V4.map(lambda value: str(ipaddress.IPv4Address(value))),
    st.one_of(V6, V6_SHAPED).map(lambda value: str(ipaddress.IPv6Address(value))),
    st.one_of(V6, V6_SHAPED).map(lambda value: ipaddress.IPv6Address(value).exploded),
)
LENGTH = st.one_of(st.integers(0, 129).map(str), st.sampled_from(["", "024", "+8", " 8", "x"]))


def outcome(function, text):
    try:
        return function(text)
    except ValueError as error:
        return f"ValueError: {error}"


@given(TEXT)
@example("1:2:3:4:5:6:7::")
@example("1::2:3:4:5:6:7:8")
@example("::ffff:1.2.3.4")
@example("fe80::1%eth0")
@example("01.2.3.4")
def test_parse_address_is_ip_address(text):
    fast = outcome(parse_address, text)
    assert fast == outcome(ipaddress.ip_address, text)
    assert type(fast) is type(outcome(ipaddress.ip_address, text))


@given(TEXT, LENGTH, st.sampled_from(["/", "//", ""]))
@example("10.0.0.1", "24", "/")
@example("10.0.0.0", "255.255.255.0", "/")
@example("fd00::", "64", "/")
@example("fd00::1", "64", "/")
def test_parse_network_is_strict_ip_network(address, length, slash):
    text = f"{address}{slash}{length}"
    fast = outcome(parse_network, text)
    assert fast == outcome(lambda value: ipaddress.ip_network(value, strict=True), text)


@given(
    st.one_of(V4.map(ipaddress.IPv4Address), st.one_of(V6, V6_SHAPED).map(ipaddress.IPv6Address))
)
@example(ipaddress.IPv6Address("::ffff:1.2.3.4"))
@example(ipaddress.IPv6Address("::1.2.3.4"))
@example(ipaddress.IPv6Address("fe80::1%eth0"))
def test_address_text_is_str(address):
    assert address_text(address) == str(address)


@given(
    st.one_of(V4.map(lambda v: (v, 32)), st.one_of(V6, V6_SHAPED).map(lambda v: (v, 128))),
    st.data(),
)
def test_network_text_is_str(value_and_bits, data):
    value, bits = value_and_bits
    length = data.draw(st.integers(0, bits))
    network = ipaddress.ip_network((value >> (bits - length) << (bits - length), length))
    assert network_text(network) == str(network)


def old_never_a_pod_network(prefix):
    """The implementation the integer one replaced."""
    from reconciler.addresses import NEVER_A_NODE

    if prefix.prefixlen == 0:
        return "is a default route"
    for network, name in NEVER_A_NODE:
        if network.version == prefix.version and (
            prefix.subnet_of(network) or network.subnet_of(prefix)
        ):
            return f"overlaps {network} ({name}), never a pod network"
    return None


def old_never_a_next_hop(address):
    from reconciler.addresses import NEVER_A_NODE

    for network, name in NEVER_A_NODE:
        if address in network:
            return f"lies in {network} ({name}), never a node's address"
    return None


NEAR_RANGES = st.sampled_from(
    [0, 0x7F000001, 0xA9FE0000, 0xE0000000, 0xFFFFFFFF, 0x0A000000, 0xFEFFFFFF]
)


@given(st.one_of(V4, NEAR_RANGES), st.integers(0, 32))
def test_never_a_pod_network_v4_is_the_subnet_check(value, length):
    prefix = ipaddress.IPv4Network((value >> (32 - length) << (32 - length), length))
    assert never_a_pod_network(prefix) == old_never_a_pod_network(prefix)


@given(
    st.one_of(V6, V6_SHAPED, st.sampled_from([1, 2**128 - 1, 0xFE80 << 112, 0xFF << 120])),
    st.integers(0, 128),
)
def test_never_a_pod_network_v6_is_the_subnet_check(value, length):
    prefix = ipaddress.IPv6Network((value >> (128 - length) << (128 - length), length))
    assert never_a_pod_network(prefix) == old_never_a_pod_network(prefix)


@given(
    st.one_of(
        V4.map(ipaddress.IPv4Address),
        NEAR_RANGES.map(ipaddress.IPv4Address),
        st.one_of(V6, V6_SHAPED).map(ipaddress.IPv6Address),
    )
)
def test_never_a_next_hop_is_the_membership_check(address):
    assert never_a_next_hop(address) == old_never_a_next_hop(address)
