"""The fake Kubernetes API server the tests, the demo and ``route-reconciler sim kube`` use."""

from reconciler.sim.kube.api import FakeKubeApi, RecordedRequest, load_objects, serve

__all__ = ["FakeKubeApi", "RecordedRequest", "load_objects", "serve"]
