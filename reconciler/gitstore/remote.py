"""Talking to the remote: fetch and push without prompts, with a token from the environment,
and errors that never carry a credential."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping

from reconciler.errors import ApiError, InputError
from reconciler.gitstore.repository import Repository
from reconciler.masking import mask

MESSAGE_LIMIT = 400


def uses_remote(repository: Repository, remote: str) -> bool:
    """True when `remote` is configured, False when the repository has no remote at all (it is
    local-only). A repository with remotes but not this one is an error: reading its local
    branches instead would take an unpushed commit for a reviewed one."""
    names = sorted(r.name for r in repository.repo.remotes)
    if remote in names:
        return True
    if not names:
        return False
    raise InputError(
        f"--remote {remote}: no such remote in {repository.root}; its remotes are "
        f"{', '.join(names)}"
    )


def git_remote(repository: Repository, *args: str) -> None:
    """Run `git fetch` or `git push`; a failure is an ApiError saying what the remote said."""
    # A job must fail, not wait for a password prompt nobody will answer.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **_token_config(os.environ)}
    status, _, stderr = repository.repo.git.execute(
        ["git", *args], env=env, with_exceptions=False, with_extended_output=True
    )
    if status != 0:
        raise ApiError(f"git {args[0]} {args[1]}: {git_failure(str(stderr), os.environ)}")


def git_failure(stderr: str, environ: Mapping[str, str]) -> str:
    """Why git failed, on one bounded line: the remote's own words (a hook's or the server's
    `remote:` lines) and the reason of a rejected ref, else git's last error line; credentials
    and the token masked, control characters (a hostile remote's escapes) dropped."""
    lines = [_printable(line) for line in stderr.splitlines()]
    said = [line.removeprefix("remote:").strip() for line in lines if line.startswith("remote:")]
    rejected = [line for line in lines if line.lstrip().startswith("! [")]
    own = [line for line in lines if line.startswith(("fatal:", "error:"))]
    parts = []
    if rejected:
        parts.append(rejected[0].strip())
    if said:
        parts.append("the remote says: " + " / ".join(line for line in said if line))
    if not parts:
        parts.append(" / ".join(own) or ([line for line in lines if line] or ["failed"])[-1])
    text = "; ".join(parts)
    text = re.sub(r"://[^/@\s]+@", "://***@", text)  # git echoes remote URLs
    token = [environ.get("GIT_TOKEN", ""), environ.get("GITHUB_TOKEN", "")]
    return mask(text, [secret for secret in token if secret])[:MESSAGE_LIMIT]


def _printable(line: str) -> str:
    without_escapes = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line)
    return "".join(char for char in without_escapes if char.isprintable()).rstrip()


def _token_config(environ: Mapping[str, str]) -> dict[str, str]:
    """An HTTPS remote authenticates with GIT_TOKEN (or GITHUB_TOKEN) through git's environment
    configuration, so the token is in no URL, argv, config file or message."""
    token = environ.get("GIT_TOKEN") or environ.get("GITHUB_TOKEN")
    if not token or "GIT_CONFIG_COUNT" in environ:
        return {}
    credential = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {credential}",
    }
