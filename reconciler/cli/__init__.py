"""`route-reconciler` command line: wiring only; every decision lives in the pure modules."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from reconciler import __version__
from reconciler.ako_values import Configured
from reconciler.cli import apply, check, decommission, demo, plan, propose, render, run, sim
from reconciler.errors import EXIT_ERROR, InputError, ReconcilerError
from reconciler.process import collect_garbage_less_often, forbid_core_dumps
from reconciler.settings import configured_defaults

COMMANDS = (render, check, plan, apply, propose, decommission, run, demo, sim)


class _OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}".replace("\n", " ")


def _show_own_warnings() -> None:
    """Our warnings on stderr, one line each; urllib3's retry chatter stays out of the output."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(logging.Filter("reconciler"))
    handler.setFormatter(_OneLineFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def apply_configuration(
    parser: argparse.ArgumentParser, arguments: list[str]
) -> dict[str, Configured]:
    """Config file, AKO values and environment become defaults, so flags still win. A repeatable
    option keeps no default (argparse would add the flag's values to it): `resolve_configuration`
    fills it in when no flag is given."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config")
    early.add_argument("--ako-values")
    known, _ = early.parse_known_args(arguments)
    defaults, warnings = configured_defaults(known.config, known.ako_values, os.environ)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for action in _options(parser):
        if action.dest in defaults and not isinstance(action, argparse._AppendAction):
            action.default = defaults[action.dest]
    for subparser in _subparsers(parser):  # values that are no option, e.g. ako_still_syncing
        plain = {dest: defaults[dest].value for dest in subparser._defaults if dest in defaults}
        subparser.set_defaults(**plain)
    return defaults


def resolve_configuration(
    parser: argparse.ArgumentParser, args: argparse.Namespace, defaults: dict[str, Configured]
) -> None:
    """The configured values no flag overrode, checked as the flag's own value would be (its
    type and choices), with an error naming the file or variable they came from."""
    for action in _options(parser):
        configured = defaults.get(action.dest)
        if configured is None or not hasattr(args, action.dest):
            continue
        value = getattr(args, action.dest)
        if value is configured or (value is None and isinstance(action, argparse._AppendAction)):
            setattr(args, action.dest, _checked(configured, action))


def _checked(configured: Configured, action: argparse.Action) -> Any:
    convert = action.type if callable(action.type) else (lambda value: value)
    try:
        if isinstance(action, argparse._AppendAction):
            return [convert(item) for item in configured.value]
        value = convert(configured.value)
    except (argparse.ArgumentTypeError, TypeError, ValueError) as error:
        raise InputError(f"{configured.where}: {error}") from None
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise InputError(f"{configured.where}: {value!r} is not one of {choices}")
    return value


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every option of every command; options of one name are alike across commands."""
    return [action for subparser in _subparsers(parser) for action in subparser._actions]


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                found += [subparser, *_subparsers(subparser)]
    return found


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: argparse's own 2 would read as 'success with changes'."""

    def error(self, message: str) -> None:  # type: ignore[override]
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):  # a mistyped --password VALUE must not echo VALUE
            words = message.removeprefix(prefix).split()
            message = prefix + " ".join(w if w.startswith("-") else "***" for w in words)
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
    forbid_core_dumps()  # before any secret is read
    collect_garbage_less_often()
    arguments = list(sys.argv[1:] if argv is None else argv)
    _show_own_warnings()
    try:
        parser = build_parser()
        defaults = apply_configuration(parser, arguments)
        args = parser.parse_args(arguments)
    except SystemExit as exit_request:  # --help, --version and usage errors
        return int(exit_request.code or 0)
    except ReconcilerError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    try:
        resolve_configuration(parser, args, defaults)
        if hasattr(args, "cluster_name") and not args.cluster_name:
            raise InputError(
                "the cluster name is not set: give --cluster-name, clusterName in "
                "--config, ROUTE_RECONCILER_CLUSTER_NAME, or --ako-values"
            )
        return int(args.run(args))
    except ReconcilerError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
