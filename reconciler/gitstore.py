"""Git adapter: where manifests are read from and proposals are committed to.

Proposals are committed with plumbing on a temporary index, so the user's checkout, index and
HEAD are never moved, and the branch is advanced with compare-and-swap (`update-ref new old`)
so two writers cannot silently overwrite each other. Nothing here ever writes the reviewed ref.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import git

from reconciler.errors import ApiError, InputError, ReconcilerError

APPLIED_TAG_PREFIX = "route-reconciler/applied"

_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "route-reconciler",
    "GIT_AUTHOR_EMAIL": "route-reconciler@localhost",
    "GIT_COMMITTER_NAME": "route-reconciler",
    "GIT_COMMITTER_EMAIL": "route-reconciler@localhost",
}


class GitStore:
    def __init__(self, path: str | Path) -> None:
        try:
            self.repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise InputError(f"--repo {path}: not a git repository") from None
        if self.repo.bare:
            raise InputError(f"--repo {path}: a bare repository has no working tree to render into")
        self.root = Path(self.repo.working_tree_dir or path)

    def resolve(self, ref: str) -> str | None:
        try:
            return str(self.repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}"))
        except git.GitCommandError:
            return None

    def read(self, commit: str | None, path: str) -> bytes | None:
        if commit is None:
            return None
        try:
            blob = self.repo.commit(commit).tree / path
        except KeyError:
            return None
        return bytes(blob.data_stream.read())

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.repo.is_ancestor(self.repo.commit(ancestor), self.repo.commit(descendant))

    def proposal_parent(self, branch: str, reviewed_ref: str) -> str | None:
        """The commit a new proposal builds on: the open proposal while it is unmerged, else the
        reviewed ref, so a merged proposal restarts from what was reviewed."""
        tip = self.resolve(f"refs/heads/{branch}")
        reviewed = self.resolve(reviewed_ref)
        if tip is not None and (reviewed is None or not self.is_ancestor(tip, reviewed)):
            return tip
        return reviewed

    def write_worktree(self, path: str, content: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, target)
        return target

    def commit_on_branch(
        self, branch: str, parent: str | None, files: dict[str, str], message: str
    ) -> str | None:
        """Commit `files` on top of `parent` as the new tip of `branch`; None when unchanged."""
        if parent is not None and all(
            self.read(parent, path) == content.encode("utf-8") for path, content in files.items()
        ):
            return None
        old_tip = self.resolve(f"refs/heads/{branch}") or "0" * 40
        with tempfile.TemporaryDirectory() as scratch:
            env = {**self._identity(), "GIT_INDEX_FILE": str(Path(scratch) / "index")}
            run = self.repo.git.custom_environment(**env)
            with run:
                if parent is not None:
                    self.repo.git.read_tree(parent)
                for path, content in files.items():
                    staged = Path(scratch) / "blob"
                    staged.write_text(content, encoding="utf-8")
                    blob = self.repo.git.hash_object("-w", "--no-filters", str(staged))
                    self.repo.git.update_index("--add", "--cacheinfo", f"100644,{blob},{path}")
                tree = self.repo.git.write_tree()
                parents = ["-p", parent] if parent is not None else []
                commit = self.repo.git.commit_tree(tree, *parents, "-m", message)
        try:
            self.repo.git.update_ref(f"refs/heads/{branch}", commit, old_tip)
        except git.GitCommandError:
            raise ReconcilerError(
                f"branch {branch} moved while this run was committing; rerun to rebase on it"
            ) from None
        if self._checked_out() == branch:
            self.repo.git.reset("-q", "--", *files)
        return str(commit)

    def has_remote(self, remote: str) -> bool:
        return remote in {r.name for r in self.repo.remotes}

    def reviewed_commit(self, reviewed_ref: str, remote: str) -> str:
        """The reviewed head. With a remote, fetch and read the remote's branch, so a local,
        unpushed commit never counts as reviewed."""
        ref = reviewed_ref
        if self.has_remote(remote) and not reviewed_ref.startswith(f"{remote}/"):
            self._git_remote(
                "fetch",
                remote,
                "--force",
                "--no-tags",
                f"+refs/heads/{reviewed_ref}:refs/remotes/{remote}/{reviewed_ref}",
                f"+refs/tags/{APPLIED_TAG_PREFIX}/*:refs/tags/{APPLIED_TAG_PREFIX}/*",
            )
            ref = f"{remote}/{reviewed_ref}"
        commit = self.resolve(ref)
        if commit is None:
            raise InputError(f"reviewed ref {ref} does not exist in {self.root}")
        return commit

    def sync_branch(self, branch: str, remote: str) -> None:
        """Continue the proposal where the remote has it: a fresh clone (a CronJob) has no local
        branch, and a local branch behind the remote is fast-forwarded."""
        if not self.has_remote(remote):
            return
        self._git_remote(
            "fetch",
            remote,
            "--force",
            "--prune",
            "--no-tags",
            f"+refs/heads/*:refs/remotes/{remote}/*",
        )
        remote_tip = self.resolve(f"refs/remotes/{remote}/{branch}")
        local_tip = self.resolve(f"refs/heads/{branch}")
        behind = local_tip is None or self.is_ancestor(local_tip, remote_tip or local_tip)
        if remote_tip and behind and self._checked_out() != branch:
            self.repo.git.update_ref(f"refs/heads/{branch}", remote_tip, local_tip or "0" * 40)

    def reset_branch(self, branch: str, commit: str, remote: str) -> bool:
        """Point the proposal branch at `commit` (compare-and-swap) and push that."""
        old_tip = self.resolve(f"refs/heads/{branch}") or "0" * 40
        if self._checked_out() == branch:
            return False
        self.repo.git.update_ref(f"refs/heads/{branch}", commit, old_tip)
        return self.push_branch(branch, remote)

    def push_branch(self, branch: str, remote: str) -> bool:
        """Push the proposal branch when the remote differs; the lease refuses to overwrite a
        push someone else made since our fetch. True when something was pushed."""
        local_tip = self.resolve(f"refs/heads/{branch}")
        remote_tip = self.resolve(f"refs/remotes/{remote}/{branch}")
        if local_tip is None or local_tip == remote_tip or not self.has_remote(remote):
            return False
        lease = f"--force-with-lease=refs/heads/{branch}:{remote_tip or ''}"
        self._git_remote("push", remote, lease, f"refs/heads/{branch}:refs/heads/{branch}")
        self.repo.git.update_ref(f"refs/remotes/{remote}/{branch}", local_tip)
        return True

    def verify_signature(self, commit: str) -> str | None:
        """None when `git verify-commit` accepts the commit, else git's reason."""
        try:
            self.repo.git.verify_commit(commit)
        except git.GitCommandError as error:
            lines = str(error.stderr or "").strip().splitlines()
            return lines[-1] if lines else "no valid signature"
        return None

    def applied_commit(self, cluster: str, vrf: str) -> str | None:
        return self.resolve(f"refs/tags/{applied_tag(cluster, vrf)}")

    def record_applied(self, cluster: str, vrf: str, commit: str, remote: str) -> None:
        """Move the applied tag (compare-and-swap locally) and push it when there is a remote."""
        tag = f"refs/tags/{applied_tag(cluster, vrf)}"
        self.repo.git.update_ref(tag, commit, self.resolve(tag) or "0" * 40)
        if not self.has_remote(remote):
            return
        try:
            self._git_remote("push", "--force", remote, f"{tag}:{tag}")
        except ApiError:
            # Another apply of the same commit may have pushed first: that is the same record.
            self._git_remote("fetch", remote, "--force", "--no-tags", f"+{tag}:{tag}")
            if self.resolve(tag) != commit:
                raise

    def _git_remote(self, *args: str) -> None:
        try:
            # A job must fail, not wait for a password prompt nobody will answer.
            env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **_token_config(os.environ)}
            self.repo.git.execute(["git", *args], env=env)
        except git.GitCommandError as error:
            detail = _redact((error.stderr or "").strip().splitlines()[-1:] or ["failed"])
            raise ApiError(f"git {args[0]} {args[1]}: {detail}") from None

    def _checked_out(self) -> str | None:
        try:
            return self.repo.active_branch.name
        except TypeError:
            return None

    def _identity(self) -> dict[str, str]:
        reader = self.repo.config_reader()
        configured = reader.has_option("user", "name") and reader.has_option("user", "email")
        return (
            {}
            if configured
            else {k: v for k, v in _FALLBACK_IDENTITY.items() if k not in os.environ}
        )


def applied_tag(cluster: str, vrf: str) -> str:
    """The tag that records the last reviewed commit applied to Avi for one cluster and VRF."""
    return f"{APPLIED_TAG_PREFIX}/{cluster}/{vrf}"


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
