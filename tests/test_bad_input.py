"""The bad-input corpus: every case is data in tests/bad_inputs/*.yaml; this module only runs them.

The case format is described in tests/bad_inputs/README.md. For every case the runner asserts the
documented exit code, exactly one `error:` line containing the expected text (or none when no
error is expected), that stderr holds only one-line `error:`/`warning:` messages (after an
argparse usage block) and no traceback, and that nothing was partly written: after a render the
refs are where they were (unless the case expects a commit) and the manifest in the worktree is
absent or byte-identical to the committed one; after a plan or an apply the Avi stand-in
recorded no successful write and no applied tag exists but one recording every reviewed route
as pending. Cases marked `xfail` are known bugs (strict: they must keep failing until fixed).
Cases marked `isolate` run the command in a forked child with a memory limit and a timeout, so
that a YAML bomb or a hang fails the case instead of the test session.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import resource
import shutil
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from helpers import cilium_config, cilium_node, route
from world import FOREIGN

from reconciler.cli import main
from reconciler.manifest import Manifest, render_manifest
from reconciler.sim.avi import AviSim
from reconciler.sim.kube import FakeKubeApi

CORPUS = Path(__file__).parent / "bad_inputs"
BASE = yaml.safe_load((CORPUS / "_base.yaml").read_text(encoding="utf-8"))
MANIFEST = "routes/c/global.yaml"
PROPOSAL_BRANCH = "route-reconciler/c"
COMMANDS = ("render", "check", "plan", "apply")

CASE_KEYS = {
    "id", "about", "command", "xfail", "expect",
    "cluster", "snapshot_text", "snapshot_encoding", "snapshot_path",
    "kubeconfig", "kubeconfig_path", "kube_api",
    "committed", "manifest_text", "manifest_encoding", "avi_fault",
    "config_file", "ako_values", "env", "cluster_name", "args", "isolate",
}  # fmt: skip
EXPECT_KEYS = {"exit", "error", "errors", "warning", "manifest_has", "absent"}
CLUSTER_KEYS = {"cilium_config", "nodes", "objects"}
NODE_KEYS = {"ip", "cidrs", "no_cilium_node", "podCIDR", "annotation"}
ISOLATE_KEYS = {"timeout", "memory_mb"}
KUBE_API_KEYS = {"fail", "forbid", "truncate", "crds"}
# Variables that would leak the developer's environment into a case.
CLEARED_ENV_PREFIXES = ("ROUTE_RECONCILER_", "AVI_", "GITHUB_")
CLEARED_ENV = ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")


def expand(value: Any) -> Any:
    """`{repeat: TEXT, times: N}` (optionally `before`/`after`) becomes one long string."""
    if isinstance(value, dict):
        if "repeat" in value and set(value) <= {"repeat", "times", "before", "after"}:
            text = str(value["repeat"]) * int(value["times"])
            return str(value.get("before", "")) + text + str(value.get("after", ""))
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def load_cases() -> list[Any]:
    params = []
    for file in sorted(CORPUS.glob("*.yaml")):
        if file.name.startswith("_"):
            continue
        for case in yaml.safe_load(file.read_text(encoding="utf-8"))["cases"]:
            marks = []
            if case.get("xfail"):
                marks.append(pytest.mark.xfail(strict=True, reason=case["xfail"]))
            params.append(pytest.param(case, id=f"{file.stem}/{case['id']}", marks=marks))
    return params


CASES = load_cases()


def test_corpus_is_well_formed():
    """Typos in the data must not silently weaken a case."""
    seen = set()
    for param in CASES:
        case = param.values[0]
        assert set(case) <= CASE_KEYS, (case["id"], set(case) - CASE_KEYS)
        assert case["command"] in COMMANDS, case["id"]
        assert set(case["expect"]) <= EXPECT_KEYS and "exit" in case["expect"], case["id"]
        assert set(case.get("cluster") or {}) <= CLUSTER_KEYS, case["id"]
        for node_fields in ((case.get("cluster") or {}).get("nodes") or {}).values():
            assert set(node_fields or {}) <= NODE_KEYS, case["id"]
        assert set(case.get("isolate") or {}) <= ISOLATE_KEYS, case["id"]
        assert set(case.get("kube_api") or {}) <= KUBE_API_KEYS, case["id"]
        assert param.id not in seen, param.id
        seen.add(param.id)
    assert len(CASES) >= 55


# ---------------------------------------------------------------- building the inputs


def ipam_mode_of(cilium_data: dict | None) -> str:
    if cilium_data is None or str(cilium_data.get("ipam", "")).strip() == "kubernetes":
        return "kubernetes-host-scope"
    return "cilium-cluster-pool"


def cluster_spec(case: dict) -> tuple[dict | None, dict[str, dict], list[dict]]:
    """The base cluster with the case's cilium-config, nodes (merged by name, field by field;
    null removes a node) and raw objects."""
    given = case.get("cluster") or {}
    cilium_data = given.get("cilium_config", BASE["cluster"]["cilium_config"])
    nodes = {name: dict(fields) for name, fields in BASE["cluster"]["nodes"].items()}
    for name, fields in (given.get("nodes") or {}).items():
        if fields is None:
            nodes.pop(name, None)
        else:
            nodes[name] = {**nodes.get(name, {}), **fields}
    return cilium_data, nodes, list(given.get("objects") or [])


def cluster_objects(case: dict) -> list[dict]:
    cilium_data, nodes, raw = cluster_spec(case)
    mode = ipam_mode_of(cilium_data)
    objects: list[dict] = []
    if cilium_data is not None:
        objects.append(cilium_config(**{"ipam": "cluster-pool", **cilium_data}))
        if "ipam" not in cilium_data:
            del objects[-1]["data"]["ipam"]
    for name, fields in nodes.items():
        ips = fields.get("ip")
        ips = ips if isinstance(ips, list) else ([] if ips is None else [ips])
        node: dict[str, Any] = {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": name},
            "spec": {},
            "status": {"addresses": [{"type": "InternalIP", "address": ip} for ip in ips]},
        }
        if "annotation" in fields:
            node["metadata"]["annotations"] = {"ako.vmware.com/pod-cidrs": fields["annotation"]}
        if "podCIDR" in fields:
            node["spec"]["podCIDR"] = fields["podCIDR"]
        if mode == "kubernetes-host-scope":
            if fields.get("cidrs") is not None:
                node["spec"]["podCIDRs"] = fields["cidrs"]
            objects.append(node)
        else:
            objects.append(node)
            if not fields.get("no_cilium_node"):
                cilium = cilium_node(name, [])
                cilium["spec"]["ipam"]["podCIDRs"] = fields.get("cidrs")
                objects.append(cilium)
    return objects + raw


def committed_manifest(case: dict) -> bytes:
    """routes/c/global.yaml as committed on main: raw text, or canonical from route lines."""
    if "manifest_text" in case:
        return case["manifest_text"].encode(case.get("manifest_encoding", "utf-8"))
    cilium_data, _, _ = cluster_spec(case)
    lines = case.get("committed", BASE["committed"])
    manifest = Manifest(
        "c", "global", "Default-Cloud", ipam_mode_of(cilium_data), tuple(map(route, lines))
    )
    return render_manifest(manifest).encode("utf-8")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def substitute(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    return value


def cluster_arguments(
    case: dict, tmp_path: Path, variables: dict[str, str], stack: contextlib.ExitStack
) -> list[str]:
    """--kubeconfig for live-cluster cases (a kubeconfig from the case, or one for the fake
    Kubernetes API serving the case's objects), else --snapshot of a file built from the case."""
    if "kube_api" in case:
        spec = case["kube_api"] or {}
        crds = spec.get("crds")
        objects = [
            obj
            for obj in cluster_objects(case)
            if crds is None or obj.get("kind") != "CiliumNode" or "ciliumnodes.cilium.io" in crds
        ]
        api = stack.enter_context(FakeKubeApi(objects, crds=crds))
        if spec.get("fail"):
            api.fail(spec["fail"]["resource"], spec["fail"]["status"], count=10)
        if spec.get("forbid"):
            api.forbid(spec["forbid"])
        if spec.get("truncate"):
            api.truncate_next_list(spec["truncate"])
        return ["--kubeconfig", str(api.write_kubeconfig(tmp_path / "kubeconfig"))]
    if "kubeconfig_path" in case:
        return ["--kubeconfig", substitute(case["kubeconfig_path"], variables)]
    if "kubeconfig" in case:
        path = tmp_path / "kubeconfig"
        path.write_text(substitute(case["kubeconfig"], variables), encoding="utf-8")
        return ["--kubeconfig", str(path)]
    if "snapshot_path" in case:
        return ["--snapshot", substitute(case["snapshot_path"], variables)]
    path = tmp_path / "snapshot.yaml"
    if "snapshot_text" in case:
        path.write_bytes(case["snapshot_text"].encode(case.get("snapshot_encoding", "utf-8")))
    else:
        path.write_text(yaml.safe_dump_all(cluster_objects(case), sort_keys=False))
    return ["--snapshot", str(path)]


def new_repo(path: Path, bare: bool = False) -> git.Repo:
    """A repository without template files (hooks, samples): fewer files to create and delete."""
    repo = git.Repo.init(
        path, bare=bare, initial_branch="main", template="", allow_unsafe_options=True
    )
    with repo.config_writer() as config:
        config.set_value("user", "name", "Reviewer")
        config.set_value("user", "email", "reviewer@example.invalid")
    return repo


def commit_on_main(repo: git.Repo, content: bytes, push: bool) -> None:
    path = Path(repo.working_dir) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    repo.index.add([MANIFEST])
    repo.index.commit("routes: hand-edited manifest")
    if push:
        repo.git.push("origin", "main:main")


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """Built once: a routes repo with the base manifest on main, and the same as a bare remote
    with a clone; each case copies them instead of running git to set them up again."""
    root = tmp_path_factory.mktemp("bad-input-templates")
    base = committed_manifest({})
    commit_on_main(new_repo(root / "render"), base, push=False)
    new_repo(root / "remote.git", bare=True)
    clone = new_repo(root / "clone")
    clone.create_remote("origin", str(root / "remote.git"))
    commit_on_main(clone, base, push=True)
    return root


def copied_repo(templates: Path, name: str, target: Path) -> git.Repo:
    shutil.copytree(templates / name, target, symlinks=True)
    if name == "clone":
        shutil.copytree(templates / "remote.git", target.parent / "remote.git", symlinks=True)
        config = target / ".git" / "config"
        old, new = str(templates / "remote.git"), str(target.parent / "remote.git")
        config.write_text(config.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return git.Repo(target)


class AviWorld:
    """The Avi stand-in with foreign routes (as tests/world.py sets it up) and a routes repo
    cloned from a bare remote, on which the case's manifest is committed and pushed."""

    def __init__(self, avi: AviSim, repo: git.Repo, remote: git.Repo) -> None:
        self.avi, self.repo, self.remote = avi, repo, remote
        avi.set_routes(avi.vrf("global")["uuid"], FOREIGN)


# ---------------------------------------------------------------- running and checking


def run(argv: list[str], capsys, isolate: dict | None, tmp_path: Path) -> tuple[int, str, str]:
    if not isolate:
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run_forked(
        argv, tmp_path, float(isolate.get("timeout", 2)), int(isolate.get("memory_mb", 1024))
    )


def run_forked(
    argv: list[str], tmp_path: Path, timeout: float, memory_mb: int
) -> tuple[int, str, str]:
    """main(argv) in a forked child (no interpreter start-up to wait for) whose address space
    may grow by at most `memory_mb`; killed after `timeout` seconds."""
    out, err = tmp_path / "child.out", tmp_path / "child.err"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            size = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0])
            limit = (size * 1024) + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            sys.stdout = open(out, "w", encoding="utf-8")  # noqa: SIM115
            sys.stderr = open(err, "w", encoding="utf-8")  # noqa: SIM115
            code = main(argv)
        except BaseException:
            try:
                traceback.print_exc(file=sys.stderr)
            except BaseException:
                os.write(2, b"Traceback: the child failed and could not print why\n")
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):
                    stream.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"no answer within {timeout:g} s: the command hangs or explodes")
        time.sleep(0.02)
    texts = [path.read_text(encoding="utf-8") if path.exists() else "" for path in (out, err)]
    return os.waitstatus_to_exitcode(status), texts[0], texts[1]


