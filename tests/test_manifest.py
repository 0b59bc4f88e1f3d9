"""The manifest is canonical (byte-identical, sorted) and the loader names file, index and field."""

from __future__ import annotations

import pytest
from helpers import route
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest import Manifest, ManifestError, parse_manifest, render_manifest

ROUTES = (
    route("fd00:10:1::/64 fd00::11 w1"),
    route("10.0.10.0/24 192.168.10.12 w2"),
    route("10.0.9.0/24 192.168.10.11 w1"),
)


def manifest(routes=ROUTES) -> Manifest:
    return Manifest("c", "global", "Default-Cloud", "cilium-cluster-pool", tuple(routes))


def test_render_is_canonical_and_round_trips():
    text = render_manifest(manifest())
    assert text == (
        "# Managed by route-reconciler. Change it through a pull request.\n"
        "apiVersion: route-reconciler.io/v1alpha1\n"
        "kind: StaticRouteSet\n"
        "metadata: {cluster: c, vrf: global, cloud: Default-Cloud}\n"
        "spec:\n"
        "  ipamMode: cilium-cluster-pool\n"
        "  routes:\n"
        "  - {routeId: c.10.0.9.0_24, prefix: 10.0.9.0/24, nextHop: 192.168.10.11, node: w1}\n"
        "  - {routeId: c.10.0.10.0_24, prefix: 10.0.10.0/24, nextHop: 192.168.10.12, node: w2}\n"
        "  - {routeId: c.fd00-10-1--_64, prefix: 'fd00:10:1::/64', nextHop: 'fd00::11', node: w1}\n"
    )
    assert render_manifest(manifest(reversed(ROUTES))) == text
    assert parse_manifest(text, "m.yaml") == manifest(
        sorted(ROUTES, key=lambda r: (r.prefix.version, int(r.prefix.network_address)))
    )


def test_empty_manifest_round_trips():
    text = render_manifest(manifest(()))
    assert "routes: []" in text
    assert parse_manifest(text, "m.yaml").routes == ()


def test_loader_reports_every_problem_with_file_index_and_field():
    text = render_manifest(manifest()).replace("prefix: 10.0.10.0/24", "prefix: 10.0.10.1/24")
    text = text.replace("nextHop: 192.168.10.11", "nextHop: gateway")
    text = text.replace("node: w1}\n", "node: w1, color: red}\n", 1)
    with pytest.raises(ManifestError) as raised:
        parse_manifest(text, "routes/c/global.yaml")
    message = str(raised.value)
    assert "\n" not in message
    assert "routes/c/global.yaml: spec.routes[0].nextHop: 'gateway' is not an IP address" in message
    assert "routes/c/global.yaml: spec.routes[0].color: unknown field" in message
    assert (
        "routes/c/global.yaml: spec.routes[1].prefix: '10.0.10.1/24' has host bits set" in message
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("routeId: c.10.0.9.0_24", "routeId: other"),
            "spec.routes[0].routeId: 'other' should be 'c.10.0.9.0_24'",
        ),
        (
            ("nextHop: 192.168.10.11", "nextHop: 'fd00::1'"),
            "spec.routes[0].nextHop: fd00::1 is IPv6 but prefix",
        ),
        (("kind: StaticRouteSet", "kind: Other"), "kind: expected StaticRouteSet"),
        (("ipamMode: cilium-cluster-pool", "ipamMode: magic"), "spec.ipamMode: expected one of"),
        (
            ("metadata: {cluster: c,", "metadata: {cluster: 'a.b',"),
            "metadata.cluster: cluster name",
        ),
        (("  routes:\n", "  routes: {}\n  other:\n"), "spec.routes: expected a list"),
        (
            ("prefix: 10.0.10.0/24", "prefix: 10.0.9.0/24"),
            "spec.routes[1].prefix: 10.0.9.0/24 repeats spec.routes[0]",
        ),
        (("spec:\n", "spec: [\n"), "not valid YAML"),
    ],
)
def test_loader_rejects_hand_edits(edit, expected):
    text = render_manifest(manifest()).replace(*edit)
    with pytest.raises(ManifestError, match=None) as raised:
        parse_manifest(text, "m.yaml")
    assert expected in str(raised.value)


def test_loader_rejects_non_utf8_and_non_mappings():
    with pytest.raises(ManifestError, match=r"m\.yaml: not UTF-8"):
        parse_manifest(b"\xff\xfe", "m.yaml")
    with pytest.raises(ManifestError, match="expected a StaticRouteSet mapping"):
        parse_manifest("- a\n", "m.yaml")


@settings(max_examples=150, deadline=None)
@given(
    st.sets(
        st.tuples(st.integers(0, 255), st.integers(0, 255), st.sampled_from(["w1", "w2"])),
        max_size=20,
    )
)
def test_render_parse_render_is_a_fixed_point(entries):
    routes = [route(f"10.{a}.{b}.0/24 192.168.0.{a % 250 + 1} {n}") for a, b, n in entries]
    unique = {r.prefix: r for r in routes}.values()
    text = render_manifest(manifest(unique))
    assert render_manifest(parse_manifest(text, "m.yaml")) == text
