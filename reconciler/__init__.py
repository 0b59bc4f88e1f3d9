"""route-reconciler: reviewed, git-driven Avi static routes for Kubernetes pod networks."""

__version__ = "0.1.0"
