"""The documents a client reads before it asks for resources: ``/version`` and API discovery.

They list only what is served, so a client sees a CRD appear and disappear with its install.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.sim.kube.resources import Obj, ResourceType

VERSION_INFO = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_VERBS = ["create", "delete", "get", "list", "update"]


def is_discovery_path(path: str) -> bool:
    return path in ("/api", "/apis", "/api/v1") or (
        path.startswith("/apis/") and path.count("/") <= 3
    )


def discovery_document(
    path: str, served: Sequence[ResourceType], server_address: str
) -> Obj | None:
    """The document at a discovery ``path``; None when it names nothing served."""
    groups: dict[str, Obj] = {}
    for rtype in served:
        if rtype.group:
            gv = {"groupVersion": rtype.api_version, "version": rtype.version}
            group = groups.setdefault(rtype.group, {"name": rtype.group, "versions": []})
            if gv not in group["versions"]:
                group["versions"].append(gv)
    for entry in groups.values():
        entry["preferredVersion"] = entry["versions"][0]
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ],
        }
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": list(groups.values())}
    parts = path.strip("/").split("/")
    if path == "/api/v1":
        group_version = "v1"
    elif len(parts) == 3 and parts[0] == "apis":
        group_version = f"{parts[1]}/{parts[2]}"
    elif len(parts) == 2 and parts[0] == "apis":
        found = groups.get(parts[1])
        return {"kind": "APIGroup", "apiVersion": "v1", **found} if found else None
    else:
        return None
    resources = [_resource_entry(rt) for rt in served if rt.api_version == group_version]
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _resource_entry(rtype: ResourceType) -> Obj:
    entry: Obj = {
        "name": rtype.plural,
        "singularName": rtype.kind.lower(),
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(_VERBS),
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    return entry
