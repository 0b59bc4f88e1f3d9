"""One run per cluster at a time, outside a cluster: a lock file in the git directory (in a
cluster, a Lease: reconciler/lease.py).

Avi's 412 already stops lost updates on the VRF; the lock also keeps two runs from racing on
the proposal branch and the pull request.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from reconciler.errors import GuardRefusal


@contextlib.contextmanager
def file_lock(git_dir: Path, cluster: str) -> Iterator[None]:
    path = git_dir / f"route-reconciler-{cluster}.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GuardRefusal(
                f"another run for cluster {cluster} holds {path}; not interleaving"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
