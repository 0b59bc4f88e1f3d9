"""Option groups shared by several commands, so each setting has one name and one default."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from reconciler.apply import ApplySettings, Target
from reconciler.avi.client import DEFAULT_API_VERSION, AviClient, AviSettings
from reconciler.errors import InputError
from reconciler.gitstore import GitStore
from reconciler.ipam.kube import KubeSource, api_client
from reconciler.ipam.modes import CNI_PLUGIN_CHOICES
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.ipam.source import ClusterSource
from reconciler.policy import RoutePolicy, parse_networks
from reconciler.render import RenderSettings
from reconciler.review.github import GitHubClient, GitHubSettings
from reconciler.routes import IpFamily, validate_cluster_name


def add_cluster_name(parser: argparse.ArgumentParser) -> None:
    """Also adds --config and --ako-values: every command that names a cluster reads them."""
    parser.add_argument(
        "--cluster-name",
        type=_cluster_name,
        help="AKO clusterName: route ids and the clustername label derive from it",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML settings file (see README)")
    parser.add_argument(
        "--ako-values",
        metavar="FILE",
        help="AKO's Helm values.yaml: clusterName, cniPlugin, controller, cloud...",
    )


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--cni-plugin",
        default="auto",
        type=_cni_plugin,
        help="auto (cilium-config, else other CNIs' CRDs and Node annotations), cilium "
        "(CiliumNodes, cluster-pool or multi-pool), kubernetes or '' (Node spec.podCIDRs), "
        "calico, openshift, ovn-kubernetes, antrea (ncp: refused, NSX-T routes pods itself); "
        "default auto",
    )
    group.add_argument(
        "--ip-family",
        default=IpFamily.V4_V6,
        type=IpFamily,
        choices=list(IpFamily),
        help="address families to route; default V4_V6",
    )
    group.add_argument(
        "--cilium-namespace",
        default="kube-system",
        help="namespace of the cilium-config ConfigMap; default kube-system",
    )
    group.add_argument(
        "--snapshot",
        action="append",
        metavar="FILE",
        help="read kubectl -o yaml/json dumps instead of a live cluster (repeatable)",
    )
    group.add_argument(
        "--kubeconfig",
        help="kubeconfig file; default KUBECONFIG, ~/.kube/config, "
        "or the in-cluster service account",
    )
    group.add_argument("--context", help="kubeconfig context")


def add_manifest_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("manifest")
    group.add_argument("--vrf", default="global", help="Avi VRF context name; default global")
    group.add_argument("--cloud", default="Default-Cloud", help="Avi cloud; default Default-Cloud")
    group.add_argument("--repo", default=".", help="git repository holding routes/; default .")
    group.add_argument("--branch", help="proposal branch; default route-reconciler/<cluster>")
    group.add_argument("--reviewed-ref", default="main", help="the reviewed ref; default main")


def cluster_source(args: argparse.Namespace) -> ClusterSource:
    if args.snapshot:
        return SnapshotSource(args.snapshot)
    return KubeSource(api_client(args.kubeconfig, args.context))


def git_store(args: argparse.Namespace) -> GitStore:
    return GitStore(args.repo)


def _cluster_name(value: str) -> str:
    try:
        return validate_cluster_name(value)
    except Exception as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _cni_plugin(value: str) -> str:
    if value.strip().lower() not in CNI_PLUGIN_CHOICES:
        choices = ", ".join(choice for choice in CNI_PLUGIN_CHOICES if choice)
        raise argparse.ArgumentTypeError(
            f"{value!r}: choose {choices} or '' (AKO's spelling of kubernetes)"
        )
    return value.strip().lower()


def add_avi_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Avi Controller", "credentials only from AVI_USERNAME and AVI_PASSWORD or AVI_PASSWORD_FILE"
    )
    group.add_argument(
        "--avi-controller", metavar="URL", help="controller URL; default AVI_CONTROLLER"
    )
    group.add_argument("--avi-tenant", default="admin", help="X-Avi-Tenant; default admin")
    group.add_argument(
        "--avi-version",
        default=DEFAULT_API_VERSION,
        help=f"X-Avi-Version; default {DEFAULT_API_VERSION}",
    )
    group.add_argument("--avi-ca-bundle", metavar="FILE", help="CA bundle to verify the controller")
    group.add_argument(
        "--avi-insecure",
        action="store_true",
        help="do not verify the controller's TLS certificate (prints a warning)",
    )


def avi_client(args: argparse.Namespace) -> AviClient:
    settings = AviSettings.from_env(
        os.environ,
        controller=args.avi_controller,
        tenant=args.avi_tenant,
        api_version=args.avi_version,
        ca_bundle=args.avi_ca_bundle,
        insecure=args.avi_insecure,
    )
    return AviClient(settings)


def add_remote_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--remote", default="origin", help="git remote holding the reviewed ref; fetched first"
    )


def add_github_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("GitHub", "token only from GITHUB_TOKEN or GITHUB_TOKEN_FILE")
    group.add_argument("--github-repo", metavar="OWNER/NAME", help="repository for pull requests")
    group.add_argument(
        "--github-api-url", metavar="URL", help="API base; GitHub Enterprise: https://HOST/api/v3"
    )
    group.add_argument(
        "--github-ca-bundle", metavar="FILE", help="CA bundle to verify GitHub Enterprise"
    )


def github_client(args: argparse.Namespace) -> GitHubClient:
    if not args.github_repo:
        raise InputError("--github-repo (or githubRepository, GITHUB_REPOSITORY) is not set")
    settings = GitHubSettings.from_env(
        os.environ,
        repository=args.github_repo,
        api_url=args.github_api_url,
        ca_bundle=args.github_ca_bundle,
    )
    return GitHubClient(settings)


def add_run_output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: one JSON object per line, for log pipelines",
    )
    group.add_argument(
        "--metrics-file", metavar="FILE", help="write Prometheus metrics to this textfile"
    )
    group.add_argument("--pushgateway", metavar="URL", help="push Prometheus metrics here")


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("route policy", "checked at render and again at apply")
    group.add_argument(
        "--allowed-pod-cidr",
        action="append",
        metavar="CIDR",
        help="pod pool every route must lie in (repeatable); default: the "
        "cluster-pool CIDRs of cilium-config when rendering",
    )
    group.add_argument(
        "--min-prefix-length",
        type=bounded_int(0, 32),
        default=8,
        metavar="N",
        help="shortest IPv4 prefix allowed; default 8",
    )
    group.add_argument(
        "--min-prefix-length-v6",
        type=bounded_int(0, 128),
        default=32,
        metavar="N",
        help="shortest IPv6 prefix allowed; default 32",
    )
    group.add_argument(
        "--node-network",
        action="append",
        metavar="CIDR",
        help="network every next hop must lie in (repeatable)",
    )


def route_policy(args: argparse.Namespace) -> RoutePolicy:
    return RoutePolicy(
        pod_pools=tuple(parse_networks(args.allowed_pod_cidr or (), "--allowed-pod-cidr")),
        min_prefix_v4=args.min_prefix_length,
        min_prefix_v6=args.min_prefix_length_v6,
        node_networks=tuple(parse_networks(args.node_network or (), "--node-network")),
    )


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number within [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            upper = f"..{high}" if high is not None else " or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({low}{upper})")
        return value

    return parse


def add_apply_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--heal", action="store_true", help="also undo drift and override conflicting drift"
    )
    parser.add_argument(
        "--write-mode",
        choices=("put", "patch"),
        default="put",
        help="put: one compare-and-swap PUT of the VRF (default); patch: PATCH "
        "delete then add, sending only our changed routes",
    )
    parser.add_argument(
        "--max-delete",
        type=bounded_int(0),
        metavar="N",
        help="refuse more deletions than N; default the larger of 5 and 20%% of our live routes",
    )


def render_settings(args: argparse.Namespace, **overrides: Any) -> RenderSettings:
    values: dict[str, Any] = {
        "cluster": args.cluster_name,
        "vrf": args.vrf,
        "cloud": args.cloud,
        "cni_plugin": args.cni_plugin,
        "ip_family": args.ip_family,
        "cilium_namespace": args.cilium_namespace,
        "branch": args.branch,
        "reviewed_ref": args.reviewed_ref,
        "commit": getattr(args, "commit", False),
        "max_route_loss": args.max_route_loss,
        "allow_mass_delete": args.allow_mass_delete,
        "policy": route_policy(args),
    }
    return RenderSettings(**(values | overrides))


def apply_settings(args: argparse.Namespace) -> ApplySettings:
    return ApplySettings(
        target=Target(args.cluster_name, args.vrf, args.cloud),
        reviewed_ref=args.reviewed_ref,
        remote=args.remote,
        heal=args.heal,
        write_mode=args.write_mode,
        max_delete=args.max_delete,
        allow_mass_delete=args.allow_mass_delete,
        dry_run=getattr(args, "dry_run", False),
        require_signed_commits=getattr(args, "require_signed_commits", False),
        policy=route_policy(args),
    )
