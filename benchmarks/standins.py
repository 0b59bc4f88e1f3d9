"""The project's stand-ins (fake Kubernetes API, Avi Controller) served from their own process.

Why a separate process: in the measured process their server threads would compete for the GIL
and their copies of 15,000 nodes or 60,000 routes would count in our peak RSS.

Protocol on the pipes: the server prints one JSON line saying where it listens, then answers
each `requests` line on stdin with a JSON list of the requests it saw, and each `clear` line by
forgetting them (answering `[]`). It stops when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

AVI_USERNAME = "admin"
AVI_PASSWORD = "bench-avi-password"
VRF_NAME = "bench-vrf"  # synthetic.VRF


@dataclass(frozen=True)
class HttpRecord:
    method: str
    path: str
    status: int
    body_bytes: int


class StandIn:
    """A stand-in server process; `info` is its first line (url, kubeconfig or vrf)."""

    def __init__(self, *args: str) -> None:
        self._args = args
        self._process = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info: dict[str, str] = json.loads(self._readline())

    def requests(self) -> list[HttpRecord]:
        return [HttpRecord(**record) for record in self._ask("requests")]

    def clear(self) -> None:
        self._ask("clear")

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        if self._process.wait(timeout=60) != 0:
            raise RuntimeError(f"stand-in exited with {self._process.returncode}")

    def __enter__(self) -> StandIn:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _ask(self, command: str) -> list[dict[str, Any]]:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        answer: list[dict[str, Any]] = json.loads(self._readline())
        return answer

    def _readline(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"stand-in {' '.join(self._args)} died; see its stderr above")
        return line


def kube_stand_in(snapshot: Path, kubeconfig: Path) -> StandIn:
    return StandIn("kube", "--snapshot", str(snapshot), "--kubeconfig", str(kubeconfig))


def avi_stand_in(ours_nodes: int, cidrs_per_node: int, foreign: int) -> StandIn:
    """A VRF holding the routes of the first `ours_nodes` nodes among `foreign` other routes."""
    return StandIn(
        "avi",
        "--ours-nodes",
        str(ours_nodes),
        "--cidrs",
        str(cidrs_per_node),
        "--foreign",
        str(foreign),
    )


def _serve_kube(snapshot: Path, kubeconfig: Path) -> None:
    from reconciler.sim.kube import FakeKubeApi

    objects = json.loads(snapshot.read_bytes())["items"]
    api = FakeKubeApi(objects).start()
    del objects
    api.write_kubeconfig(kubeconfig)

    def records() -> list[HttpRecord]:
        return [HttpRecord(r.method, r.path, r.status, 0) for r in api.requests]

    try:
        _answer({"url": api.url, "kubeconfig": str(kubeconfig)}, records, api.clear_requests)
    finally:
        api.stop()


def _serve_avi(ours_nodes: int, cidrs_per_node: int, foreign: int) -> None:
    from synthetic import avi_entries, cluster_routes, foreign_route, interleaved

    from reconciler.sim.avi import AviSim

    sim = AviSim(username=AVI_USERNAME, password=AVI_PASSWORD).start()
    ours = avi_entries(cluster_routes(ours_nodes, cidrs_per_node))
    sim.add_vrf(
        VRF_NAME, static_routes=interleaved(ours, [foreign_route(i) for i in range(foreign)])
    )
    del ours

    def records() -> list[HttpRecord]:
        return [HttpRecord(r.method, r.path, r.status, r.body_length) for r in sim.requests]

    try:
        _answer({"url": sim.url, "vrf": VRF_NAME}, records, sim.clear_requests)
    finally:
        sim.stop()


def _answer(
    info: dict[str, str], records: Callable[[], list[HttpRecord]], clear: Callable[[], None]
) -> None:
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        if line.strip() == "clear":
            clear()
            print("[]", flush=True)
        else:
            print(json.dumps([asdict(record) for record in records()]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    kube = commands.add_parser("kube")
    kube.add_argument("--snapshot", type=Path, required=True)
    kube.add_argument("--kubeconfig", type=Path, required=True)
    avi = commands.add_parser("avi")
    avi.add_argument("--ours-nodes", type=int, required=True)
    avi.add_argument("--cidrs", type=int, choices=(1, 2), required=True)
    avi.add_argument("--foreign", type=int, required=True)
    args = parser.parse_args()
    if args.command == "kube":
        _serve_kube(args.snapshot, args.kubeconfig)
    else:
        _serve_avi(args.ours_nodes, args.cidrs, args.foreign)


if __name__ == "__main__":
    main()
