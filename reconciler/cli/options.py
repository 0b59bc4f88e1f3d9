"""Option groups shared by several commands, so each setting has one name and one default."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from reconciler.addresses import IPNetwork
from reconciler.avi.defaults import DEFAULT_API_VERSION
from reconciler.errors import InputError, brief
from reconciler.guards import DEFAULT_MAX_ADD
from reconciler.ipam.modes import CNI_PLUGIN_CHOICES
from reconciler.ipam.registry import REFUSED_PLUGINS
from reconciler.names import validate_cloud_name, validate_cluster_name, validate_vrf_name
from reconciler.policy import parse_network
from reconciler.routes import IpFamily


def add_cluster_name(parser: argparse.ArgumentParser) -> None:
    """Also adds --config and --ako-values: every command that names a cluster reads them."""
    parser.add_argument(
        "--cluster-name",
        type=_argument_type(validate_cluster_name),
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


def add_vrf_and_cloud(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--vrf",
        default="global",
        type=_argument_type(validate_vrf_name),
        help="Avi VRF context name; default global",
    )
    parser.add_argument(
        "--cloud",
        default="Default-Cloud",
        type=_argument_type(validate_cloud_name),
        help="Avi cloud; default Default-Cloud",
    )


def add_manifest_options(
    parser: argparse.ArgumentParser, branch_use: str = "where proposals are committed"
) -> None:
    """``branch_use`` says what the command does with the proposal branch."""
    group = parser.add_argument_group("manifest")
    add_vrf_and_cloud(group)
    group.add_argument("--repo", default=".", help="git repository holding routes/; default .")
    group.add_argument(
        "--branch",
        metavar="BRANCH",
        help=f"proposal branch, {branch_use}; default route-reconciler/<cluster>",
    )
    group.add_argument("--reviewed-ref", default="main", help="the reviewed ref; default main")


def _argument_type(validate: Callable[[str], str]) -> Callable[[str], str]:
    """A name check as an argparse type, so a bad flag is a usage error naming the flag."""

    def parse(value: str) -> str:
        try:
            return validate(value)
        except InputError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _cni_plugin(value: str) -> str:
    """AKO's names, lower-cased as AKO reads them; a refused one is an error saying why."""
    plugin = value.strip().lower()
    if plugin not in CNI_PLUGIN_CHOICES:
        choices = ", ".join(c for c in CNI_PLUGIN_CHOICES if c and c not in REFUSED_PLUGINS)
        raise argparse.ArgumentTypeError(
            f"{brief(value)}: choose {choices} or '' (AKO's spelling of kubernetes)"
        )
    if plugin in REFUSED_PLUGINS:
        raise argparse.ArgumentTypeError(f"{plugin}: {REFUSED_PLUGINS[plugin]}")
    return plugin


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
        type=network,
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
    add_node_network_option(group)


def add_node_network_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--node-network",
        action="append",
        type=network,
        metavar="CIDR",
        help="network the Service Engines reach the nodes on (repeatable): each node's next hop "
        "is its address inside one, and every next hop must lie in one",
    )


def network(text: str) -> IPNetwork:
    """A CIDR as an argparse type, so a bad one is an error naming the option, or the file or
    variable it came from."""
    try:
        return parse_network(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


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


def add_render_guard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-route-loss",
        type=_fraction,
        default=0.5,
        help="refuse when more than this share of committed routes would go; default 0.5",
    )
    parser.add_argument(
        "--allow-mass-delete", action="store_true", help="override the route-loss guard"
    )


def _fraction(value: str) -> float:
    number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a fraction 0..1 or a percentage")
    return number


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
    parser.add_argument(
        "--max-add",
        type=bounded_int(0),
        metavar="N",
        help=f"refuse more additions than N; default {DEFAULT_MAX_ADD}",
    )
    parser.add_argument("--allow-mass-add", action="store_true", help="override the addition guard")
    # Set from --ako-values (reconciler.settings): the file, when it says AKO still syncs.
    parser.set_defaults(ako_still_syncing=None)
    parser.add_argument(
        "--allow-ako-sync",
        action="store_true",
        help="apply although --ako-values says AKO still syncs static routes "
        "(AKOSettings.disableStaticRouteSync not true)",
    )
