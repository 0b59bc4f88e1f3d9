"""The typed decoding of wire.py against `json.loads`: every reader, `check` and the route rules
see the same on both decodings, and arbitrary or broken JSON is either decoded as `json.loads`
decodes it (Nodes and CiliumNodes pruned to the fields read) or left to the generic path."""

from __future__ import annotations

import json

import pytest
import yaml
from cni_clusters import CLUSTERS
from helpers import DATA, write_objects
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.errors import InputError
from reconciler.ipam import wire
from reconciler.ipam.read import read_cluster
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.preflight import sctp_findings
from reconciler.routes import compute_routes

ROUTE_CASES = yaml.safe_load((DATA / "route_cases.yaml").read_text())
CLUSTER_CASES = [(name, make().objects, make().cni_plugin) for name, make in CLUSTERS.items()]
CASES = [(case["name"], case["objects"], case.get("cniPlugin", "auto")) for case in ROUTE_CASES]
# The fields of a Node or CiliumNode the readers read, as paths: the oracle of the pruning.
READ_FIELDS = {
    ("apiVersion",),
    ("kind",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "annotations"),
    ("spec", "podCIDRs"),
    ("spec", "podCIDR"),
    ("spec", "addresses"),
    ("spec", "ipam"),
    ("status", "addresses"),
    ("status", "nodeInfo", "kernelVersion"),
}


def kubectl_json(path, objects):
    """As `kubectl get nodes,ciliumnodes,... -o json` prints them: one List."""
    document = {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {}}
    path.write_text(json.dumps(document, indent=4))
    return path


def everything_read(source, cni_plugin):
    cluster = read_cluster(source, cni_plugin, "kube-system")
    kernels = sctp_findings({"enable-sctp": "true"}, [], cluster.nodes, expect_sctp=True)
    return cluster.ipam, cluster.cilium_config, compute_routes(cluster.ipam, "c"), kernels


def outcome(function):
    try:
        return function()
    except Exception as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize(("name", "objects", "cni_plugin"), CLUSTER_CASES + CASES)
def test_every_reader_reads_the_same_from_pruned_objects(name, objects, cni_plugin, tmp_path):
    pruned = outcome(lambda: SnapshotSource([kubectl_json(tmp_path / "c.json", objects)]))
    whole = outcome(lambda: SnapshotSource([write_objects(tmp_path / "c.yaml", objects)]))
    assert isinstance(pruned, SnapshotSource) == isinstance(whole, SnapshotSource)
    if isinstance(pruned, SnapshotSource):
        assert outcome(lambda: everything_read(pruned, cni_plugin)) == outcome(
            lambda: everything_read(whole, cni_plugin)
        )
    else:
        assert pruned.replace("c.json", "c") == whole.replace("c.yaml", "c")


def pruned(value, paths=READ_FIELDS, depth=0):
    """The oracle: `value` with only the READ_FIELDS of it (a field on a path whose parent is
    not an object makes the typed decoder refuse the object: then it is whole)."""
    kept = {}
    for key in value:
        below = {path for path in paths if path[depth] == key}
        if not below:
            continue
        if any(len(path) == depth + 1 for path in below):
            kept[key] = value[key]
            continue
        inner = pruned(value[key], below, depth + 1) if isinstance(value[key], dict) else None
        if inner is None:
            return None
        kept[key] = inner
    return kept


def expected_items(document, wanted):
    kind = document["kind"]
    item_kind = kind[: -len("List")] or None
    items = []
    for item in document.get("items") or ():
        if not isinstance(item, dict):
            items.append(item)
            continue
        smaller = pruned(item)
        effective = item.get("kind", item_kind)
        if smaller is not None and (
            effective in wire.PRUNED_KINDS
            or (isinstance(effective, str) and effective not in wanted)
        ):
            items.append(smaller)
        else:
            items.append(item)
    return items


JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELD = st.sampled_from(["metadata", "spec", "status", "nodeInfo", "name", "podCIDRs", "ipam", "x"])
OBJECT = st.recursive(
    st.dictionaries(FIELD, JSON_VALUE, max_size=4),
    lambda inner: st.dictionaries(FIELD, st.one_of(inner, JSON_VALUE), max_size=4),
    max_leaves=10,
)
KINDS = st.sampled_from(["Node", "CiliumNode", "ConfigMap", "Pod", "", None, 3])


@st.composite
def listings(draw):
    items = []
    for obj in draw(st.lists(OBJECT, max_size=4)):
        kind = draw(KINDS)
        if kind != "":
            obj = {**obj, "kind": kind}
        items.append(obj)
    if draw(st.booleans()):
        items.append(draw(JSON_VALUE))
    kind = draw(st.sampled_from(["List", "NodeList", "CiliumNodeList", "ConfigMap", "Listing"]))
    return {"apiVersion": "v1", "kind": kind, "items": items}


@st.composite
def texts(draw):
    """A listing as JSON, maybe broken: a byte changed, inserted or removed."""
    data = json.dumps(draw(listings()), indent=draw(st.sampled_from([None, 4]))).encode()
    index = draw(st.integers(0, len(data) - 1))
    byte = bytes([draw(st.sampled_from(b'{}[]":,0\\ \xff\x01Na'))])
    edit = draw(st.sampled_from(["none", "none", "change", "insert", "delete"]))
    if edit == "change":
        return data[:index] + byte + data[index + 1 :]
    if edit == "insert":
        return data[:index] + byte + data[index:]
    if edit == "delete":
        return data[:index] + data[index + 1 :]
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(), st.sampled_from([frozenset(), frozenset({"ConfigMap", "Node"})]))
@example(b'{"kind":"List","items":[{"kind":"Node","x":"\xff"}]}', frozenset())
@example(b'{"kind":"List","items":[{"kind":"Node","x":NaN}]}', frozenset())
@example(b'{"kind":"List","items":[{"kind":"Node","x":1e400}]}', frozenset())
@example(b'{"kind":"List","items":[{"kind":"Node","x":"\\ud800"}]}', frozenset())
@example(b'\xef\xbb\xbf{"kind":"List","items":[]}', frozenset())
@example(b'{"kind":"List","items":[{"kind":"Node","metadata":null}]}', frozenset())
@example(
    b'{"kind":"List","items":[{"kind":"Node","m":' + b"[" * 5000 + b"]" * 5000 + b"}]}", frozenset()
)
def test_decode_list_is_json_loads_pruned(data, wanted):
    decoded = wire.decode_list(data, wanted)
    if decoded is None:
        return
    document = json.loads(data.decode("utf-8"))
    assert decoded == {"kind": document["kind"], "items": expected_items(document, wanted)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_decode_page_is_json_loads_pruned(data):
    decoded = wire.decode_page(data)
    if decoded is None:
        return
    document = json.loads(data.decode("utf-8"))
    items = document.get("items")
    assert decoded["items"] == (None if items is None else [pruned(item) for item in items])
    assert decoded["metadata"] == document.get("metadata")


def test_objects_twice_are_compared_whole(tmp_path):
    """Pruned objects cannot tell two different Nodes of one name apart: read whole then."""
    nodes = CLUSTER_CASES[0][1][:1]
    first = kubectl_json(tmp_path / "a.json", nodes)
    again = kubectl_json(tmp_path / "b.json", nodes)
    assert len(SnapshotSource([first, again]).nodes()) == 1
    other = [{**nodes[0], "status": {**nodes[0]["status"], "images": [{"names": ["x"]}]}}]
    different = kubectl_json(tmp_path / "c.json", other)
    with pytest.raises(InputError, match="two different objects of this name") as raised:
        SnapshotSource([first, different])
    assert f"{first} and {different}" in str(raised.value)
