"""`route-reconciler` command line: wiring only; every decision lives in the pure modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.cli import apply, check, demo, plan, render, sim
from reconciler.errors import EXIT_ERROR, ReconcilerError

COMMANDS = (render, check, plan, apply, demo, sim)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: argparse's own 2 would read as 'success with changes'."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="route-reconciler",
        description="Keep Avi static routes in step with Kubernetes pod CIDRs, reviewed in git.",
        epilog="Exit codes: 0 nothing changed, 2 changes made or pending, 1 error, "
        "3 refused by a safety guard.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, --version and usage errors
        return int(exit_request.code or 0)
    try:
        return int(args.run(args))
    except ReconcilerError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
