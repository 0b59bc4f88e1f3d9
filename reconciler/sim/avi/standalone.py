"""``route-reconciler sim avi``: the stand-in on a fixed port, preloaded from a seed file."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import InputError
from reconciler.sim.avi.controller import AviSim


def run_standalone(
    port: int, *, username: str, password: str, seed_file: str | None = None
) -> None:
    """Serve the stand-in on 127.0.0.1:``port`` until interrupted (``route-reconciler sim avi``)."""
    sim = AviSim(username=username, password=password, port=port)
    if seed_file is not None:
        try:
            sim.load_seed(_read_seed(seed_file))
        except (ValueError, KeyError, TypeError) as exc:
            sim.stop()
            raise InputError(f"seed file {seed_file}: {exc}") from exc
    with sim:
        print(
            f"Avi stand-in listening on {sim.url} (user {username!r}); Ctrl-C stops it", flush=True
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Avi stand-in stopped", flush=True)


def _read_seed(seed_file: str) -> Mapping[str, Any]:
    """A seed document from JSON (by its suffix) or YAML; its sections are checked on loading."""
    path = Path(seed_file)
    try:
        text = path.read_text(encoding="utf-8")
        seed = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"seed file {seed_file}: {exc}") from exc
    if not isinstance(seed, dict):
        raise InputError(f"seed file {seed_file}: expected a mapping with vrfs, clouds, se_groups")
    return seed
