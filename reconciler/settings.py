"""Configuration: one YAML file, environment variables and flags, with one precedence rule.

flags > environment > `--config` file > `--ako-values` (AKO's Helm values) > built-in defaults.
A value is checked only once precedence chose it, so a flag overrides even a value that would be
refused; an error names where the value came from. Every setting is listed once in SETTINGS; the
README's table is checked against it by a test.
Credentials are not settings: they come only from the environment or files.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from reconciler import yamlio
from reconciler.ako_values import (
    Configured,
    ako_still_syncs,
    ako_values_warnings,
    from_ako_values,
)
from reconciler.errors import InputError, brief

Kind = Literal["str", "bool", "int", "list"]


@dataclass(frozen=True)
class Setting:
    key: str
    dest: str
    env: str | None
    kind: Kind
    doc: str


SETTINGS = (
    Setting(
        "clusterName", "cluster_name", "ROUTE_RECONCILER_CLUSTER_NAME", "str", "AKO clusterName"
    ),
    Setting("vrf", "vrf", "ROUTE_RECONCILER_VRF", "str", "Avi VRF context"),
    Setting("cloud", "cloud", "ROUTE_RECONCILER_CLOUD", "str", "Avi cloud"),
    Setting("cniPlugin", "cni_plugin", "ROUTE_RECONCILER_CNI_PLUGIN", "str", "IPAM source"),
    Setting("ipFamily", "ip_family", "ROUTE_RECONCILER_IP_FAMILY", "str", "V4, V6 or V4_V6"),
    Setting(
        "ciliumNamespace",
        "cilium_namespace",
        "ROUTE_RECONCILER_CILIUM_NAMESPACE",
        "str",
        "namespace of cilium-config",
    ),
    Setting("kubeconfig", "kubeconfig", None, "str", "kubeconfig file (KUBECONFIG also works)"),
    Setting("context", "context", "ROUTE_RECONCILER_CONTEXT", "str", "kubeconfig context"),
    Setting("repo", "repo", "ROUTE_RECONCILER_REPO", "str", "git repository holding routes/"),
    Setting("branch", "branch", "ROUTE_RECONCILER_BRANCH", "str", "proposal branch"),
    Setting("reviewedRef", "reviewed_ref", "ROUTE_RECONCILER_REVIEWED_REF", "str", "reviewed ref"),
    Setting("remote", "remote", "ROUTE_RECONCILER_REMOTE", "str", "git remote"),
    Setting(
        "maxRouteLoss",
        "max_route_loss",
        "ROUTE_RECONCILER_MAX_ROUTE_LOSS",
        "str",
        "render guard: largest share of the reviewed routes a render may remove",
    ),
    Setting("aviController", "avi_controller", "AVI_CONTROLLER", "str", "Avi Controller URL"),
    Setting("aviTenant", "avi_tenant", "AVI_TENANT", "str", "X-Avi-Tenant"),
    Setting("aviVersion", "avi_version", "AVI_VERSION", "str", "X-Avi-Version"),
    Setting("aviCaBundle", "avi_ca_bundle", "AVI_CA_BUNDLE", "str", "CA bundle for the controller"),
    Setting("aviInsecure", "avi_insecure", "AVI_INSECURE", "bool", "skip TLS verification"),
    Setting(
        "seGroups",
        "se_group",
        "ROUTE_RECONCILER_SE_GROUPS",
        "list",
        "SE groups that must carry clustername=<cluster>",
    ),
    Setting("writeMode", "write_mode", "ROUTE_RECONCILER_WRITE_MODE", "str", "put or patch"),
    Setting(
        "maxDelete",
        "max_delete",
        "ROUTE_RECONCILER_MAX_DELETE",
        "int",
        "apply guard: most deletions in one apply",
    ),
    Setting(
        "maxAdd",
        "max_add",
        "ROUTE_RECONCILER_MAX_ADD",
        "int",
        "apply guard: most additions in one apply",
    ),
    Setting("heal", "heal", "ROUTE_RECONCILER_HEAL", "bool", "apply also undoes drift"),
    Setting(
        "allowedPodCidrs",
        "allowed_pod_cidr",
        "ROUTE_RECONCILER_ALLOWED_POD_CIDRS",
        "list",
        "route policy: pod pools every route must lie in (default: cilium-config pools)",
    ),
    Setting(
        "minPrefixLength",
        "min_prefix_length",
        "ROUTE_RECONCILER_MIN_PREFIX_LENGTH",
        "int",
        "route policy: shortest IPv4 prefix allowed",
    ),
    Setting(
        "minPrefixLengthV6",
        "min_prefix_length_v6",
        "ROUTE_RECONCILER_MIN_PREFIX_LENGTH_V6",
        "int",
        "route policy: shortest IPv6 prefix allowed",
    ),
    Setting(
        "nodeNetworks",
        "node_network",
        "ROUTE_RECONCILER_NODE_NETWORKS",
        "list",
        "networks the Service Engines reach the nodes on: each next hop is the node's address "
        "inside them, and must lie in one",
    ),
    Setting("githubRepository", "github_repo", "GITHUB_REPOSITORY", "str", "owner/name for PRs"),
    Setting(
        "githubApiUrl", "github_api_url", "GITHUB_API_URL", "str", "GitHub (Enterprise) API URL"
    ),
    Setting(
        "githubCaBundle",
        "github_ca_bundle",
        "GITHUB_CA_BUNDLE",
        "str",
        "CA bundle for GitHub Enterprise",
    ),
    Setting("logFormat", "log_format", "ROUTE_RECONCILER_LOG_FORMAT", "str", "text or json"),
    Setting(
        "metricsFile",
        "metrics_file",
        "ROUTE_RECONCILER_METRICS_FILE",
        "str",
        "Prometheus textfile to write",
    ),
    Setting("pushgateway", "pushgateway", "ROUTE_RECONCILER_PUSHGATEWAY", "str", "Pushgateway URL"),
    Setting(
        "leaseNamespace",
        "lease_namespace",
        "ROUTE_RECONCILER_LEASE_NAMESPACE",
        "str",
        "namespace of the run Lease (in a cluster)",
    ),
)
_BY_KEY = {setting.key: setting for setting in SETTINGS}
_BY_DEST = {setting.dest: setting for setting in SETTINGS}
_SECRET_WORDS = ("password", "token", "secret", "credential")


def configured_defaults(
    config_file: str | None, ako_values: str | None, environ: Mapping[str, str]
) -> tuple[dict[str, Configured], list[str]]:
    """The value each source gives a setting, the highest precedence applied last, and warnings.
    Each is typed as its setting's kind here; what it means (a name, a CIDR, a choice) is checked
    as the flag's own value is, and only if no flag overrides it. With AKO values that say AKO
    still syncs static routes, `ako_still_syncing` names the file."""
    values: dict[str, Configured] = {}
    warnings: list[str] = []
    if ako_values:
        helm_values = _read_yaml(ako_values, "--ako-values")
        for dest, raw in from_ako_values(helm_values, ako_values).items():
            values[dest] = Configured(_typed(_BY_DEST[dest], raw.value, raw.where), raw.where)
        warnings += ako_values_warnings(helm_values)
        if ako_still_syncs(helm_values):
            where = f"{ako_values}: AKOSettings.disableStaticRouteSync"
            values["ako_still_syncing"] = Configured(ako_values, where)
    if config_file:
        values.update(from_config(_read_yaml(config_file, "--config"), config_file))
    values.update(from_environment(environ))
    return values, warnings


def from_config(document: Any, source: str) -> dict[str, Configured]:
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise InputError(f"{source}: expected a mapping of settings, got {type(document).__name__}")
    values = {}
    for key, value in document.items():
        setting = _BY_KEY.get(str(key))
        if setting is None:
            raise InputError(f"{source}: {key}: unknown setting{_unknown_key_hint(key)}")
        where = f"{source}: {key}"
        values[setting.dest] = Configured(_typed(setting, value, where), where)
    return values


def _unknown_key_hint(key: object) -> str:
    """Credentials are refused as such; anything else gets the closest known key, if one is
    close (a typo), else where the keys are listed."""
    text = str(key)
    if any(word in text.lower() for word in _SECRET_WORDS):
        return " (credentials come only from the environment or files)"
    close = difflib.get_close_matches(text, _BY_KEY, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return " (the README's Configuration section lists every key)"


def from_environment(environ: Mapping[str, str]) -> dict[str, Configured]:
    values = {}
    for setting in SETTINGS:
        if setting.env and environ.get(setting.env, "") != "":
            where = f"environment {setting.env}"
            values[setting.dest] = Configured(_typed(setting, environ[setting.env], where), where)
    return values


def _typed(setting: Setting, value: Any, where: str) -> Any:
    if setting.kind == "bool":
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in ("true", "false"):
            return value if isinstance(value, bool) else text == "true"
        raise InputError(f"{where}: expected true or false, got {brief(value)}")
    if setting.kind == "int":
        try:
            return int(str(value))
        except ValueError:
            raise InputError(f"{where}: expected a whole number, got {brief(value)}") from None
    if setting.kind == "list":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise InputError(f"{where}: expected a list, got {brief(value)}")
        return [str(item).strip() for item in items if str(item).strip()]
    if isinstance(value, (Mapping, list)):
        raise InputError(f"{where}: expected a single value, got {type(value).__name__}")
    return str(value)


def _read_yaml(path: str, flag: str) -> Any:
    try:
        return yamlio.load_unique(Path(path).read_bytes())
    except OSError as error:
        raise InputError(f"{flag} {path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise InputError(
            f"{flag} {path}: not valid YAML ({getattr(error, 'problem', error)})"
        ) from None
