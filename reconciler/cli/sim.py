"""`sim`: the project's stand-ins, served for people who want to try the tool without a cluster
or a controller. Both bind to 127.0.0.1 only."""

from __future__ import annotations

import argparse
import os


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "sim", help="run a local stand-in (Kubernetes API or Avi Controller)"
    )
    stand_ins = parser.add_subparsers(dest="stand_in", required=True, metavar="STAND_IN")
    kube = stand_ins.add_parser("kube", help="fake Kubernetes API serving kubectl dumps")
    kube.add_argument(
        "--snapshot",
        action="append",
        default=[],
        metavar="FILE",
        help="kubectl -o yaml/json dump to serve (repeatable)",
    )
    kube.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1; default any free port"
    )
    kube.set_defaults(run=_run_kube)
    avi = stand_ins.add_parser(
        "avi",
        help="Avi Controller stand-in with VrfContext static routes",
        description="Credentials: --username, password from AVI_PASSWORD "
        "or AVI_PASSWORD_FILE (default admin/admin).",
    )
    avi.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; default any free port")
    avi.add_argument("--username", default="admin")
    avi.add_argument("--seed", metavar="FILE", help="JSON/YAML with VRFs and routes to preload")
    avi.set_defaults(run=_run_avi)


def _run_kube(args: argparse.Namespace) -> int:
    from reconciler.sim.kube import serve

    serve(args.snapshot, args.port)
    return 0


def _run_avi(args: argparse.Namespace) -> int:
    from reconciler.sim.avi import run_standalone

    password = os.environ.get("AVI_PASSWORD")
    if password is None and os.environ.get("AVI_PASSWORD_FILE"):
        with open(os.environ["AVI_PASSWORD_FILE"], encoding="utf-8") as handle:
            password = handle.read().rstrip("\n")
    run_standalone(
        args.port, username=args.username, password=password or "admin", seed_file=args.seed
    )
    return 0
