"""What the process prints, run as a user runs it (a fresh process of the command line): no
traceback from any command, a closed pipe ending only the output, each error once, JSON log
mode printing only JSON lines, retries only with --verbose, the CA-bundle hint only where a CA
bundle helps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    CLI,
    PROCESS_TIMEOUT,
    cilium_config,
    cilium_node,
    init_repo,
    node,
    self_signed_certificate,
    write_objects,
)

from reconciler.cli.console import guarded_streams, report_unexpected, terminal_safe
from reconciler.sim.avi import AviSim, static_route

TRACES = ("Traceback", "BrokenPipeError", "Exception ignored")


def cli(*argv: str, env: dict[str, str] | None = None, **options) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {})}
    for name, value in (env or {}).items():
        if value is None:
            del environ[name]
    return subprocess.run(
        [*CLI, *argv], env=environ, text=True, timeout=PROCESS_TIMEOUT, check=False, **options
    )


@pytest.fixture
def snapshot(tmp_path) -> str:
    objects = [node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"]), cilium_config()]
    return str(write_objects(tmp_path / "cluster.yaml", objects))


@pytest.mark.parametrize(
    ("argv", "code"),
    [(["--help"], 0), (["render", "--help"], 0), (["render"], 2), (["check"], 0)],
    ids=["help", "render-help", "render", "check"],
)
def test_a_closed_pipe_ends_the_output_not_the_command(tmp_path, snapshot, argv, code):
    """`| head` that has already exited: every write fails with EPIPE. The command still does
    its work and exits with its own code, silently."""
    repo = init_repo(tmp_path / "repo")
    if argv[-1] != "--help":
        argv = [*argv, "--cluster-name", "c", "--snapshot", snapshot]
        argv += ["--repo", repo.working_dir] if argv[0] == "render" else []
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = cli(*argv, stdout=writer, stderr=subprocess.PIPE)
    finally:
        os.close(writer)
    assert result.returncode == code, result.stderr
    assert not any(trace in result.stderr for trace in TRACES), result.stderr
    if argv[0] == "render" and code == 2:
        assert (Path(repo.working_dir) / "routes/c/global.yaml").exists(), "the work was done"


@pytest.mark.parametrize("verbose", [False, True])
def test_an_unexpected_exception_is_one_line_and_its_traceback_only_with_verbose(capsys, verbose):
    """Every error a user can cause has its own message; whatever is left is a bug, and says
    so in one line (no error path of the tool raises one on purpose, so this calls the handler
    `main` uses)."""
    try:
        {}["missing"]
    except KeyError as error:
        report_unexpected(error, verbose)
    err = capsys.readouterr().err
    first, *rest = err.splitlines()
    assert first == (
        "error: unexpected KeyError: 'missing'; this is a bug in route-reconciler: rerun with "
        "--verbose for the traceback and report it"
    )
    assert bool(rest) == verbose and ("Traceback" in err) == verbose


def offline_run(snapshot, repo):
    """`run` of a snapshot into a local repository, proposing nothing."""
    return (
        "run",
        "--cluster-name",
        "c",
        "--snapshot",
        snapshot,
        "--repo",
        repo.working_dir,
        "--no-propose",
    )


def test_a_failed_run_says_its_error_once(tmp_path, snapshot):
    repo = init_repo(tmp_path / "repo")
    metrics = str(tmp_path / "missing" / "metrics.prom")
    result = cli(*offline_run(snapshot, repo), "--metrics-file", metrics, capture_output=True)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert output.count("cannot write it (No such file or directory)") == 1, output
    assert "Traceback" not in output


def test_json_log_mode_prints_only_json_lines(tmp_path):
    repo = init_repo(tmp_path / "repo")
    garbage = tmp_path / "metrics.prom"
    garbage.write_bytes(b"\xff not metrics\n")
    objects = [cilium_config(), node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.9/24"])]
    snapshot = str(write_objects(tmp_path / "cluster.yaml", objects))
    runs = [
        # a node's error, a warning logged by a module (the failed run reads the old metrics
        # file), results, then a failure that stops the run
        cli(
            *offline_run(snapshot, repo),
            "--log-format",
            "json",
            "--metrics-file",
            str(garbage),
            "--pushgateway",
            "http://127.0.0.1:9",
            capture_output=True,
        ),
        # a configuration error, the format from the environment
        cli(
            "run",
            "--cluster-name",
            "c",
            "--config",
            str(tmp_path / "missing.yaml"),
            env={"ROUTE_RECONCILER_LOG_FORMAT": "json"},
            capture_output=True,
        ),
        # a usage error
        cli("run", "--log-format", "json", "--frobnicate", capture_output=True),
    ]
    for result in runs:
        assert result.returncode == 1 and result.stdout == "", result.stdout
        records = [json.loads(line) for line in result.stderr.splitlines()]
        assert records and records[-1]["level"] == "error", records
    first = [json.loads(line) for line in runs[0].stderr.splitlines()]
    levels = {record["level"] for record in first}
    assert levels == {"info", "warning", "error"}, first
    said = [r["msg"] for r in first]
    assert sum("'10.0.1.9/24' has host bits" in text for text in said) == 1, said
    assert sum("cannot carry the last success over" in text for text in said) == 1, said
    assert sum("--pushgateway http://127.0.0.1:9: no answer" in text for text in said) == 1
    assert [json.loads(runs[1].stderr)["msg"]] == [
        f"--config {tmp_path / 'missing.yaml'}: cannot read (No such file or directory)"
    ]
    assert "see route-reconciler run --help" in json.loads(runs[2].stderr)["msg"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def closed_controller():
    with AviSim(password="pw") as avi:
        url = avi.url
    return url


def test_retries_are_logged_only_with_verbose(snapshot, closed_controller):
    check = ["check", "--cluster-name", "c", "--snapshot", snapshot]
    avi = ["--avi-controller", closed_controller]
    env = {"AVI_USERNAME": "admin", "AVI_PASSWORD": "pw"}
    quiet = cli(*check, *avi, env=env, capture_output=True)
    verbose = cli(*check, *avi, "--verbose", env=env, capture_output=True)
    for result in (quiet, verbose):
        assert result.returncode == 1
        assert (
            f"fail: Avi: POST /login: no answer from {closed_controller} after 4 attempt(s) "
            "(connection refused: nothing listens on that address and port); check the "
            "controller URL" in result.stdout
        )
        assert "urllib3" not in result.stdout + result.stderr
    assert "retry" not in quiet.stderr
    assert verbose.stderr.count("; retry ") == 3, verbose.stderr


def test_the_ca_bundle_hint_only_where_a_ca_bundle_helps(snapshot, certificate):
    """An https controller whose certificate does not verify gets the hint; a plain-http
    controller, and TLS spoken to a plain-http port, do not."""
    cert, key = certificate
    check = ["check", "--cluster-name", "c", "--snapshot", snapshot]
    env = {"AVI_USERNAME": "admin", "AVI_PASSWORD": "pw"}
    with AviSim(password="pw", tls_cert=cert, tls_key=key) as https, AviSim(password="pw") as plain:
        untrusted = cli(*check, "--avi-controller", https.url, env=env, capture_output=True)
        no_tls = plain.url.replace("http://", "https://")
        wrong = cli(*check, "--avi-controller", no_tls, env=env, capture_output=True)
    assert "certificate does not verify" in untrusted.stdout
    assert "give its CA bundle (--avi-ca-bundle" in untrusted.stdout
    assert "no TLS on that port: is it http:// rather than https://?" in wrong.stdout
    assert "CA bundle" not in wrong.stdout


def test_text_from_the_controller_cannot_drive_the_terminal(world):
    """A foreign route's label is quoted in the plan (shared prefix); from a hostile controller
    it may carry escape sequences that clear the screen, retitle the window, return the
    carriage over a line or reorder it (bidi). Printed, each control shows as its escape."""
    hostile = "x\x1b]0;owned\x07\x1b[2J\r\u202eevil\x9b1A"
    world.reviewed("10.0.1.0/24 192.168.0.1 w1")
    shared = {"key": "clustername", "value": hostile}
    world.avi.set_routes(
        world.vrf_uuid,
        [*world.static_routes(), static_route("other", "10.0.1.0/24", "10.9.9.9", labels=[shared])],
    )
    code, out, err = world.cli("plan", "--target", "reviewed")
    assert code == 2, err
    printed = out + err
    assert "\\u001b]0;owned\\u0007\\u001b[2J\\r\\u202eevil\\u009b1A" in printed
    assert not any(control in printed for control in ("\x1b", "\x07", "\r", "\u202e", "\x9b"))


@pytest.mark.parametrize("colour", ["\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"])
def test_the_plan_colours_are_the_one_sequence_kept(colour):
    assert terminal_safe(f"{colour}add\x1b[0m") == f"{colour}add\x1b[0m"
    assert terminal_safe("\x1b[8mhidden") == "\\u001b[8mhidden"


def test_only_the_progress_line_returns_the_carriage(capsys):
    with guarded_streams():
        print("\rreading nodes: 500", end="", file=sys.stderr)
        print("shown\rhidden", file=sys.stderr)
    assert capsys.readouterr().err == "\rreading nodes: 500shown\\rhidden\n"
