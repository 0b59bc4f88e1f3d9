"""Pure preflight findings for `check`: SCTP readiness of a Cilium cluster.

Cilium passes SCTP only with `enable-sctp: "true"`, and with it on, an agent on a kernel older
than 5.2 exits at start. Both are found here before a user meets the crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

SCTP_MIN_KERNEL = (5, 2)
CILIUM_SCTP_FATAL = (
    'level=fatal msg="failed to start: daemon creation failed: SCTP support needs kernel 5.2 '
    'or newer" subsys=daemon'
)
_KERNEL_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    status: Status
    message: str


def kernel_version(text: str) -> tuple[int, int] | None:
    """major.minor of `uname -r` strings such as `4.18.0-477.27.1.el8_8.x86_64`."""
    match = _KERNEL_VERSION.match(text or "")
    return (int(match[1]), int(match[2])) if match else None


def sctp_ports(services: Sequence[Mapping[str, Any]]) -> list[str]:
    found = []
    for service in services:
        metadata = service.get("metadata") or {}
        for port in (service.get("spec") or {}).get("ports") or []:
            if isinstance(port, Mapping) and port.get("protocol") == "SCTP":
                service_name = f"{metadata.get('namespace', 'default')}/{metadata.get('name')}"
                found.append(f"{service_name} port {port.get('port')}")
    return found


def sctp_findings(
    cilium_config: Mapping[str, str] | None,
    services: Sequence[Mapping[str, Any]],
    nodes: Sequence[Mapping[str, Any]],
    expect_sctp: bool,
) -> list[Finding]:
    ports = sctp_ports(services)
    wanted = expect_sctp or bool(ports)
    reason = f"Services declare SCTP ports ({', '.join(ports[:5])})" if ports else "--expect-sctp"
    if cilium_config is None:
        if wanted:
            return [
                Finding(
                    "warn",
                    f"SCTP: {reason}, but cilium-config was not found; "
                    "the Cilium SCTP preflight does not apply",
                )
            ]
        return [Finding("ok", "SCTP: no Service declares an SCTP port")]
    enabled = cilium_config.get("enable-sctp", "false").strip().lower() == "true"
    findings: list[Finding] = []
    if wanted and not enabled:
        findings.append(
            Finding(
                "fail",
                f'SCTP: {reason}, but cilium-config enable-sctp is not "true": '
                "Cilium drops SCTP traffic (set Helm sctp.enabled=true)",
            )
        )
    if enabled:
        findings.extend(_kernel_findings(nodes))
    if not findings:
        findings.append(
            Finding("ok", "SCTP: no Service declares an SCTP port and enable-sctp is off")
        )
    return findings


def _kernel_findings(nodes: Sequence[Mapping[str, Any]]) -> list[Finding]:
    findings: list[Finding] = []
    for node in nodes:
        name = (node.get("metadata") or {}).get("name")
        text = ((node.get("status") or {}).get("nodeInfo") or {}).get("kernelVersion") or ""
        version = kernel_version(text)
        if version is None:
            findings.append(
                Finding(
                    "fail",
                    f"SCTP: node {name}: status.nodeInfo.kernelVersion "
                    f"{text[:80]!r} cannot be read as major.minor",
                )
            )
        elif version < SCTP_MIN_KERNEL:
            findings.append(
                Finding(
                    "fail",
                    f"SCTP: node {name}: kernel {text} is older than 5.2; with "
                    f"enable-sctp its Cilium agent exits with: {CILIUM_SCTP_FATAL}",
                )
            )
    if not findings:
        findings.append(
            Finding(
                "ok", f"SCTP: enable-sctp is on and all {len(nodes)} node kernels are 5.2 or newer"
            )
        )
    return findings
