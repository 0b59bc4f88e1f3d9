"""``route-reconciler sim avi``: the stand-in on 127.0.0.1, preloaded from a seed file, until
stopped.

Like a real controller it has the SE group ``Default-Group`` in ``Default-Cloud``; with a cluster
name that group carries the ``clustername`` label AKO gives it, so ``check`` passes.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import InputError
from reconciler.ownership import owner_label
from reconciler.sim.avi.controller import AviSim
from reconciler.sim.avi.objects import DEFAULT_CLOUD
from reconciler.sim.standalone import Started, one_line, port_errors, serve_until_stopped

DEFAULT_SE_GROUP = "Default-Group"


def run_standalone(
    port: int,
    *,
    username: str,
    password: str,
    password_is_default: bool = False,
    seed_file: str | None = None,
    cluster_name: str | None = None,
    env_file: str | None = None,
) -> None:
    """Serve the stand-in until SIGINT or SIGTERM (``route-reconciler sim avi``).

    The password is exported with the settings only when it is the documented default."""
    seed = _read_seed(seed_file) if seed_file is not None else {}
    seed = _with_default_se_group(seed, cluster_name)

    def start(cleanup: ExitStack) -> Started:
        with port_errors(port):
            sim = AviSim(username=username, password=password, port=port)
        cleanup.callback(sim.stop)
        try:
            sim.load_seed(seed)
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"--seed {seed_file}: {one_line(exc)}") from None
        sim.start()
        settings = {"AVI_CONTROLLER": sim.url, "AVI_USERNAME": username}
        if password_is_default:
            settings["AVI_PASSWORD"] = password
        labels = f" labelled clustername={cluster_name}" if cluster_name else ""
        return Started(
            [
                f"Avi stand-in listening on {sim.url} (user {username!r}); "
                f"SE group {DEFAULT_SE_GROUP}{labels}",
            ],
            settings,
        )

    serve_until_stopped("Avi stand-in", start, env_file)


def _read_seed(seed_file: str) -> dict[str, Any]:
    """A seed document from JSON (by its suffix) or YAML; its sections are checked on loading."""
    path = Path(seed_file)
    try:
        text = path.read_text(encoding="utf-8")
        seed = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"--seed {seed_file}: {one_line(exc)}") from None
    if not isinstance(seed, dict):
        raise InputError(
            f"--seed {seed_file}: expected a mapping with tenants, clouds, vrfs, se_groups"
        )
    return seed


def _with_default_se_group(seed: dict[str, Any], cluster_name: str | None) -> dict[str, Any]:
    """The seed plus ``Default-Group`` when it has none; labelled for ``cluster_name``."""
    groups = seed.get("se_groups") or []
    if not isinstance(groups, list):
        raise InputError("--seed: se_groups must be a list")
    defined = any(
        isinstance(group, dict)
        and group.get("name") == DEFAULT_SE_GROUP
        and group.get("cloud", DEFAULT_CLOUD) == DEFAULT_CLOUD
        for group in groups
    )
    if defined and cluster_name:
        raise InputError(
            f"--cluster-name: the seed already defines SE group {DEFAULT_SE_GROUP}; give its "
            "labels there or leave out --cluster-name"
        )
    if defined:
        return seed
    default: dict[str, Any] = {"name": DEFAULT_SE_GROUP}
    if cluster_name:
        default["labels"] = owner_label(cluster_name)
    return {**seed, "se_groups": [*groups, default]}
