"""Small builders shared by tests: cluster objects as kubectl prints them, routes from text."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from reconciler.routes import Route, route_id

DATA = Path(__file__).parent / "data"
CLI = (sys.executable, "-c", "from reconciler.cli import main; raise SystemExit(main())")
PROCESS_TIMEOUT = 120


def node(
    name: str, ip: str | list[str] | None, pod_cidrs: list[str] | None = None, **extra: Any
) -> dict:
    ips = [ip] if isinstance(ip, str) else (ip or [])
    obj: dict[str, Any] = {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {"name": name},
        "spec": {"podCIDRs": pod_cidrs} if pod_cidrs else {},
        "status": {"addresses": [{"type": "InternalIP", "address": a} for a in ips]},
    }
    obj.update(extra)
    return obj


def cilium_node(name: str, pod_cidrs: list[str]) -> dict:
    return {
        "kind": "CiliumNode",
        "apiVersion": "cilium.io/v2",
        "metadata": {"name": name},
        "spec": {"ipam": {"podCIDRs": pod_cidrs}},
    }


def cilium_config(ipam: str = "cluster-pool", **data: str) -> dict:
    return {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        "data": {"ipam": ipam, **data},
    }


def route(text: str, cluster: str = "c") -> Route:
    """`"<prefix> <nextHop> <node>"`."""
    prefix, next_hop, node_name = text.split()
    network = ipaddress.ip_network(prefix)
    return Route(network, ipaddress.ip_address(next_hop), node_name, route_id(cluster, network))


def route_text(r: Route) -> str:
    return f"{r.prefix} {r.next_hop} {r.node}"


def write_objects(path: Path, objects: list[dict]) -> Path:
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path


def init_repo(path: Path, files: dict[str, str] | None = None):
    """A real repository with `main` and one commit, as a user's routes repo would be."""
    import git

    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    for name, content in {"README.md": "routes\n", **(files or {})}.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        repo.index.add([name])
    repo.index.commit("initial")
    return repo


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from reconciler.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def self_signed_certificate(folder: Path) -> tuple[str, str]:
    """A throwaway certificate and key for 127.0.0.1 in ``folder``, for stand-ins serving TLS;
    the test is skipped where openssl is missing."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


# An ownership oracle written from the README, independent of reconciler.ownership.
ORACLE_OWNER_LABELS = [{"key": "clustername", "value": "c"}]


def oracle_is_ours(entry: dict) -> bool:
    return entry.get("labels") == ORACLE_OWNER_LABELS


def oracle_reaches_us(entry: dict) -> bool:
    """README "Ownership": a foreign route with no label (or an empty list) reaches every SE
    group, ours included; so does one carrying our label in any shape, or an unreadable one."""
    labels = entry.get("labels")
    if not isinstance(labels, list) or labels == []:
        return True
    for label in labels:
        if not isinstance(label, dict) or not label.get("key"):
            return True
        if label.get("key") == "clustername" and label.get("value") == "c":
            return True
    return False


def oracle_blocked(target: list[Route] | tuple[Route, ...], static_routes: list[dict]) -> set:
    """The prefixes of `target` a foreign route stands in the way of: one holding the route's
    id (ids are unique in a VRF), or one on the same prefix that reaches our Service Engines.
    A foreign route labelled for anyone else only shares the prefix."""
    foreign = [entry for entry in static_routes if not oracle_is_ours(entry)]
    return {
        wanted.prefix
        for wanted in target
        for entry in foreign
        if entry.get("route_id") == wanted.route_id
        or (entry_prefix(entry) == wanted.prefix and oracle_reaches_us(entry))
    }


def entry_prefix(entry: dict) -> Any:
    prefix = entry["prefix"]
    return ipaddress.ip_network(f"{prefix['ip_addr']['addr']}/{prefix['mask']}")


def ours_ahead_of_foreign(static_routes: list[dict]) -> dict[str, set[Any]]:
    """For each foreign route (by id), the prefixes of ours listed before it."""
    ahead: dict[str, set[Any]] = {}
    seen: set[Any] = set()
    for entry in static_routes:
        if oracle_is_ours(entry):
            seen.add(entry_prefix(entry))
        else:
            ahead[entry["route_id"]] = set(seen)
    return ahead


def live_source(kubeconfig: str, page_size: int = 500):
    """The production live source over a kubeconfig, without a terminal progress line."""
    from reconciler.ipam.kube import KubeSource
    from reconciler.ipam.kubeconfig import api_client

    return KubeSource(api_client(kubeconfig), page_size=page_size, progress=False)


def start_cli(*args: str, avi_password: str) -> subprocess.Popen:
    """`route-reconciler <args>` as its own process, with the Avi credentials in its
    environment and nothing inherited that could change its settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AVI_", "ROUTE_RECONCILER_", "KUBERNETES_"))
    }
    env.update(AVI_USERNAME="admin", AVI_PASSWORD=avi_password)
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    """Each process's exit code, stdout and stderr, once it has ended."""
    results = []
    for process in processes:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
        results.append((process.returncode, out, err))
    return results


def avi_settings(sim: Any, **overrides: Any) -> Any:
    """Settings for the production Avi client against the stand-in ``sim`` (give the
    password): quick backoff."""
    from reconciler.avi.client import AviSettings

    values: dict[str, Any] = {
        "controller": sim.url,
        "username": "admin",
        "timeout": 2.0,
        "backoff_base": 0.001,
        **overrides,
    }
    return AviSettings(**values)


def github_settings(github: Any, **overrides: Any) -> Any:
    """Settings for the production GitHub client against the fake ``github`` (give the token):
    no backoff."""
    from reconciler.review.github import GitHubSettings

    values: dict[str, Any] = {
        "repository": "acme/routes",
        "api_url": github.url,
        "timeout": 2.0,
        "backoff_base": 0.0,
        **overrides,
    }
    return GitHubSettings(**values)


def as_started_from_a_terminal() -> None:
    """A `preexec_fn` giving the child the SIGINT a terminal's Ctrl-C reaches. A test run as a
    background job of a script hands its children an ignored SIGINT, which the stand-ins honour
    by design (scripts stop them with SIGTERM); a test of Ctrl-C must not depend on that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
