"""`sim`: the project's stand-ins, served on 127.0.0.1 for people who want to try the tool without
a cluster, a controller or GitHub; and the two things a person does to them in a walk-through:
merge a pull request, edit a route by hand on the controller."""

from __future__ import annotations

import argparse
import ipaddress
import os
from typing import Any
from urllib.parse import urlsplit

from reconciler.cli.options import add_avi_options, add_github_options
from reconciler.errors import ApiError, InputError

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "sim",
        help="run a local stand-in: Kubernetes API, Avi Controller or GitHub",
        description="Each stand-in serves on 127.0.0.1 until Ctrl-C or SIGTERM, prints the "
        "settings to use it as export lines and, with --env-file, writes them there once it "
        "listens; everything it made is removed when it stops.",
    )
    stand_ins = parser.add_subparsers(dest="stand_in", required=True, metavar="STAND_IN")
    kube = stand_ins.add_parser(
        "kube",
        help="fake Kubernetes API over HTTPS serving kubectl dumps",
        description="Exports KUBECONFIG: a kubeconfig with a token and the throwaway CA.",
    )
    kube.add_argument(
        "--snapshot",
        action="append",
        default=[],
        metavar="FILE",
        help="kubectl -o yaml/json dump to serve (repeatable)",
    )
    _add_serve_options(kube)
    kube.set_defaults(run=_run_kube)

    avi = stand_ins.add_parser(
        "avi",
        help="Avi Controller stand-in with VrfContext static routes",
        description="Credentials: --username, password from AVI_PASSWORD or AVI_PASSWORD_FILE "
        "(default admin/admin). Exports AVI_CONTROLLER and AVI_USERNAME.",
    )
    avi.add_argument("--username", default="admin", help="the account to accept; default admin")
    avi.add_argument(
        "--seed", metavar="FILE", help="YAML or JSON with VRFs, routes and SE groups (see README)"
    )
    avi.add_argument(
        "--cluster-name",
        dest="se_group_cluster",  # not the cluster_name every cluster command requires
        metavar="NAME",
        help="label SE group Default-Group clustername=NAME, as AKO does",
    )
    _add_serve_options(avi)
    avi.set_defaults(run=_run_avi)
    edit = _person_action(
        avi,
        "edit-route",
        "change a route's next hop on a running stand-in, as someone in the Avi UI would",
        "Makes drift: a change on the controller that git did not review.",
    )
    edit.add_argument("prefix", help="the route's prefix, e.g. 10.0.3.0/24")
    edit.add_argument("next_hop", metavar="next-hop", help="the new next hop address")
    edit.add_argument("--vrf", default="global", help="VRF context; default global")
    edit.add_argument("--cloud", default="Default-Cloud", help="cloud; default Default-Cloud")
    add_avi_options(edit)
    edit.set_defaults(run=_edit_route)

    github = stand_ins.add_parser(
        "github",
        help="fake GitHub API for one repository, over a bare git repository",
        description="Exports GITHUB_API_URL, GITHUB_TOKEN and GITHUB_REPOSITORY.",
    )
    github.add_argument(
        "--git-dir", metavar="DIR", help="the bare repository the pull requests are about"
    )
    github.add_argument(
        "--repository", default="acme/routes", help="OWNER/NAME to serve; default acme/routes"
    )
    _add_serve_options(github)
    github.set_defaults(run=_run_github)
    merge = _person_action(
        github,
        "merge",
        "merge pull request N on a running stand-in, as a reviewer would",
        "Sends PUT /repos/OWNER/NAME/pulls/N/merge, GitHub's merge button.",
    )
    merge.add_argument("number", type=int, help="the pull request's number")
    add_github_options(merge)
    merge.set_defaults(run=_merge)


