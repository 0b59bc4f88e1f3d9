"""Where the Kubernetes client finds the cluster: a kubeconfig (flag, KUBECONFIG, or
~/.kube/config) or, in a pod, the in-cluster service account; each problem with it is one line
naming the file (or the service account) and what to change."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import yaml
from kubernetes import client, config

from reconciler.errors import InputError

DEFAULT_KUBECONFIG = "~/.kube/config"


def kubeconfig_in_use(kubeconfig: str | None) -> str | None:
    """The kubeconfig file(s) the flag, KUBECONFIG or the default name; None for the in-cluster
    service account (in a pod, with neither flag nor KUBECONFIG)."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    if not path and "KUBERNETES_SERVICE_HOST" in os.environ:
        return None
    return path or os.path.expanduser(DEFAULT_KUBECONFIG)


def cluster_access(kubeconfig: str | None = None, context: str | None = None) -> str:
    """Where the cluster's address and credentials come from, as errors name it."""
    path = kubeconfig_in_use(kubeconfig)
    if path is None:
        return "the in-cluster service account (KUBERNETES_SERVICE_HOST)"
    if kubeconfig:
        source = f"--kubeconfig {path}"
    elif os.environ.get("KUBECONFIG"):
        source = f"KUBECONFIG {path}"
    else:
        source = f"the default kubeconfig {path}"
    return f"{source} (context {context})" if context else source


def api_client(kubeconfig: str | None = None, context: str | None = None) -> client.ApiClient:
    """kubeconfig file (flag, then KUBECONFIG, then ~/.kube/config), else the in-cluster account."""
    path, where = kubeconfig_in_use(kubeconfig), cluster_access(kubeconfig, context)
    configuration = client.Configuration()
    try:
        if path is None:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            _refuse_unusable(path, context, where)
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=configuration
            )
    except (
        config.ConfigException,
        OSError,
        ValueError,
        TypeError,
        KeyError,
        yaml.YAMLError,
    ) as error:
        problem = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise InputError(f"{where}: cannot use it: {problem}") from None
    server = urlsplit(configuration.host)
    if server.scheme not in ("http", "https") or not server.hostname:
        raise InputError(
            f"{where}: the cluster's server {configuration.host!r} is not an http(s) URL; "
            "correct clusters[].cluster.server"
        )
    configuration.retries = 1  # one retry on connect errors; a run is rescheduled anyway
    return client.ApiClient(configuration)


def _refuse_unusable(path: str, context: str | None, where: str) -> None:
    """A kubeconfig that is not there, or lacks the context asked for, said plainly rather
    than in the client's words ("Invalid kube-config file. No configuration found.")."""
    if not any(os.path.isfile(part) for part in path.split(os.pathsep) if part):
        raise InputError(
            f"{where}: no such file; give --kubeconfig FILE or set KUBECONFIG (in a pod, the "
            "service account is used when neither is set)"
        )
    if context is not None:
        contexts, _ = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
        names = sorted(str(entry.get("name")) for entry in contexts or ())
        if context not in names:
            raise InputError(
                f"{where}: no context {context!r} in it; its contexts: {', '.join(names) or 'none'}"
            )
