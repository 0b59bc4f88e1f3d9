"""The fake Kubernetes API server the tests, the demo and ``route-reconciler sim kube`` use.

``api`` is the server; the modules beside it hold one concern each: ``resources`` (what is served),
``routing`` (what a request asks for), ``store`` (objects, resourceVersions, snapshots),
``paging`` (limit and continue), ``validation`` (bodies), ``status`` (errors), ``discovery``,
``faults`` (injected failures), ``dumps`` (kubectl dumps) and ``standalone`` (``sim kube``).
"""

from reconciler.sim.kube.api import FakeKubeApi, RecordedRequest
from reconciler.sim.kube.dumps import load_objects
from reconciler.sim.kube.standalone import serve

__all__ = ["FakeKubeApi", "RecordedRequest", "load_objects", "serve"]
