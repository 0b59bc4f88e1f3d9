"""``route-reconciler sim kube``: serve kubectl dumps as a fake cluster until interrupted."""

from __future__ import annotations

import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from reconciler.sim.kube.api import FakeKubeApi
from reconciler.sim.kube.dumps import load_objects
from reconciler.sim.kube.resources import CUSTOM_TYPES_BY_CRD, TYPES_BY_KIND, type_of_object

_CRD_KIND = "CustomResourceDefinition"


def serve(snapshot_paths: list[str], port: int) -> None:
    """Serve the objects of the snapshot files until interrupted (Ctrl-C).

    A CRD in the dumps is installed even without objects of its kind; objects of kinds the fake
    does not serve are counted and named, not silently dropped."""
    loaded = load_objects(snapshot_paths)
    crds = {
        str(obj.get("metadata", {}).get("name")) for obj in loaded if obj.get("kind") == _CRD_KIND
    } & set(CUSTOM_TYPES_BY_CRD)
    served = [obj for obj in loaded if obj.get("kind") in TYPES_BY_KIND]
    crds |= {rtype.qualified for rtype in map(type_of_object, served) if rtype.custom}
    ignored = Counter(
        str(obj.get("kind"))
        for obj in loaded
        if obj.get("kind") not in TYPES_BY_KIND and obj.get("kind") != _CRD_KIND
    )
    api = FakeKubeApi(served, crds=crds, port=port)
    with tempfile.TemporaryDirectory(prefix="route-reconciler-sim-kube-") as workdir, api:
        kubeconfig = api.write_kubeconfig(Path(workdir) / "kubeconfig")
        if ignored:
            kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(ignored.items()))
            print(f"ignored objects of unsupported kinds: {kinds}", file=sys.stderr)
        print(f"fake Kubernetes API serving {len(served)} objects at {api.url}")
        print(f"kubeconfig: {kubeconfig}")
        print(f"export KUBECONFIG={kubeconfig}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)
