"""``route-reconciler sim kube``: serve kubectl dumps as a fake cluster, over HTTPS, until
stopped.

The throwaway CA, its server certificate and the kubeconfig live in one temporary folder that is
removed when the command stops; the kubeconfig names the CA, so kubectl and the Python client
verify the server and send the token.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import yaml

from reconciler.errors import InputError
from reconciler.sim.kube.api import FakeKubeApi
from reconciler.sim.kube.dumps import load_objects
from reconciler.sim.kube.resources import CUSTOM_TYPES_BY_CRD, TYPES_BY_KIND, Obj, type_of_object
from reconciler.sim.standalone import Started, one_line, port_errors, serve_until_stopped
from reconciler.sim.tls import make_throwaway_ca

_CRD_KIND = "CustomResourceDefinition"


def serve(snapshot_paths: list[str], port: int, env_file: str | None = None) -> None:
    """Serve the objects of the snapshot files until SIGINT or SIGTERM.

    A CRD in the dumps is installed even without objects of its kind; objects of kinds the fake
    does not serve are counted and named, not silently dropped."""
    loaded = _load(snapshot_paths)
    crds = {
        str(obj.get("metadata", {}).get("name")) for obj in loaded if obj.get("kind") == _CRD_KIND
    } & set(CUSTOM_TYPES_BY_CRD)
    served = [obj for obj in loaded if obj.get("kind") in TYPES_BY_KIND]
    try:
        crds |= {rtype.qualified for rtype in map(type_of_object, served) if rtype.custom}
    except ValueError as exc:
        raise InputError(f"--snapshot: {one_line(exc)}") from None
    ignored = Counter(
        str(obj.get("kind"))
        for obj in loaded
        if obj.get("kind") not in TYPES_BY_KIND and obj.get("kind") != _CRD_KIND
    )
    if ignored:
        kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(ignored.items()))
        print(f"ignored objects of unsupported kinds: {kinds}", file=sys.stderr)

    def start(cleanup: ExitStack) -> Started:
        workdir = Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="route-reconciler-sim-kube-"))
        )
        try:
            api = FakeKubeApi(served, crds=crds, port=port, tls=make_throwaway_ca(workdir))
        except ValueError as exc:  # an object without a name, say
            raise InputError(f"--snapshot: {one_line(exc)}") from None
        with port_errors(port):
            cleanup.enter_context(api)
        kubeconfig = api.write_kubeconfig(workdir / "kubeconfig")
        return Started(
            [
                f"fake Kubernetes API serving {len(served)} objects at {api.url}",
                f"kubeconfig: {kubeconfig} (trusts the throwaway CA {workdir / 'ca.crt'})",
            ],
            {"KUBECONFIG": str(kubeconfig)},
        )

    serve_until_stopped("fake Kubernetes API", start, env_file)


def _load(snapshot_paths: list[str]) -> list[Obj]:
    loaded: list[Obj] = []
    for path in snapshot_paths:
        try:
            loaded += load_objects([path])
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise InputError(f"--snapshot {path}: {one_line(exc)}") from None
    return loaded
