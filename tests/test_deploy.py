"""deploy/: the image and the kustomize base. Manifests valid for every Kubernetes from 1.27 (the
README's oldest kubectl) to the newest schema kubernetes-validate ships, the CronJob's
security settings, its settings file, its command run for real against the fake Kubernetes API,
and RBAC that allows exactly the API calls that run makes: nothing fails with 403, and no rule is
broader than a call that needs it. The same for each CNI: the base plus the CNI's component in
deploy/components/ allows exactly the calls render makes in a cluster of that CNI."""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import git
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from cni_clusters import CLUSTERS
from helpers import init_repo

from reconciler.cli import build_parser, main
from reconciler.lease import LEASE_SECONDS
from reconciler.settings import SETTINGS, from_config
from reconciler.sim.kube import FakeKubeApi

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "base"
EXAMPLES = DEPLOY / "examples"
COMPONENTS = DEPLOY / "components"
# The README promises kubectl 1.27 or newer: every schema from there on must accept deploy/.
OLDEST_KUBERNETES = "1.27"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


KUBERNETES_VERSIONS = sorted(
    {
        "{}.{}".format(*_minor(version))
        for version in kubernetes_validate.utils.all_versions()
        if _minor(version) >= _minor(OLDEST_KUBERNETES)
    },
    key=_minor,
)
NAMESPACE = "route-reconciler"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
NOT_RESOURCES = {"Kustomization", "NamespaceTransformer"}
SETTINGS_FILE = "route-reconciler.yaml"
# Readable by every authenticated client (system:discovery, system:public-info-viewer).
DISCOVERY_PATHS = {"/api", "/apis", "/api/v1", "/version", "/healthz", "/livez", "/readyz"}


# -- loading ------------------------------------------------------------------------------------


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(directory: Path) -> dict[str, Any]:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def referenced_files(directory: Path) -> set[str]:
    config = kustomization(directory)
    names = [*config.get("resources", []), *config.get("transformers", [])]
    names += [patch["path"] for patch in config.get("patches", []) if "path" in patch]
    return {name for name in names if not (directory / name).is_dir()}


def overlays() -> list[Path]:
    return sorted(path.parent for path in EXAMPLES.glob("*/kustomization.yaml"))


def components() -> list[Path]:
    return sorted(path.parent for path in COMPONENTS.glob("*/kustomization.yaml"))


def cni_components() -> list[Path]:
    """The components that grant a CNI's reads (the others, such as alerts, grant nothing)."""
    return [
        directory
        for directory in components()
        if any(obj["kind"] == "ClusterRole" for obj in component_objects(directory))
    ]


def base_files() -> list[Path]:
    return [BASE / name for name in kustomization(BASE)["resources"]]


def component_files(directory: Path) -> list[Path]:
    return [directory / name for name in kustomization(directory)["resources"]]


@cache
def kubectl_build(directory: Path) -> tuple[dict[str, Any], ...] | None:
    """`kubectl kustomize` (kustomize built into kubectl), when this machine has kubectl."""
    if shutil.which("kubectl") is None:
        return None
    result = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def emulated_base() -> list[dict[str, Any]]:
    """What the base's NamespaceTransformer does (unsetOnly, allServiceAccounts): the namespace
    for objects and ServiceAccount subjects that have none."""
    (transformer,) = documents(BASE / "namespace-transformer.yaml")
    namespace = transformer["metadata"]["namespace"]
    built = []
    for path in base_files():
        for obj in map(copy.deepcopy, documents(path)):
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"].setdefault("namespace", namespace)
            for subject in obj.get("subjects", []):
                if subject["kind"] == "ServiceAccount":
                    subject.setdefault("namespace", namespace)
            built.append(obj)
    return built


def base_objects() -> list[dict[str, Any]]:
    built = kubectl_build(BASE)
    return list(built) if built is not None else emulated_base()


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return found


def cronjob() -> dict[str, Any]:
    return one(base_objects(), "CronJob")


def pod_spec() -> dict[str, Any]:
    return cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def containers() -> list[dict[str, Any]]:
    spec = pod_spec()
    return [*spec.get("initContainers", []), *spec["containers"]]


