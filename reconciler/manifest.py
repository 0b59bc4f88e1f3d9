"""The reviewed artefact: routes <-> canonical StaticRouteSet YAML.

Canonical means a reviewer sees only real changes: routes sorted IPv4 before IPv6, then by
network address and mask; no timestamps; rendering the same state twice is byte-identical.
The loader accepts hand-edited files and reports every problem with file, route index and field.

`spec.decommission: {reason}` marks a reviewed teardown: the manifest then has no routes, and
apply removes every route of ours from the VRF (README "Reviewed teardown").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from reconciler import manifest_text, yamlio
from reconciler.errors import InputError, brief
from reconciler.ip_text import parse_address
from reconciler.manifest_text import API_VERSION, HEADER, IPAM_MODES, KIND
from reconciler.names import validate_cloud_name, validate_cluster_name, validate_vrf_name
from reconciler.routes import Route, parse_cidr, route_id, sort_routes

_TOP_KEYS = {"apiVersion", "kind", "metadata", "spec"}
_METADATA_KEYS = {"cluster", "vrf", "cloud"}
_SPEC_KEYS = {"ipamMode", "decommission", "routes"}
_ROUTE_KEYS = {"routeId", "prefix", "nextHop", "node"}
_DECOMMISSION_KEYS = {"reason"}
MAX_REASON = 200
# Plain words and punctuation only: the reason is shown in pull requests, where markup could
# hide what a teardown deletes.
_REASON = re.compile(r"[\w.,:;()/'\"#@%+=?!-]+(?: [\w.,:;()/'\"#@%+=?!-]+)*")


@dataclass(frozen=True)
class Manifest:
    cluster: str
    vrf: str
    cloud: str
    ipam_mode: str
    routes: tuple[Route, ...]
    decommission: str | None = None  # the reason of a reviewed teardown; then no routes


class ManifestError(InputError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + f"; {source}: ".join(problems))


def manifest_path(cluster: str, vrf: str) -> str:
    return f"routes/{cluster}/{vrf}.yaml"


def render_manifest(manifest: Manifest) -> str:
    """Written directly when every scalar is plainly safe (manifest_text.py), else by PyYAML:
    the same bytes either way."""
    if manifest.decommission is None:
        text = manifest_text.write(
            manifest.cluster, manifest.vrf, manifest.cloud, manifest.ipam_mode, manifest.routes
        )
        if text is not None:
            return text
    return yaml_text(manifest)


def yaml_text(manifest: Manifest) -> str:
    """The manifest as PyYAML writes it: the reference the direct writer is held to."""
    document = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"cluster": manifest.cluster, "vrf": manifest.vrf, "cloud": manifest.cloud},
        "spec": {
            "ipamMode": manifest.ipam_mode,
            **(
                {"decommission": {"reason": manifest.decommission}}
                if manifest.decommission is not None
                else {}
            ),
            "routes": [
                {
                    "routeId": route.route_id,
                    "prefix": str(route.prefix),
                    "nextHop": str(route.next_hop),
                    "node": route.node,
                }
                for route in sort_routes(manifest.routes)
            ],
        },
    }
    return HEADER + yamlio.dump(document)


def parse_manifest(content: str | bytes, source: str) -> Manifest:
    try:
        # Round-trip str as well: text holding a lone surrogate could not be written back.
        text = (content.encode("utf-8") if isinstance(content, str) else content).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as error:
        raise ManifestError(source, [f"not UTF-8 (byte {error.start})"]) from None
    canonical = manifest_text.read(text)
    return Manifest(*canonical) if canonical is not None else validated_manifest(text, source)


def validated_manifest(text: str, source: str) -> Manifest:
    """Any text, read by PyYAML and checked field by field, every problem reported with its
    route index and field; a canonical manifest reads the same through `manifest_text.read`."""
    try:
        document = yamlio.load_unique(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        problem = getattr(error, "problem", None) or "unparsable"
        raise ManifestError(source, [f"{line}not valid YAML ({problem})"]) from None
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        # PyYAML's constructors fail this way on tags such as `!!timestamp x` or `!!int 0x`.
        raise ManifestError(
            source, [f"not valid YAML ({type(error).__name__}: {brief(str(error))})"]
        ) from None
    problems: list[str] = []
    manifest = _validate(document, problems)
    if problems or manifest is None:
        raise ManifestError(source, problems)
    return manifest


def _validate(document: Any, problems: list[str]) -> Manifest | None:
    if not isinstance(document, Mapping):
        problems.append(f"expected a {KIND} mapping, got {type(document).__name__}")
        return None
    _unknown_keys(document, _TOP_KEYS, "", problems)
    if document.get("apiVersion") != API_VERSION:
        problems.append(
            f"apiVersion: expected {API_VERSION}, got {brief(document.get('apiVersion'))}"
        )
    if document.get("kind") != KIND:
        problems.append(f"kind: expected {KIND}, got {brief(document.get('kind'))}")
    metadata = _mapping(document, "metadata", problems)
    spec = _mapping(document, "spec", problems)
    _unknown_keys(metadata, _METADATA_KEYS, "metadata.", problems)
    _unknown_keys(spec, _SPEC_KEYS, "spec.", problems)
    cluster = _name(metadata, "cluster", validate_cluster_name, problems)
    vrf = _name(metadata, "vrf", validate_vrf_name, problems)
    cloud = _name(metadata, "cloud", validate_cloud_name, problems)
    ipam_mode = _text(spec, "ipamMode", "spec.", problems)
    if ipam_mode and ipam_mode not in IPAM_MODES:
        problems.append(
            f"spec.ipamMode: expected one of {', '.join(IPAM_MODES)}, got {brief(ipam_mode)}"
        )
    raw_routes = spec.get("routes", [])
    if not isinstance(raw_routes, list):
        problems.append(f"spec.routes: expected a list, got {type(raw_routes).__name__}")
        raw_routes = []
    routes = _routes(raw_routes, cluster, problems)
    decommission = _decommission(spec, problems) if "decommission" in spec else None
    if decommission is not None and raw_routes:
        problems.append(
            f"spec.routes: a decommissioned manifest has no routes, got {len(raw_routes)}"
        )
    return Manifest(cluster, vrf, cloud, ipam_mode, sort_routes(routes), decommission)


def validate_reason(reason: str) -> str:
    """A decommission reason: one line of plain words, as people write it in a ticket."""
    if len(reason) > MAX_REASON or not _REASON.fullmatch(reason):
        raise ValueError(
            f"{brief(reason)} is not a reason: 1-{MAX_REASON} characters of letters, digits, "
            "single spaces and .,:;()/'\"#@%+=?!_- only"
        )
    return reason


def _decommission(spec: Mapping[str, Any], problems: list[str]) -> str | None:
    marker = spec["decommission"]
    if not isinstance(marker, Mapping):
        problems.append(f"spec.decommission: expected a mapping, got {type(marker).__name__}")
        return None
    _unknown_keys(marker, _DECOMMISSION_KEYS, "spec.decommission.", problems)
    reason = _text(marker, "reason", "spec.decommission.", problems)
    if not reason:
        return None
    try:
        return validate_reason(reason)
    except ValueError as problem:
        problems.append(f"spec.decommission.reason: {problem}")
        return None


def _routes(raw_routes: list[Any], cluster: str, problems: list[str]) -> list[Route]:
    routes: list[Route] = []
    seen: dict[Any, int] = {}
    for index, raw in enumerate(raw_routes):
        where = f"spec.routes[{index}]."
        if not isinstance(raw, Mapping):
            problems.append(f"spec.routes[{index}]: expected a mapping, got {type(raw).__name__}")
            continue
        count = len(problems)
        _unknown_keys(raw, _ROUTE_KEYS, where, problems)
        texts = {
            key: _text(raw, key, where, problems)
            for key in ("routeId", "prefix", "nextHop", "node")
        }
        prefix = next_hop = None
        if texts["prefix"]:
            try:
                prefix = parse_cidr(texts["prefix"])
            except ValueError as problem:
                problems.append(f"{where}prefix: {texts['prefix'][:80]!r} {problem}")
        if texts["nextHop"]:
            try:
                next_hop = parse_address(texts["nextHop"].strip())
            except ValueError:
                problems.append(f"{where}nextHop: {texts['nextHop'][:80]!r} is not an IP address")
        if prefix is not None and next_hop is not None and prefix.version != next_hop.version:
            problems.append(
                f"{where}nextHop: {next_hop} is IPv{next_hop.version} but prefix {prefix} "
                f"is IPv{prefix.version}"
            )
        if prefix is not None and cluster and texts["routeId"] != route_id(cluster, prefix):
            problems.append(
                f"{where}routeId: {texts['routeId'][:80]!r} should be "
                f"{route_id(cluster, prefix)!r} (ids derive from cluster and prefix)"
            )
        if prefix is not None and prefix in seen:
            problems.append(f"{where}prefix: {prefix} repeats spec.routes[{seen[prefix]}]")
        if prefix is not None:
            seen.setdefault(prefix, index)
        if len(problems) == count and prefix is not None and next_hop is not None:
            routes.append(Route(prefix, next_hop, texts["node"], texts["routeId"]))
    return routes


def _mapping(parent: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = parent.get(key)
    if isinstance(value, Mapping):
        return value
    problems.append(f"{key}: expected a mapping, got {type(value).__name__}")
    return {}


def _text(parent: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = parent.get(key)
    if isinstance(value, str) and value:
        return value
    problems.append(f"{where}{key}: expected a non-empty string, got {brief(value)}")
    return ""


def _name(
    metadata: Mapping[str, Any], key: str, validate: Callable[[str], str], problems: list[str]
) -> str:
    """A metadata name, or "" once its problem is recorded."""
    text = _text(metadata, key, "metadata.", problems)
    if text:
        try:
            return validate(text)
        except InputError as error:
            problems.append(f"metadata.{key}: {error}")
    return ""


def _unknown_keys(
    value: Mapping[str, Any], allowed: set[str], where: str, problems: list[str]
) -> None:
    problems.extend(
        f"{where}{_field_name(key)}: unknown field" for key in value if key not in allowed
    )


def _field_name(key: Any) -> str:
    """As written when it is a plain name; quoted and escaped when it could break the line."""
    plain = isinstance(key, str) and key.isprintable() and len(key) <= 60
    return str(key) if plain else brief(key)