def message_lines(err: str) -> list[str]:
    """stderr without argparse's usage block; each remaining line is one whole message."""
    lines = err.splitlines()
    if lines and lines[0].startswith("usage:"):
        lines = lines[1:]
        while lines and lines[0].startswith(" "):
            lines = lines[1:]
    return lines


def check_output(case: dict, code: int, out: str, err: str) -> None:
    expect = case["expect"]
    assert "Traceback" not in err, err[-3000:]
    lines = message_lines(err)
    strays = [line for line in lines if not line.startswith(("error: ", "warning: "))]
    assert not strays, f"stderr lines that are not one-line error/warning messages: {strays[:5]}"
    errors = [line for line in lines if line.startswith("error: ")]
    if expect.get("error") is None:
        assert errors == [], errors
    else:
        matching = [line for line in errors if expect["error"] in line]
        assert len(matching) == 1, (expect["error"], errors)
    if expect.get("errors") is not None:
        assert len(errors) == expect["errors"], errors
    if expect.get("warning") is not None:
        warnings = [line for line in lines if line.startswith("warning: ")]
        assert any(expect["warning"] in line for line in warnings), (expect["warning"], warnings)
    for secret in expect.get("absent") or []:
        assert secret not in out and secret not in err, f"{secret!r} was printed"
    assert code == expect["exit"], (code, err[-2000:])