def main_container() -> dict[str, Any]:
    (container,) = pod_spec()["containers"]
    return container


def settings_text(objects: list[dict[str, Any]]) -> str:
    return str(one(objects, "ConfigMap", "route-reconciler")["data"][SETTINGS_FILE])


# -- files and schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("directory", [BASE, *overlays(), *components()], ids=lambda p: p.name)
def test_kustomization_lists_exactly_the_files_present(directory):
    present = {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.name != "kustomization.yaml"
    }
    assert referenced_files(directory) == present
    for name in kustomization(directory).get("resources", []):
        assert (directory / name).exists(), name


def test_base_namespace_is_route_reconciler_and_kube_system_stays():
    objects = base_objects()
    namespaces = {
        (o["kind"], o["metadata"]["name"]): o["metadata"].get("namespace") for o in objects
    }
    assert namespaces.pop(("Role", "route-reconciler-cilium-config")) == "kube-system"
    assert namespaces.pop(("RoleBinding", "route-reconciler-cilium-config")) == "kube-system"
    for (kind, name), namespace in namespaces.items():
        assert namespace == (None if kind in CLUSTER_SCOPED else NAMESPACE), (kind, name)
    assert one(objects, "Namespace")["metadata"]["name"] == NAMESPACE
    for binding in (o for o in objects if o["kind"].endswith("Binding")):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "route-reconciler", "namespace": NAMESPACE}
        ]


def test_kustomize_builds_what_the_tests_assume():
    """The real kustomize (in kubectl) agrees with the emulation used where kubectl is missing."""
    built = kubectl_build(BASE)
    if built is None:
        pytest.skip("kubectl is not installed")

    def shape(objects):
        return sorted(
            json.dumps(
                [
                    o["kind"],
                    o["metadata"]["name"],
                    o["metadata"].get("namespace"),
                    o.get("subjects"),
                ]
            )
            for o in objects
        )

    assert shape(built) == shape(emulated_base())


def validate(obj: dict[str, Any], where: str) -> None:
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{obj['kind']} {obj['metadata']['name']}"
            pytest.fail(f"{where}: {name}: Kubernetes {version}: {error.message}")


def test_schemas_from_the_oldest_kubectl_on_are_checked():
    assert KUBERNETES_VERSIONS[0] == OLDEST_KUBERNETES
    assert len(KUBERNETES_VERSIONS) >= 4  # 1.27 to at least 1.30


@pytest.mark.parametrize("path", base_files(), ids=lambda p: p.name)
def test_base_manifests_are_valid_kubernetes(path):
    for obj in documents(path):
        assert obj["kind"] not in NOT_RESOURCES
        validate(obj, path.name)


@pytest.mark.parametrize("directory", [BASE, *overlays()], ids=lambda p: p.name)
def test_built_manifests_are_valid_kubernetes(directory):
    built = kubectl_build(directory)
    if built is None:
        pytest.skip("kubectl is not installed")
    for obj in built:
        validate(obj, directory.name)
    assert {o["kind"] for o in built} >= {"CronJob", "ConfigMap", "ClusterRole", "Role"}


def test_every_yaml_file_in_deploy_is_checked():
    """Nothing in deploy/ escapes the checks: base and overlay files are listed in their
    kustomizations, the workflow files have their own tests."""
    listed = {BASE / "kustomization.yaml"} | {BASE / name for name in referenced_files(BASE)}
    for overlay in [*overlays(), *components()]:
        listed |= {overlay / "kustomization.yaml"} | {
            overlay / n for n in referenced_files(overlay)
        }
    checked_elsewhere = set((DEPLOY / "github-actions").rglob("*.yaml"))
    assert set(DEPLOY.rglob("*.yaml")) | set(DEPLOY.rglob("*.yml")) == listed | checked_elsewhere


# -- the CronJob ---------------------------------------------------------------------------------


