"""A throwaway certificate authority and a server certificate for 127.0.0.1, made with openssl.

kubectl sends a bearer token only over HTTPS, so a stand-in it should talk to needs a
certificate its client can verify. The ``cryptography`` package is no dependency of ours (nor of
our dependencies), so the ``openssl`` command line makes them: it ships with every system that
has ``ca-certificates``, the Python slim images included. Keys are P-256: made in milliseconds.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import InputError

_DAYS = "2"  # long enough for a session of trying things, useless after
_CA_EXTENSIONS = """\
[req]
distinguished_name = name
[name]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
_SERVER_EXTENSIONS = """\
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
_OPENSSL_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ThrowawayCa:
    """Where the files are: clients trust ``ca_cert``; the server presents ``server_cert``."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_throwaway_ca(folder: Path) -> ThrowawayCa:
    """A new CA and a server certificate for 127.0.0.1 and localhost, written into ``folder``.

    The CA's key is deleted once it has signed, so nothing else can ever be signed with it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise InputError("openssl is not on PATH: it is needed to make the throwaway CA for HTTPS")
    ca = ThrowawayCa(folder / "ca.crt", folder / "server.crt", folder / "server.key")
    ca_key, request = folder / "ca.key", folder / "server.csr"
    extensions = folder / "extensions.cnf"
    extensions.write_text(_CA_EXTENSIONS + _SERVER_EXTENSIONS)
    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    try:
        _openssl(
            openssl, "req", "-x509", *new_key, "-days", _DAYS,
            "-subj", "/CN=route-reconciler stand-in CA",
            "-config", extensions, "-extensions", "ca",
            "-keyout", ca_key, "-out", ca.ca_cert,
        )  # fmt: skip
        _openssl(
            openssl, "req", "-new", *new_key, "-subj", "/CN=127.0.0.1",
            "-config", extensions, "-keyout", ca.server_key, "-out", request,
        )  # fmt: skip
        _openssl(
            openssl, "x509", "-req", "-in", request, "-days", _DAYS, "-set_serial", "2",
            "-CA", ca.ca_cert, "-CAkey", ca_key,
            "-extfile", extensions, "-extensions", "server", "-out", ca.server_cert,
        )  # fmt: skip
    finally:
        for scratch in (ca_key, request, extensions):
            scratch.unlink(missing_ok=True)
    return ca


def _openssl(*args: str | Path) -> None:
    try:
        subprocess.run(
            [str(arg) for arg in args],
            capture_output=True,
            text=True,
            check=True,
            timeout=_OPENSSL_TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as failed:
        last_line = (failed.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"openssl {args[1]} failed making the throwaway CA: {last_line}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"openssl {args[1]} did not finish making the throwaway CA") from None
