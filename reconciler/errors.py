"""Errors that carry the process exit code, so every command shares one contract."""

from __future__ import annotations

import reprlib

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGED = 2
EXIT_REFUSED = 3


class ReconcilerError(Exception):
    """A failure the user can act on; str() is the one-line message shown to them."""

    exit_code = EXIT_ERROR


class InputError(ReconcilerError):
    """Bad data from the cluster, a snapshot, a manifest or the settings."""


class ApiError(ReconcilerError):
    """A remote API (Kubernetes, Avi, GitHub) failed or answered something unusable."""


class GuardRefusal(ReconcilerError):
    """A safety guard refused to go on; rerun with the named override if this is intended."""

    exit_code = EXIT_REFUSED


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlist = _BRIEF.maxdict = _BRIEF.maxtuple = 4
_BRIEF.maxlevel = 2


def brief(value: object) -> str:
    """A short, one-line repr of untrusted input: `repr(x)[:60]` would first build the whole
    repr, which for a YAML alias bomb is billions of characters."""
    return _BRIEF.repr(value)