def git_state(repo: git.Repo) -> tuple[list[tuple[str, str]], str, list[str]]:
    """Every ref and where it points, HEAD, and the files under routes/ in the worktree."""
    refs = sorted((ref.path, ref.object.hexsha) for ref in repo.refs)
    routes = Path(repo.working_dir) / "routes"
    files = sorted(str(path.relative_to(routes)) for path in routes.rglob("*"))
    return refs, repo.head.commit.hexsha, files


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case, tmp_path, capsys, monkeypatch, templates):
    with contextlib.ExitStack() as stack:
        run_case(expand(case), tmp_path, capsys, monkeypatch, templates, stack)


def run_case(case, tmp_path, capsys, monkeypatch, templates, stack):
    for name in list(os.environ):
        if name.startswith(CLEARED_ENV_PREFIXES) or name in CLEARED_ENV:
            monkeypatch.delenv(name)
    variables = {"tmp": str(tmp_path), "closed_port": str(closed_port())}
    command = case["command"]
    cluster_name = case.get("cluster_name", "c")
    world = None
    if command in ("plan", "apply"):
        monkeypatch.setenv("AVI_USERNAME", "admin")
        monkeypatch.setenv("AVI_PASSWORD", "s3cret-avi-password")
        avi = stack.enter_context(AviSim(username="admin", password="s3cret-avi-password"))
        repo = copied_repo(templates, "clone", tmp_path / "repo")
        world = AviWorld(avi, repo, git.Repo(tmp_path / "remote.git"))
    for name, value in (case.get("env") or {}).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, substitute(str(value), variables))
    argv = [command] + ([] if cluster_name is None else ["--cluster-name", cluster_name])
    for key, flag in (("config_file", "--config"), ("ako_values", "--ako-values")):
        if key in case:
            path = tmp_path / f"{key}.yaml"
            path.write_text(case[key], encoding="utf-8")
            argv += [flag, str(path)]
    content, base = committed_manifest(case), committed_manifest({})
    repo = None
    if command == "render":
        repo = copied_repo(templates, "render", tmp_path / "repo")
        if content != base:
            commit_on_main(repo, content, push=False)
        argv += ["--repo", repo.working_dir, "--commit"]
    if command in ("render", "check"):
        argv += cluster_arguments(case, tmp_path, variables, stack)
    if world is not None:
        variables["avi_url"] = world.avi.url
        if content != base:
            commit_on_main(world.repo, content, push=True)
        argv += ["--repo", world.repo.working_dir, "--avi-controller", world.avi.url]
        fault = case.get("avi_fault")
        if fault:
            world.avi.inject(
                fault["status"],
                method=fault.get("method"),
                path_contains=fault.get("path_contains"),
                body=fault.get("body"),
                count=fault.get("count", 1),
            )
        world.avi.clear_requests()
    argv += [str(arg) for arg in substitute(case.get("args") or [], variables)]
    before = git_state(repo) if repo is not None else None

    code, out, err = run(argv, capsys, case.get("isolate"), tmp_path)

    case["expect"] = expect = substitute(case["expect"], variables)
    check_output(case, code, out, err)
    if repo is not None:
        # render --commit writes only the proposal branch, never the working tree
        written = Path(repo.working_dir) / MANIFEST
        assert not written.exists() or written.read_bytes() == content, "worktree rewritten"
        if expect.get("manifest_has"):
            text = repo.git.show(f"{PROPOSAL_BRANCH}:{MANIFEST}")
            for expected in expect["manifest_has"]:
                assert expected in text, (expected, text)
        else:
            assert git_state(repo) == before, "a ref moved or a file appeared under routes/"
    if world is not None:
        assert world.avi.writes == [], world.avi.writes
        for repo_ in (world.repo, world.remote):
            for tag in repo_.tags:
                assert_records_nothing_applied(repo_, tag.path, committed_manifest(case))


def assert_records_nothing_applied(repo: git.Repo, tag: str, manifest: bytes) -> None:
    """An apply that wrote nothing may record only that every reviewed route is pending."""
    assert repo.git.cat_file("-t", tag) == "tag", f"{tag} records the commit as applied"
    body = json.loads(repo.git.cat_file("tag", tag).split("\n\n", 2)[2])
    pending = {ipaddress.ip_network(entry["prefix"]) for entry in body["pending"]}
    routes = yaml.safe_load(manifest)["spec"]["routes"]
    reviewed = {ipaddress.ip_network(entry["prefix"]) for entry in routes}
    assert pending == reviewed, f"{tag} records {reviewed - pending} as applied"
