#!/usr/bin/env python3
"""The clusters a workflow runs for, as a GitHub Actions matrix.

A cluster is one settings file, deploy/github-actions/clusters/<clusterName>.yaml, given to
route-reconciler as --config. Prints `matrix={"include": [{"cluster", "config"}, ...]}` and
`any=true|false`, for "$GITHUB_OUTPUT". Standard library only: it runs before the tool is
installed.

  matrix.py                          every cluster
  matrix.py --only prod-a            one cluster (workflow_dispatch input; empty: every cluster)
  matrix.py --changed-since SHA      clusters whose routes/<cluster>/ changed between SHA and HEAD
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = Path(__file__).resolve().parent / "clusters"
NO_COMMIT = "0" * 40  # github.event.before of a newly created branch


def clusters() -> dict[str, str]:
    return {
        path.stem: path.relative_to(ROOT).as_posix() for path in sorted(CLUSTERS.glob("*.yaml"))
    }


def changed_clusters(since: str) -> set[str] | None:
    """Cluster folders under routes/ changed since `since`; None when `since` is unknown here
    (a force push, a shallow clone): then every cluster runs, which is always safe."""
    try:
        output = subprocess.run(
            ["git", "diff", "--name-only", f"{since}...HEAD", "--", "routes/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError:
        print(f"commit {since} not found: running every cluster", file=sys.stderr)
        return None
    return {
        parts[1] for parts in (line.split("/") for line in output.splitlines()) if len(parts) > 2
    }


def select(only: str, since: str) -> dict[str, str]:
    known = clusters()
    if only:
        if only not in known:
            raise SystemExit(f"error: no cluster {only!r} in {CLUSTERS.relative_to(ROOT)}")
        return {only: known[only]}
    if not since or since == NO_COMMIT:
        return known
    changed = changed_clusters(since)
    if changed is None:
        return known
    for name in sorted(changed - known.keys()):
        print(f"routes/{name}/ changed, but there is no {name}.yaml: skipped", file=sys.stderr)
    return {name: config for name, config in known.items() if name in changed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", metavar="CLUSTER")
    parser.add_argument("--changed-since", default="", metavar="SHA")
    args = parser.parse_args(argv)
    selected = select(args.only.strip(), args.changed_since.strip())
    include = [{"cluster": name, "config": config} for name, config in selected.items()]
    print(f"matrix={json.dumps({'include': include}, separators=(',', ':'))}")
    print(f"any={'true' if include else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
