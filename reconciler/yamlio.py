"""YAML with libyaml when present: PyPI's pure-Python path is the slow one at 5,000 nodes."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_all(text: str | bytes) -> list[Any]:
    return list(yaml.load_all(text, Loader=SafeLoader))


def load(text: str | bytes) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def dump(data: Any) -> str:
    """Block style for nested collections, flow style for leaf mappings (one route per line)."""
    return yaml.dump(
        data,
        Dumper=SafeDumper,
        sort_keys=False,
        default_flow_style=None,
        width=4096,
        allow_unicode=True,
    )