def _person_action(
    stand_in: argparse.ArgumentParser, name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """What a person does to a running stand-in; without it the stand-in is served."""
    actions = stand_in.add_subparsers(
        dest="action",
        metavar="[ACTION]",
        title="actions",
        description="optional: without one, the stand-in is served",
    )
    return actions.add_parser(name, help=summary, description=description)


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; default any free")
    parser.add_argument(
        "--env-file",
        metavar="FILE",
        help="write the export lines here once listening (to source); removed when stopped",
    )


def _run_kube(args: argparse.Namespace) -> int:
    from reconciler.sim.kube import serve

    serve(args.snapshot, args.port, args.env_file)
    return 0


def _run_avi(args: argparse.Namespace) -> int:
    from reconciler import http
    from reconciler.sim.avi import run_standalone

    given = "AVI_PASSWORD" in os.environ or "AVI_PASSWORD_FILE" in os.environ
    password = "admin"
    if given:
        password = http.secret_from_env(
            os.environ, "AVI_PASSWORD", "the password", strip=lambda text: text.rstrip("\r\n")
        )
    run_standalone(
        args.port,
        username=args.username,
        password=password,
        password_is_default=not given,
        seed_file=args.seed,
        cluster_name=args.se_group_cluster,
        env_file=args.env_file,
    )
    return 0


def _run_github(args: argparse.Namespace) -> int:
    from reconciler.sim.github.standalone import serve

    if not args.git_dir:
        raise InputError("--git-dir is required: the bare repository `run` pushes to")
    serve(args.git_dir, args.repository, args.port, args.env_file)
    return 0


def _merge(args: argparse.Namespace) -> int:
    from reconciler.review.session import GitHubSession
    from reconciler.review.settings import GitHubSettings

    if not args.github_repo:
        raise InputError("--github-repo (or GITHUB_REPOSITORY) is not set")
    settings = GitHubSettings.from_env(
        os.environ,
        repository=args.github_repo,
        api_url=args.github_api_url,
        ca_bundle=args.github_ca_bundle,
    )
    _only_a_stand_in(settings.api_url, "GITHUB_API_URL")
    path = f"/repos/{settings.owner}/{settings.name}/pulls/{args.number}/merge"
    session = GitHubSession(settings)
    try:
        merged = session.call("PUT", path, {"merge_method": "merge"})
    finally:
        session.close()
    if not isinstance(merged, dict) or not isinstance(merged.get("sha"), str):
        raise ApiError(f"PUT {path}: the answer names no merge commit")
    print(f"merged pull request #{args.number} of {settings.repository}: commit {merged['sha']}")
    return 0


def _edit_route(args: argparse.Namespace) -> int:
    from reconciler.avi.client import AviClient
    from reconciler.cli.wiring import avi_settings

    try:
        prefix = ipaddress.ip_network(args.prefix)
        next_hop = ipaddress.ip_address(args.next_hop)
    except ValueError as exc:
        raise InputError(f"edit-route: {exc}") from None
    settings = avi_settings(args)
    _only_a_stand_in(settings.controller, "AVI_CONTROLLER")
    with AviClient(settings) as client:
        vrf = client.get_vrf(client.find_vrf(args.vrf, args.cloud)["uuid"])
        wanted = (str(prefix.network_address), prefix.prefixlen)
        hop = {"addr": str(next_hop), "type": f"V{next_hop.version}"}
        routes = vrf.get("static_routes") or []
        edited = [{**r, "next_hop": hop} if _prefix_of(r) == wanted else r for r in routes]
        if edited == routes:
            raise InputError(f"edit-route: VRF {args.vrf} has no route for {prefix} to change")
        client.put_vrf(vrf["uuid"], {**vrf, "static_routes": edited})  # as the UI saves it
    print(f"route {prefix} in VRF {args.vrf} now goes via {next_hop} (edited outside git)")
    return 0


def _prefix_of(route: Any) -> tuple[Any, Any]:
    prefix = route.get("prefix") if isinstance(route, dict) else None
    if not isinstance(prefix, dict) or not isinstance(prefix.get("ip_addr"), dict):
        return None, None
    return prefix["ip_addr"].get("addr"), prefix.get("mask")


def _only_a_stand_in(url: str, setting: str) -> None:
    """These helpers act as a person on a stand-in; they never touch a real service."""
    if urlsplit(url).hostname not in _LOOPBACK_HOSTS:
        raise InputError(f"{setting} {url} is not a stand-in on 127.0.0.1; sim acts only there")
