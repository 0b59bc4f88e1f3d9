"""The command line explains itself: every command and subcommand has a summary and a
description, every option a help text; and a command lists only options it reads."""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest
from cronjob import Job

from reconciler.cli import build_parser
from reconciler.cli.configured import subparsers

# Read by `main` before any command runs, for every command.
READ_BY_MAIN = {"help", "config", "ako_values", "verbose", "run"}


def every_parser() -> list[argparse.ArgumentParser]:
    parser = build_parser()
    return [parser, *subparsers(parser)]


def command_parser(*names: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in names:
        (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = commands.choices[name]
    return parser


@pytest.mark.parametrize("parser", every_parser(), ids=lambda parser: parser.prog)
def test_every_command_has_a_description_and_every_option_a_help_text(parser):
    assert parser.description, f"{parser.prog} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            unsummarised = [entry.dest for entry in action._choices_actions if not entry.help]
            assert not unsummarised, f"{parser.prog}: commands without a summary: {unsummarised}"
        else:
            name = "/".join(action.option_strings) or action.dest
            assert action.help and action.help != argparse.SUPPRESS, f"{parser.prog} {name}"


def test_run_says_what_it_does():
    description = command_parser("run").description.lower()
    stages = ("render", "apply to avi", "pull request", "drift report", "metrics")
    assert [description.index(stage) for stage in stages] == sorted(
        description.index(stage) for stage in stages
    ), "the stages in the order they run"


class ReadRecord(argparse.Namespace):
    """Parsed options that remember which of them the command read."""

    def __init__(self, parsed: argparse.Namespace) -> None:
        object.__setattr__(self, "read", set())
        super().__init__(**vars(parsed))

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and name != "read":
            object.__getattribute__(self, "read").add(name)
        return object.__getattribute__(self, name)


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {action.dest for action in parser._actions} - READ_BY_MAIN


def read_by(command: str, job: Job, *extra: str) -> tuple[set[str], set[str]]:
    """The options `command` lists, and those it read, run with a cluster, Avi and GitHub."""
    argv = [
        command,
        "--cluster-name",
        "c",
        "--repo",
        job.fresh_clone(),
        "--github-repo",
        "acme/routes",
        "--github-api-url",
        job.github.url,
        "--avi-controller",
        job.avi.url,
        *extra,
    ]
    args = ReadRecord(build_parser().parse_args(argv))
    args.run(args)
    job.capsys.readouterr()
    return options_of(command_parser(command)), args.read


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("apply", ()),
        ("plan", ("--target", "reviewed", "--comment-on", "1")),
        ("propose", ()),
        ("run", ("--kubeconfig", "KUBECONFIG")),
    ],
)
def test_a_command_reads_every_option_it_lists(job, command, extra):
    """A listed option the command never reads (apply once listed --branch) would be a lie in
    its --help."""
    job, _ = job
    job.run()  # a proposal, merged: every stage of every command has work
    job.merge(1)
    extra = tuple(job.kubeconfig if value == "KUBECONFIG" else value for value in extra)
    listed, read = read_by(command, job, *extra)
    assert listed - read == set()
    assert os.environ["AVI_PASSWORD"] not in repr(read)


@pytest.mark.parametrize("parser", every_parser(), ids=lambda parser: parser.prog)
def test_usage_shows_a_subcommand_as_required_only_when_it_is(parser):
    """`sim avi` is served without an action: its usage must not ask for one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            shown = action.metavar or ""
            assert shown.startswith("[") != action.required, parser.format_usage()
