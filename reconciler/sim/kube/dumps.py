"""Reading kubectl dumps (``kubectl get -o yaml|json``), the objects ``sim kube`` serves."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.sim.kube.resources import Obj

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_objects(paths: Iterable[str | Path]) -> list[Obj]:
    """Read kubectl-style dumps: a ``List`` (or typed list) with items, one object, or
    multi-document YAML. Items of typed lists such as ``NodeList`` get the kind they lack."""
    objects: list[Obj] = []
    for path in paths:
        text = Path(path).read_text()
        if text.lstrip().startswith("{"):
            documents = [json.loads(text)]  # much faster than YAML for large JSON dumps
        else:
            documents = list(yaml.load_all(text, Loader=_YAML_LOADER))
        for document in documents:
            objects.extend(_flatten(document, path))
    return objects


def _flatten(document: Any, path: str | Path) -> list[Obj]:
    if document is None:
        return []
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ValueError(f"{path}: expected a Kubernetes object or List, got a {kind}")
    kind = str(document.get("kind", ""))
    if not (kind.endswith("List") and isinstance(document.get("items"), list)):
        return [document]
    item_kind = kind.removesuffix("List")
    defaults = {"kind": item_kind, "apiVersion": document.get("apiVersion")} if item_kind else {}
    return [{**defaults, **item} for item in document["items"]]
