"""``route-reconciler sim github``: the fake GitHub API for one repository on 127.0.0.1, until
stopped.

Its pull requests are about the branches of a real bare repository (the one ``run`` pushes to),
and merging one (``PUT .../pulls/{n}/merge``, which ``route-reconciler sim github merge N``
sends) makes a real merge commit there, so ``apply`` then finds the change reviewed.
"""

from __future__ import annotations

import secrets
import subprocess
from contextlib import ExitStack

from reconciler.errors import InputError
from reconciler.sim.github.api import FakeGitHub
from reconciler.sim.standalone import Started, port_errors, serve_until_stopped

_GIT_TIMEOUT_SECONDS = 30


def serve(git_dir: str, repository: str, port: int, env_file: str | None = None) -> None:
    """Serve ``repository`` (OWNER/NAME) over the bare repository ``git_dir`` until SIGINT or
    SIGTERM. The token is made up at start and printed: it opens nothing but this stand-in."""
    owner, slash, name = repository.partition("/")
    if not (owner and slash and name) or "/" in name:
        raise InputError(f"--repository {repository!r}: expected OWNER/NAME, e.g. acme/routes")
    default_branch = _default_branch(git_dir)
    token = f"sim_{secrets.token_hex(16)}"

    def start(cleanup: ExitStack) -> Started:
        github = FakeGitHub(
            token=token,
            owner=owner,
            repo=name,
            default_branch=default_branch,
            git_dir=git_dir,
            port=port,
        )
        with port_errors(port):
            cleanup.enter_context(github)
        return Started(
            [
                f"fake GitHub API serving {repository} at {github.url}; pull requests are about "
                f"the branches of {git_dir} (default branch {default_branch})",
                "merge pull request N as a reviewer would: route-reconciler sim github merge N "
                f"(PUT /repos/{repository}/pulls/N/merge, a merge commit on {default_branch})",
            ],
            {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": token, "GITHUB_REPOSITORY": repository},
        )

    serve_until_stopped("fake GitHub API", start, env_file)


def _default_branch(git_dir: str) -> str:
    """The branch HEAD names in ``git_dir``, which must be a git repository."""
    try:
        found = subprocess.run(
            ["git", f"--git-dir={git_dir}", "symbolic-ref", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=_GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"--git-dir {git_dir}: cannot run git ({exc})") from None
    if found.returncode != 0:
        raise InputError(
            f"--git-dir {git_dir}: not a git repository with a branch checked out as HEAD "
            "(make one with: git init --bare -b main DIR)"
        )
    return found.stdout.strip()
