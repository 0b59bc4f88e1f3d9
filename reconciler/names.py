"""The names a user gives: cluster, VRF and cloud. Pure.

They become parts of file paths (`routes/<cluster>/<vrf>.yaml`), git ref names, route ids and
query parameters, so they are checked wherever they come from (flag, environment, `--config`,
`--ako-values`, a manifest's metadata) before anything uses them.
"""

from __future__ import annotations

import re

from reconciler.errors import InputError, brief

CLUSTER_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,63}")
# Avi object names may hold dots; a leading dot would make `.` or `..` a path component.
AVI_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")


def validate_cluster_name(cluster: str) -> str:
    if not CLUSTER_NAME_PATTERN.fullmatch(cluster):
        raise InputError(
            f"cluster name {brief(cluster)}: must be 1-63 letters, digits, '-' or '_' "
            "(it becomes part of every route id and the clustername label)"
        )
    return cluster


def validate_vrf_name(vrf: str) -> str:
    return _avi_name(vrf, "VRF name", "it names the manifest file")


def validate_cloud_name(cloud: str) -> str:
    return _avi_name(cloud, "cloud name", "it is sent in Avi queries")


def _avi_name(name: str, what: str, why: str) -> str:
    if not AVI_NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"{what} {brief(name)}: must be 1-128 letters, digits, '.', '-' or '_', "
            f"not starting with '.' ({why})"
        )
    return name
