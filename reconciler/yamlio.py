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


class _UniqueKeyLoader(SafeLoader):  # type: ignore[misc]
    """Refuses a repeated key: in a hand-edited manifest the last `nextHop:` silently winning
    is how a reviewer approves one next hop and Avi gets another."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def load_unique(text: str | bytes) -> Any:
    return yaml.load(text, Loader=_UniqueKeyLoader)
