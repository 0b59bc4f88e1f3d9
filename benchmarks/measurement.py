"""What one scenario reports, and how a whole process is measured; shared by the scenarios and
the table printer.

Kept free of project imports: a child process inherits its parent's peak RSS through fork and
exec (Linux keeps the larger of the two), so every process that starts a measured one stays
small.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

RENDER = "render"
NOOP_RENDER = "no-op render"
RENDER_PLAN = "render + plan"
ONLINE = "online render"
APPLY_NOOP = "apply no-op"
APPLY_PUT = "apply 1 route (put)"
APPLY_PATCH = "apply 1 route (patch)"
APPLY_PATCH_MANY = "apply 100 routes (patch)"
APPLY_PATCH_ADD = "apply 1 new node (patch)"
RENDER_SCENARIOS = (RENDER, NOOP_RENDER, RENDER_PLAN, ONLINE)
APPLY_SCENARIOS = (APPLY_NOOP, APPLY_PUT, APPLY_PATCH, APPLY_PATCH_MANY, APPLY_PATCH_ADD)


@dataclass(frozen=True)
class Process:
    """One finished process: wall time, CPU (user + system, its own children included: git),
    peak RSS (the largest of it and its children), exit code and output."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str


def run_process(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Process:
    """Run `argv` to its end and measure it with `wait4`, which reports that child alone (its
    output goes to files: Popen's pipe reader would reap it first)."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(argv),
            env=None if env is None else {**os.environ, **env},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        return Process(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            child.returncode,
            stdout.read(),
            stderr.read(),
        )


@dataclass
class Measurement:
    scenario: str
    nodes: int
    cidrs_per_node: int
    routes: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    http_requests: int = 0
    bytes_to_avi: int | None = None
    details: str = ""
    list_requests: dict[str, int] = field(default_factory=dict)
    gets: int | None = None
    writes: int | None = None
    write_bytes: int | None = None
    new_commits: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Measurement:
        return cls(**json.loads(text))
