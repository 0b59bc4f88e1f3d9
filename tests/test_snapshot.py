"""Offline snapshots accept what kubectl prints: List, single object, multi-document, YAML, JSON."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers import cilium_config, cilium_node, node

from reconciler.errors import InputError
from reconciler.ipam.model import CILIUM_NODES
from reconciler.ipam.snapshot import SnapshotSource

OBJECTS = [node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"])]


def kubectl_list(items):
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


@pytest.mark.parametrize(
    "write",
    [
        lambda p: p.write_text(yaml.safe_dump(kubectl_list(OBJECTS))),
        lambda p: p.write_text(json.dumps(kubectl_list(OBJECTS), indent=4)),
        lambda p: p.write_text(yaml.safe_dump_all(OBJECTS)),
        lambda p: p.write_text(
            "---\n" + yaml.safe_dump_all(OBJECTS, explicit_start=True) + "...\n"
        ),
    ],
    ids=["yaml-list", "json-list", "multi-document", "explicit-markers"],
)
def test_kubectl_formats(tmp_path, write):
    path = tmp_path / "dump"
    write(path)
    source = SnapshotSource([path])
    assert [n["metadata"]["name"] for n in source.nodes()] == ["w1"]
    assert [n["metadata"]["name"] for n in source.custom_objects(CILIUM_NODES)] == ["w1"]


def test_several_files_and_typed_lists(tmp_path):
    nodes = tmp_path / "nodes.json"
    bare_items = [
        {k: v for k, v in node("w2", "192.168.10.12").items() if k not in ("kind", "apiVersion")}
    ]
    nodes.write_text(json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": bare_items}))
    config = tmp_path / "cm.yaml"
    config.write_text(yaml.safe_dump(cilium_config("kubernetes", **{"enable-sctp": "true"})))
    source = SnapshotSource([nodes, config])
    assert source.nodes()[0]["metadata"]["name"] == "w2"
    assert source.cilium_config("kube-system") == {"ipam": "kubernetes", "enable-sctp": "true"}
    assert source.cilium_config("cilium") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"kind: List\nitems: [\n", "not valid YAML"),
        (b'{"kind": "List", "items": [', "not valid JSON"),
        (b"- just\n- a list\n", "expected Kubernetes objects"),
        (b"kind: List\nitems:\n- metadata: {name: w1}\n", r"items\[0\] has no kind"),
    ],
)
def test_bad_snapshots_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        SnapshotSource([path])
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        SnapshotSource([tmp_path / "absent.yaml"])