def test_cronjob_schedule_policy():
    spec = cronjob()["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 600
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert 0 <= job["backoffLimit"] <= 3
    # A run that outlives its Lease could overlap the next one: it is ended before that.
    assert job["activeDeadlineSeconds"] < LEASE_SECONDS
    assert pod_spec()["restartPolicy"] == "Never"
    (rule,) = job["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [3]
    assert rule["onExitCodes"]["containerName"] == main_container()["name"]


def test_cronjob_security_context():
    spec = pod_spec()
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0 and pod["runAsGroup"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["serviceAccountName"] == "route-reconciler"
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    for container in containers():
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]
        assert not context.get("privileged"), container["name"]
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, container["name"]
    kinds = {next(k for k in volume if k != "name") for volume in spec["volumes"]}
    assert kinds <= {"emptyDir", "configMap", "secret"}  # the restricted Pod Security profile


def test_writable_paths_are_on_empty_dirs():
    """With a read-only root filesystem, HOME, git's global config and temporary files (the image
    sets them) and the clone must be on emptyDirs, in every container."""
    empty = {v["name"] for v in pod_spec()["volumes"] if "emptyDir" in v}
    writable = ["/work/routes", *(dockerfile_env()[name] for name in ("HOME", "TMPDIR"))]
    writable.append(str(Path(dockerfile_env()["GIT_CONFIG_GLOBAL"]).parent))
    for container in containers():
        mounts = [m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty]
        for path in writable:
            assert any(path == m or path.startswith(m + "/") for m in mounts), (container, path)


def test_credentials_come_from_secrets_by_name():
    objects = [obj for directory in [BASE, *overlays()] for obj in kubectl_build(directory) or []]
    assert all(obj["kind"] != "Secret" for obj in [*objects, *base_objects()])
    spec = pod_spec()
    secret_volumes = {v["name"]: v["secret"] for v in spec["volumes"] if "secret" in v}
    for volume in secret_volumes.values():
        assert volume["defaultMode"] == 0o440
    env = {e["name"]: e for e in main_container()["env"]}
    assert env["AVI_USERNAME"]["valueFrom"]["secretKeyRef"]["name"] == "route-reconciler-avi"
    assert "AVI_PASSWORD" not in env and "GITHUB_TOKEN" not in env
    mounts = {m["mountPath"]: m["name"] for m in main_container()["volumeMounts"]}
    for variable, secret in (
        ("AVI_PASSWORD_FILE", "route-reconciler-avi"),
        ("GITHUB_TOKEN_FILE", "route-reconciler-github"),
    ):
        path = Path(env[variable]["value"])
        volume = mounts[str(path.parent)]
        assert secret_volumes[volume]["secretName"] == secret
        assert path.name in {item["path"] for item in secret_volumes[volume]["items"]}
    for container in containers():
        for entry in container.get("env", []):
            if re.search(r"PASSWORD|TOKEN|SECRET", entry["name"]) and "value" in entry:
                assert entry["name"].endswith("_FILE"), entry
        ssh = next(e["value"] for e in container["env"] if e["name"] == "GIT_SSH_COMMAND")
        key = re.search(r"-i (\S+)", ssh).group(1)
        assert any(
            key.startswith(m["mountPath"] + "/")
            and secret_volumes.get(m["name"], {}).get("secretName") == "route-reconciler-git-ssh"
            for m in container["volumeMounts"]
        )
        assert "StrictHostKeyChecking=yes" in ssh
    readme = (ROOT / "README.md").read_text()
    for secret in secret_volumes.values():
        assert f"`{secret['secretName']}`" in readme, "each Secret to create is in the README"


def configuration_keys_in_readme() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| config key | flag | environment | meaning |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", table, re.M))


@pytest.mark.parametrize("directory", [BASE, *overlays()], ids=lambda p: p.name)
def test_configmap_settings_parse(directory):
    built = kubectl_build(directory)
    objects = list(built) if built is not None else base_objects()
    if built is None and directory != BASE:
        pytest.skip("kubectl is not installed")
    document = yaml.safe_load(settings_text(objects))
    assert set(document) <= configuration_keys_in_readme()
    assert configuration_keys_in_readme() == {setting.key for setting in SETTINGS}
    values = from_config(document, f"{directory.name} ConfigMap")
    assert values["cluster_name"]
    # Kept out: they depend on where the job runs (the CronJob passes --repo; the Lease goes to
    # the pod's own namespace, which follows the kustomize namespace).
    assert not {"repo", "lease_namespace", "kubeconfig"} & set(values)


def test_container_command_parses_with_the_cli():
    arguments = main_container_arguments()
    args = build_parser().parse_args(arguments)
    assert args.command == "run" and args.repo == "/work/routes"
    config_mount = next(m for m in main_container()["volumeMounts"] if m["name"] == "config")
    assert args.config == f"{config_mount['mountPath']}/{SETTINGS_FILE}"
    (init,) = pod_spec()["initContainers"]
    assert init["command"] == ["git"] and init["args"][-1] == args.repo


def main_container_arguments() -> list[str]:
    container = main_container()
    assert container["command"] == ["/bin/sh", "-c"]
    script, zeroth, *arguments = container["args"]
    assert zeroth == "route-reconciler" and script.startswith('route-reconciler "$@"')
    return arguments


# -- the image -----------------------------------------------------------------------------------


@cache
def dockerfile() -> tuple[tuple[str, str], ...]:
    """(instruction, arguments), continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return tuple(
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in joined.splitlines()
        if line.strip()
    )


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    return env


def test_dockerfile_invariants():
    instructions = dockerfile()
    kinds = [instruction for instruction, _ in instructions]
    assert kinds[0] == "FROM" and kinds.count("FROM") == 1
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", dict(instructions)["FROM"])
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert "pip install --no-cache-dir ." in runs
    assert re.search(r"apt-get install -y --no-install-recommends [^&]*\bgit\b", runs)
    assert re.search(r"apt-get install [^&]*\bopenssh-client\b", runs)
    (user,) = [arguments for instruction, arguments in instructions if instruction == "USER"]
    uid, gid = map(int, user.split(":"))
    assert uid > 0 and gid > 0
    assert kinds.index("USER") > max(i for i, kind in enumerate(kinds) if kind == "RUN")
    assert (uid, gid) == (
        pod_spec()["securityContext"]["runAsUser"],
        pod_spec()["securityContext"]["runAsGroup"],
    )
    assert f"--uid {uid}" in runs, "a passwd entry for the UID: ssh needs one"
    (entrypoint,) = [
        arguments for instruction, arguments in instructions if instruction == "ENTRYPOINT"
    ]
    assert json.loads(entrypoint) == ["route-reconciler"]
    env = dockerfile_env()
    assert env["HOME"] == "/work" and env["GIT_CONFIG_GLOBAL"].startswith(env["HOME"] + "/")
    # Only the project's files go in; no build arguments or variables carry credentials.
    for instruction, arguments in instructions:
        if instruction in ("COPY", "ADD"):
            assert instruction == "COPY"
            *sources, _target = shlex.split(arguments)
            assert set(sources) <= {"pyproject.toml", "README.md", "reconciler"}, sources
            assert all((ROOT / source).exists() for source in sources)
        if instruction in ("ENV", "ARG"):
            assert not re.search(r"PASSWORD|TOKEN|SECRET|PRIVATE|CREDENTIAL", arguments, re.I)


# -- RBAC: exactly the calls the job makes --------------------------------------------------------


@dataclass(frozen=True)
class Call:
    verb: str
    group: str
    resource: str
    namespace: str | None
    name: str | None


def request_attributes(method: str, path: str) -> Call | None:
    """How the API server names a request for authorization; None for discovery paths."""
    if path in DISCOVERY_PATHS:
        return None
    parts = path.strip("/").split("/")
    if parts[0] == "apis" and len(parts) <= 3:
        return None  # discovery of an API group or group-version: /apis/* in system:discovery
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        raise AssertionError(f"unexpected API path {path}")
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource, name = rest[0], (rest[1] if len(rest) > 1 else None)
    assert len(rest) <= 2, f"subresource calls are not expected: {path}"
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method)
    if method == "GET":
        verb = "get" if name else "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    assert verb, method
    return Call(verb, group, resource, namespace, name)


@dataclass(frozen=True)
class Grant:
    """One (verb, group, resource) of one rule, where it applies (None: every namespace)."""

    namespace: str | None
    verb: str
    group: str
    resource: str
    names: frozenset[str]
    origin: str

    def allows(self, call: Call) -> bool:
        return (
            self.namespace in (None, call.namespace)
            and (self.verb, self.group, self.resource) == (call.verb, call.group, call.resource)
            and (not self.names or call.name in self.names)
        )


def granted(objects: list[dict[str, Any]]) -> list[Grant]:
    """The grants the job's ServiceAccount holds through the bindings in deploy/base."""
    pod = pod_spec()
    account = {"kind": "ServiceAccount", "name": pod["serviceAccountName"], "namespace": NAMESPACE}
    roles = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
        for o in objects
        if o["kind"] in ("Role", "ClusterRole")
    }
    grants = []
    bound = set()
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert account in binding["subjects"], binding["metadata"]["name"]
        namespace = binding["metadata"].get("namespace")
        ref = binding["roleRef"]
        key = (ref["kind"], namespace if ref["kind"] == "Role" else None, ref["name"])
        role = roles[key]
        bound.add(key)
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert "*" not in rule.get(field, []), f"{role['metadata']['name']}: wildcard"
            assert "nonResourceURLs" not in rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        grants.append(
                            Grant(
                                namespace,
                                verb,
                                group,
                                resource,
                                frozenset(rule.get("resourceNames", [])),
                                f"{ref['kind']} {ref['name']}",
                            )
                        )
    assert bound == set(roles), "every Role and ClusterRole is bound to the job"
    return grants


def cilium_cluster() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "cilium-config", "namespace": "kube-system"},
            "data": {"ipam": "cluster-pool", "enable-sctp": "false"},
        },
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
        },
    ]
    for index in (1, 2, 3):
        objects += [
            {
                "kind": "Node",
                "apiVersion": "v1",
                "metadata": {"name": f"w{index}"},
                "spec": {},
                "status": {
                    "addresses": [{"type": "InternalIP", "address": f"192.168.10.{index}"}],
                    "nodeInfo": {"kernelVersion": "6.1.0-18-amd64"},
                },
            },
            {
                "kind": "CiliumNode",
                "apiVersion": "cilium.io/v2",
                "metadata": {"name": f"w{index}"},
                "spec": {"ipam": {"podCIDRs": [f"10.0.{index}.0/24"]}},
            },
        ]
    # What check lists where the API serves it: Cilium's BGP resources, AKO's AviInfraSettings.
    return [
        *objects,
        {
            "kind": "CiliumBGPAdvertisement",
            "apiVersion": "cilium.io/v2alpha1",
            "metadata": {"name": "services"},
            "spec": {"advertisements": [{"advertisementType": "Service"}]},
        },
        {
            "kind": "CiliumBGPPeeringPolicy",
            "apiVersion": "cilium.io/v2alpha1",
            "metadata": {"name": "rack0"},
            "spec": {"virtualRouters": [{"localASN": 64512, "exportPodCIDR": False}]},
        },
        {
            "kind": "AviInfraSetting",
            "apiVersion": "ako.vmware.com/v1beta1",
            "metadata": {"name": "edge"},
            "spec": {"seGroup": {"name": "edge-se-group"}},
        },
    ]


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion in command and args."""
    return re.sub(r"\$\((\w+)\)", lambda match: env[match.group(1)], value)


class Pod:
    """The CronJob's pod on this machine: each mount path is a folder under tmp, and the
    containers' commands run as written, with the image's environment."""

    def __init__(self, tmp: Path, objects: list[dict[str, Any]], remote: Path) -> None:
        self.tmp = tmp
        self.mounts = {m["mountPath"] for c in containers() for m in c["volumeMounts"]}
        for mount in self.mounts:
            self.path(mount).mkdir(parents=True, exist_ok=True)
        config = next(m for m in main_container()["volumeMounts"] if m["name"] == "config")
        (self.path(config["mountPath"]) / SETTINGS_FILE).write_text(settings_text(objects))
        self.config_map = one(objects, "ConfigMap", "route-reconciler")["data"]
        self.remote = remote

    def path(self, container_path: str) -> Path:
        return self.tmp / container_path.lstrip("/")

    def translate(self, argument: str) -> str:
        for mount in sorted(self.mounts, key=len, reverse=True):
            if argument == mount or argument.startswith(mount + "/"):
                return str(self.path(mount)) + argument[len(mount) :]
        return argument

    def environment(self, container: dict[str, Any]) -> dict[str, str]:
        keep = {"PATH", "LANG", "LC_ALL", "SYSTEMROOT"}
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update({k: self.translate(v) for k, v in dockerfile_env().items()})
        for entry in container.get("env", []):
            if "value" in entry:
                env[entry["name"]] = self.translate(entry["value"])
            elif "configMapKeyRef" in entry["valueFrom"]:
                env[entry["name"]] = self.config_map[entry["valueFrom"]["configMapKeyRef"]["key"]]
        if "ROUTES_REPO_URL" in env:
            env["ROUTES_REPO_URL"] = str(self.remote)  # the test's remote stands in for GitHub
        return env

    def run(self, container: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
        env = self.environment(container)
        command = [expand(self.translate(a), env) for a in container["command"]]
        arguments = [expand(self.translate(a), env) for a in container.get("args", [])]
        return subprocess.run(
            [*command, *arguments, *extra],
            env=env,
            cwd=self.path(dockerfile_env()["HOME"]),
            capture_output=True,
            text=True,
            timeout=60,
        )


def routes_remote(path: Path) -> Path:
    seed = git.Repo.init(path / "seed", initial_branch="main")
    with seed.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    (path / "seed" / "README.md").write_text("routes\n")
    seed.index.add(["README.md"])
    seed.index.commit("initial")
    remote = path / "routes.git"
    git.Repo.init(remote, bare=True, initial_branch="main")
    seed.create_remote("origin", str(remote)).push("main")
    return remote


def test_rbac_allows_exactly_the_calls_of_run_and_check(tmp_path, capsys, monkeypatch):
    for name in ["AVI_CONTROLLER", "KUBERNETES_SERVICE_HOST", "KUBECONFIG"]:
        monkeypatch.delenv(name, raising=False)
    for setting in SETTINGS:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    objects = base_objects()
    lease_role = one(objects, "Role", "route-reconciler-lease")
    pod = Pod(tmp_path / "pod", objects, routes_remote(tmp_path))
    (init,) = pod_spec()["initContainers"]
    with FakeKubeApi(cilium_cluster()) as cluster:
        kubeconfig = str(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        cloned = pod.run(init)
        assert cloned.returncode == 0, cloned.stderr
        local = ["--kubeconfig", kubeconfig, "--no-propose", "--no-apply"]
        # In the pod the Lease namespace is the pod's own (the service account's namespace file).
        local += ["--lease-namespace", lease_role["metadata"]["namespace"]]
        first = pod.run(main_container(), *local)
        assert first.returncode == 0, first.stdout + first.stderr  # exit 2 (committed) -> 0
        summary = json.loads(first.stderr.strip().splitlines()[-1])
        assert summary["exit_code"] == 2 and "3 added" in summary["msg"], summary
        (lease,) = cluster.objects("Lease")
        assert lease["metadata"]["namespace"] == NAMESPACE
        assert lease["spec"].get("holderIdentity") is None  # taken, then released
        config = pod.translate(build_parser().parse_args(main_container_arguments()).config)
        code = main(
            ["check", "--config", config, "--kubeconfig", kubeconfig, "--avi-controller", ""]
        )
        assert code == 0, capsys.readouterr()
        requests = cluster.requests
    calls = [
        call
        for request in requests
        if (call := request_attributes(request.method, request.path)) is not None
    ]
    grants = granted(objects)
    denied = [call for call in calls if not any(grant.allows(call) for grant in grants)]
    assert denied == [], "calls the RBAC in deploy/base does not allow"
    unused = [grant for grant in grants if not any(grant.allows(call) for call in calls)]
    assert unused == [], "RBAC broader than the calls the code makes"
    assert all(request.status < 400 or request.status == 404 for request in requests)
    assert {call.verb for call in calls} == {"get", "list", "create", "update"}


# -- RBAC per CNI: deploy/base plus the CNI's component -----------------------------------------


def component_objects(directory: Path) -> list[dict[str, Any]]:
    return [obj for path in component_files(directory) for obj in documents(path)]


@pytest.mark.parametrize("directory", cni_components(), ids=lambda p: p.name)
def test_components_add_cluster_reads_bound_to_the_job(directory):
    config = kustomization(directory)
    assert (config["apiVersion"], config["kind"]) == (
        "kustomize.config.k8s.io/v1alpha1",
        "Component",
    )
    objects = component_objects(directory)
    for obj in objects:
        validate(obj, directory.name)
    assert sorted(obj["kind"] for obj in objects) == ["ClusterRole", "ClusterRoleBinding"]
    # granted() also checks that each binding names the job's ServiceAccount and each role is bound.
    added = set(granted([*base_objects(), *objects])) - set(granted(base_objects()))
    assert added and {grant.verb for grant in added} == {"list"}
    assert {grant.origin for grant in added} == {f"ClusterRole route-reconciler-{directory.name}"}


def base_with_component(tmp_path: Path, component: Path | None) -> list[dict[str, Any]]:
    """What an overlay with `resources: [../../base]` and `components: [<component>]` builds:
    with kubectl's kustomize when installed (checked against the emulation), else emulated."""
    emulated = [*base_objects(), *(component_objects(component) if component else [])]
    if component is None or shutil.which("kubectl") is None:
        return emulated
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    overlay = copy / "examples" / f"with-{component.name}"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {"resources": ["../../base"], "components": [f"../../components/{component.name}"]}
        )
    )
    built = kubectl_build(overlay)
    assert built is not None

    def shape(objects):
        return sorted(
            json.dumps([o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")])
            for o in objects
        )

    assert shape(built) == shape(emulated)
    return list(built)


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_rbac_per_cni_is_the_base_plus_its_component(name, tmp_path, capsys, monkeypatch):
    """`render --cni-plugin <cni>` (and `auto`, which adds only discovery and the cilium-config
    read) in a cluster of that CNI: no call is denied by base + component, every rule of the
    component is used by a call the base does not allow, and CNIs without a component (they read
    only Nodes, or what the base grants for Cilium) make no call beyond the base."""
    for variable in ["AVI_CONTROLLER", "KUBERNETES_SERVICE_HOST", "KUBECONFIG"]:
        monkeypatch.delenv(variable, raising=False)
    for setting in SETTINGS:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    cluster = CLUSTERS[name]()
    component = COMPONENTS / cluster.cni_plugin
    objects = base_with_component(tmp_path, component if component.is_dir() else None)
    base_grants = granted(base_objects())
    grants = granted(objects)
    added = [grant for grant in grants if grant not in base_grants]
    with FakeKubeApi(cluster.objects) as api:
        kubeconfig = str(api.write_kubeconfig(tmp_path / "kubeconfig"))
        for plugin in (cluster.cni_plugin, "auto"):
            repo = tmp_path / f"repo-{plugin}"
            init_repo(repo)
            argv = ["render", "--cni-plugin", plugin, "--cluster-name", "c"]
            code = main([*argv, "--kubeconfig", kubeconfig, "--repo", str(repo)])
            assert code == cluster.exit_code, capsys.readouterr()
        requests = api.requests
    calls = [
        call
        for request in requests
        if (call := request_attributes(request.method, request.path)) is not None
    ]
    denied = [call for call in calls if not any(grant.allows(call) for grant in grants)]
    assert denied == [], f"calls that deploy/base plus components/{cluster.cni_plugin} deny"
    beyond_base = [call for call in calls if not any(g.allows(call) for g in base_grants)]
    unused = [grant for grant in added if not any(grant.allows(call) for call in beyond_base)]
    assert unused == [], "component RBAC broader than the calls render makes"
    assert bool(added) == component.is_dir() == bool(beyond_base)
    assert all(request.status < 400 or request.status == 404 for request in requests)
