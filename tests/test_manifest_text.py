"""The direct manifest writer and reader of manifest_text.py against PyYAML and the validating
loader, on arbitrary manifests and on arbitrary, hand-edited and broken text."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler import manifest_text
from reconciler.manifest import (
    IPAM_MODES,
    Manifest,
    ManifestError,
    parse_manifest,
    render_manifest,
    validated_manifest,
    yaml_text,
)
from reconciler.routes import Route, route_id

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Scalars of every class the writer tells apart: plain, plain but read as something else,
# colon-quoted, and anything else (spaces, quotes, indicators, non-ASCII, line breaks).
SCALAR = st.one_of(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,12}", fullmatch=True),
    st.sampled_from(["123", "1.5", "true", "No", "null", "2001-12-14", "0x1f", "1_000", "on"]),
    st.from_regex(r"[A-Za-z0-9._/:-]{0,8}:[A-Za-z0-9._/:-]{0,8}", fullmatch=True),
    st.text(alphabet="ab-.:/_ #'\"{},[]&*!|>%@`?~=<é\n\t", min_size=1, max_size=8),
    st.text(min_size=1, max_size=6),
)
PREFIX = st.one_of(
    st.builds(
        lambda value, length: ipaddress.IPv4Network(
            (value >> (32 - length) << (32 - length), length)
        ),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    ),
    st.builds(
        lambda value, length: ipaddress.IPv6Network(
            (value >> (128 - length) << (128 - length), length)
        ),
        st.one_of(st.integers(0, 2**128 - 1), st.integers(0, 2**40)),
        st.integers(0, 128),
    ),
)
ADDRESS = st.one_of(
    st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address),
    st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address),
)
CLUSTER = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,10}", fullmatch=True), SCALAR)


@st.composite
def manifests(draw, valid=False, first=r"[A-Za-z0-9_-]"):
    """`valid`: what the loader accepts; `first`: the first character of its names."""
    cluster = draw(
        st.from_regex(rf"{first}[A-Za-z0-9_-]{{0,9}}", fullmatch=True) if valid else CLUSTER
    )
    prefixes = draw(st.lists(PREFIX, max_size=6, unique=True))
    routes = []
    for prefix in prefixes:
        version = prefix.version
        hop = draw(ADDRESS.filter(lambda a, v=version: a.version == v) if valid else ADDRESS)
        rid = route_id(cluster, prefix) if valid or draw(st.booleans()) else draw(SCALAR)
        routes.append(Route(prefix, hop, draw(SCALAR), rid))
    names = st.from_regex(rf"{first}[A-Za-z0-9._-]{{0,10}}", fullmatch=True)
    return Manifest(
        cluster,
        draw(names if valid else st.one_of(names, SCALAR)),
        draw(names if valid else st.one_of(names, SCALAR)),
        draw(
            st.sampled_from(IPAM_MODES) if valid else st.one_of(st.sampled_from(IPAM_MODES), SCALAR)
        ),
        tuple(routes),
    )


TWO_ROUTES = Manifest(
    "c",
    "global",
    "Default-Cloud",
    "cilium-cluster-pool",
    (
        Route(
            ipaddress.ip_network("10.0.1.0/24"),
            ipaddress.ip_address("10.1.0.1"),
            "w1",
            "c.10.0.1.0_24",
        ),
        Route(
            ipaddress.ip_network("fd00::/64"),
            ipaddress.ip_address("fd00:1::1"),
            "w2",
            "c.fd00--_64",
        ),
    ),
)


@SETTINGS
@given(manifests())
@example(  # a line libyaml would break
    Manifest(
        "c",
        "global",
        "Default-Cloud",
        "cilium-cluster-pool",
        (replace(TWO_ROUTES.routes[0], route_id="r" * 5000),),
    )
)
def test_direct_writer_is_byte_identical_to_pyyaml(manifest):
    text = manifest_text.write(
        manifest.cluster, manifest.vrf, manifest.cloud, manifest.ipam_mode, manifest.routes
    )
    assert text is None or text == yaml_text(manifest)
    assert render_manifest(manifest) == yaml_text(manifest)


@SETTINGS
@given(manifests(valid=True, first="[A-Za-z0-9_]"))
def test_plain_manifests_are_written_directly_and_read_back(manifest):
    """Ours (names that do not start with '-', our route ids, node names as Kubernetes allows
    them): the fast path both ways."""
    plain = Manifest(
        manifest.cluster,
        manifest.vrf,
        manifest.cloud,
        manifest.ipam_mode,
        tuple(
            Route(r.prefix, r.next_hop, f"node-{i}", r.route_id)
            for i, r in enumerate(manifest.routes)
        ),
    )
    text = render_manifest(plain)
    assert text == yaml_text(plain)
    assert manifest_text.read(text) is not None
    assert parse_manifest(text, "m.yaml") == validated_manifest(text, "m.yaml")


def loaded(text):
    try:
        return validated_manifest(text, "m.yaml")
    except ManifestError as error:
        return error


@st.composite
def edited(draw):
    """A rendered manifest, maybe with one hand edit: a character changed, inserted or
    removed, a line repeated, dropped or swapped with the next."""
    text = render_manifest(draw(manifests(valid=draw(st.booleans()))))
    lines = text.split("\n")
    edit = draw(st.sampled_from(["none", "char", "insert", "delete", "repeat", "drop", "swap"]))
    index = draw(st.integers(0, len(text) - 1))
    route_lines = [i for i, line in enumerate(lines) if line.startswith("  - ")]
    line = draw(st.sampled_from(route_lines) if route_lines else st.integers(0, len(lines) - 2))
    character = draw(st.sampled_from([*"0 1:a'/.-_f{},\n#", "é"]))
    if edit == "char":
        return text[:index] + character + text[index + 1 :]
    if edit == "insert":
        return text[:index] + character + text[index:]
    if edit == "delete":
        return text[:index] + text[index + 1 :]
    if edit == "repeat":
        lines.insert(line, lines[line])
    elif edit == "drop":
        del lines[line]
    elif edit == "swap" and line + 1 < len(lines):
        lines[line], lines[line + 1] = lines[line + 1], lines[line]
    return "\n".join(lines)


@SETTINGS
@given(st.one_of(edited(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)))
@example(render_manifest(Manifest("c", "global", "Default-Cloud", "cilium-cluster-pool", ())))
@example(render_manifest(TWO_ROUTES).replace("c.10.0.1.0_24", "c.10.0.2.0_24"))
@example(render_manifest(TWO_ROUTES).replace("c.fd00--_64", "c.fd00-0--_64"))
@example(
    render_manifest(TWO_ROUTES).replace("w1}", "w1}\n" + render_manifest(TWO_ROUTES).split("\n")[7])
)
@example(
    render_manifest(Manifest("c", "global", "Default-Cloud", "cilium-cluster-pool", ())).replace(
        "  routes: []", "  routes:"
    )
)
def test_reader_takes_only_what_the_validating_loader_reads_the_same(text):
    expected = loaded(text)
    recognised = manifest_text.read(text)
    if recognised is not None:
        assert Manifest(*recognised) == expected
        assert manifest_text.write(*recognised) == text
    if isinstance(expected, ManifestError):
        with pytest.raises(ManifestError) as raised:
            parse_manifest(text, "m.yaml")
        assert str(raised.value) == str(expected)
    else:
        assert parse_manifest(text, "m.yaml") == expected
