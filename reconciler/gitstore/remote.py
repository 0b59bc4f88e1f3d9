"""Talking to the remote: fetch and push without prompts, with a token from the environment,
and errors that never carry a credential."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping

import git

from reconciler.errors import ApiError, InputError
from reconciler.gitstore.repository import Repository


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
    """Run `git fetch` or `git push`; a failure is an ApiError with git's last line, redacted."""
    try:
        # A job must fail, not wait for a password prompt nobody will answer.
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **_token_config(os.environ)}
        repository.repo.git.execute(["git", *args], env=env)
    except git.GitCommandError as error:
        detail = _redact((error.stderr or "").strip().splitlines()[-1:] or ["failed"])
        raise ApiError(f"git {args[0]} {args[1]}: {detail}") from None


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


def _redact(lines: list[str]) -> str:
    """git echoes remote URLs; never let credentials embedded in one reach a message."""
    return re.sub(r"://[^/@\s]+@", "://***@", lines[0])
