"""The configuration (`--config`, `--ako-values`, the environment) as the parser's defaults, so
flags still win; each configured value is checked as the flag's own value would be, with an
error naming the file or variable it came from."""

from __future__ import annotations

import argparse
import os
from typing import Any

from reconciler.ako_values import Configured
from reconciler.errors import InputError
from reconciler.settings import configured_defaults


def apply_configuration(
    parser: argparse.ArgumentParser, config: str | None, ako_values: str | None
) -> tuple[dict[str, Configured], list[str]]:
    """Config file, AKO values and environment become defaults, and the warnings they raise. A
    repeatable option keeps no default (argparse would add the flag's values to it):
    `resolve_configuration` fills it in when no flag is given."""
    defaults, warnings = configured_defaults(config, ako_values, os.environ)
    for action in _options(parser):
        if action.dest in defaults and not isinstance(action, argparse._AppendAction):
            action.default = defaults[action.dest]
    for subparser in subparsers(parser):  # values that are no option, e.g. ako_still_syncing
        plain = {dest: defaults[dest].value for dest in subparser._defaults if dest in defaults}
        subparser.set_defaults(**plain)
    return defaults, warnings


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
    return [action for subparser in subparsers(parser) for action in subparser._actions]


def subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser, and those nested in it (`sim avi edit-route`)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                found += [subparser, *subparsers(subparser)]
    return found
