"""Option groups shared by several commands, so each setting has one name and one default."""

from __future__ import annotations

import argparse

from reconciler.gitstore import GitStore
from reconciler.ipam.kube import KubeSource, api_client
from reconciler.ipam.modes import CNI_PLUGIN_CHOICES
from reconciler.ipam.snapshot import SnapshotSource
from reconciler.ipam.source import ClusterSource
from reconciler.routes import IpFamily, validate_cluster_name


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--cluster-name",
        required=True,
        type=_cluster_name,
        help="AKO clusterName: route ids and the clustername label derive from it",
    )
    group.add_argument(
        "--cni-plugin",
        default="auto",
        type=_cni_plugin,
        help="auto (read cilium-config), cilium (cluster-pool), kubernetes or '' "
        "(Node spec.podCIDRs); default auto",
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
        raise argparse.ArgumentTypeError(
            f"{value!r}: choose auto, cilium, kubernetes or '' (AKO's spelling of kubernetes)"
        )
    return value.strip().lower()
