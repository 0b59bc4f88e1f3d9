"""The README's "Try it end to end" runs as written: its shell blocks, in a scratch folder, with
the three stand-ins as background processes on free ports; and its seed example loads."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from reconciler.sim.avi import AviSim

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SCRIPT_DEADLINE_SECONDS = 600  # a safety net for a hung stand-in, not a speed requirement


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    return README[start : README.index("\n## ", start + 1)]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_walk_through_runs_as_written(tmp_path: Path) -> None:
    script = "\n".join(blocks(section("Try it end to end"), "sh"))
    scratch, home = tmp_path / "tmp", tmp_path / "home"
    scratch.mkdir()
    home.mkdir()
    identity = {"NAME": "Try It", "EMAIL": "try-it@example.invalid"}
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(scratch),
        "HOME": str(home),  # kubectl's cache, and no git configuration of the machine's user
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in identity.items()
        },
    }
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the stand-ins join its process group, ended below if need be
    )
    try:
        output, _ = shell.communicate(timeout=SCRIPT_DEADLINE_SECONDS)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)

    runs = re.findall(r"^run demo/global: .*$", output, flags=re.MULTILINE)
    assert "check passed" in output, output
    assert len(runs) == 3, output
    assert "pull request #1 opened" in runs[0] and "nothing reviewed yet" in runs[0]
    assert runs[0].endswith("exit 2")
    assert "merged pull request #1 of acme/routes" in output
    assert "applied 5 change(s)" in runs[1] and runs[1].endswith("exit 2")
    assert re.search(r"drift +update +10\.0\.3\.0/24 +192\.168\.10\.99 -> 192\.168\.10\.13", output)
    assert re.search(r"^apply \w+ to VRF global: applied 1 change\(s\)", output, flags=re.MULTILINE)
    assert "applied 0 change(s)" in runs[2] and runs[2].endswith("exit 0")
    for stand_in in ("fake Kubernetes API", "Avi stand-in", "fake GitHub API"):
        assert f"{stand_in} stopped" in output
    if shutil.which("kubectl"):
        assert re.search(r"^w2 +Ready,SchedulingDisabled", output, flags=re.MULTILINE), output
    assert "Traceback" not in output
    (workdir,) = scratch.iterdir()  # the scratch folder of mktemp -d, and nothing the sims made
    assert sorted(path.name for path in workdir.iterdir()) == ["remote.git", "routes"]


def test_the_seed_example_loads() -> None:
    (example,) = blocks(section("The stand-ins"), "yaml")
    with AviSim() as avi:
        avi.load_seed(yaml.safe_load(example))
        routes = avi.vrf("global")["static_routes"]
        blue = avi.vrf("blue", "Cloud-B")

    assert [route["route_id"] for route in routes] == ["dc-core"]
    assert blue["static_routes"] == []
