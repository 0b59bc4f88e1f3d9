"""`route-reconciler` command line: wiring only; every decision lives in the pure modules.

Each command module registers its parser and imports its stage and adapters inside its `run`, so
`--help` and a snapshot command load no client they do not use. Whatever happens, the process
prints one line per error, in the chosen log format, and no traceback (unless `--verbose` asks
for the traceback of an unexpected error).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.cli import apply, check, decommission, demo, plan, propose, render, run, sim
from reconciler.cli.configured import apply_configuration, resolve_configuration, subparsers
from reconciler.cli.console import (
    Log,
    guarded_streams,
    logging_for,
    report_unexpected,
    use_log_format,
)
from reconciler.errors import EXIT_ERROR, InputError, ReconcilerError
from reconciler.process import collect_garbage_less_often, forbid_core_dumps

COMMANDS = (render, check, plan, apply, propose, decommission, run, demo, sim)
# The commands that take --log-format; a configured logFormat applies to them only.
LOG_FORMAT_COMMANDS = ("run",)


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line, in the log format, and exit 1: argparse's own 2 would read as
    'success with changes'."""

    def error(self, message: str) -> None:  # type: ignore[override]
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):  # a mistyped --password VALUE must not echo VALUE
            words = message.removeprefix(prefix).split()
            message = prefix + " ".join(w if w.startswith("-") else "***" for w in words)
        Log().event("error", f"{message} (see {self.prog} --help)")
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
    for runnable in subparsers(parser):
        if "run" in runnable._defaults:
            runnable.add_argument(
                "-v",
                "--verbose",
                action="store_true",
                help="also log retries, re-logins and each HTTP request (stderr), and the "
                "traceback of an unexpected error",
            )
    return parser


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the command the arguments chose (`sim avi edit-route`: the innermost)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return _chosen(action.choices[name], args)
    return parser


def _early_options(arguments: list[str]) -> argparse.Namespace:
    """What must be known before the parser runs: where the configuration is, and how to print
    (an error in the configuration or the arguments is printed in the log format too)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config")
    early.add_argument("--ako-values")
    early.add_argument("--log-format")
    early.add_argument("-v", "--verbose", action="store_true")
    known, _ = early.parse_known_args(arguments)
    words = [argument for argument in arguments if not argument.startswith("-")]
    known.takes_log_format = bool(words) and words[0] in LOG_FORMAT_COMMANDS
    # The flag, else the environment: both are known even when the config file is not readable.
    known.flagged_log_format = known.log_format is not None
    known.log_format = known.log_format or os.environ.get("ROUTE_RECONCILER_LOG_FORMAT")
    return known


def main(argv: Sequence[str] | None = None) -> int:
    forbid_core_dumps()  # before any secret is read
    collect_garbage_less_often()
    arguments = list(sys.argv[1:] if argv is None else argv)
    early = _early_options(arguments)
    use_log_format("json" if early.takes_log_format and early.log_format == "json" else "text")
    with guarded_streams(), logging_for(early.verbose):
        try:
            return _main(arguments, early)
        except ReconcilerError as error:
            Log().event("error", str(error))
            return error.exit_code
        except KeyboardInterrupt:
            Log().event("error", "interrupted")
            return EXIT_ERROR
        except Exception as error:  # a bug: one line, the traceback only when asked for
            report_unexpected(error, early.verbose)
            return EXIT_ERROR


def _main(arguments: list[str], early: argparse.Namespace) -> int:
    parser = build_parser()
    defaults, warnings = apply_configuration(parser, early.config, early.ako_values)
    configured_format = defaults.get("log_format")  # the environment's, else the config file's
    if early.takes_log_format and not early.flagged_log_format and configured_format is not None:
        use_log_format("json" if configured_format.value == "json" else "text")
    for warning in warnings:
        Log().event("warning", warning)
    try:
        args, extras = parser.parse_known_args(arguments)
        if extras:  # said by the command's own parser, so the hint names its --help
            _chosen(parser, args).error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exit_request:  # --help, --version and usage errors
        return int(exit_request.code or 0)
    resolve_configuration(parser, args, defaults)
    use_log_format(getattr(args, "log_format", "text"))
    if hasattr(args, "cluster_name") and not args.cluster_name:
        raise InputError(
            "the cluster name is not set: give --cluster-name, clusterName in "
            "--config, ROUTE_RECONCILER_CLUSTER_NAME, or --ako-values"
        )
    return int(args.run(args))
