"""Reading a repository: references, files and manifests at a commit, ancestry, signatures.
Nothing here writes."""

from __future__ import annotations

from pathlib import Path

import git

from reconciler.errors import InputError
from reconciler.manifest import Manifest, manifest_path, parse_manifest

_SYMLINK_MODE = 0o120000


class Repository:
    def __init__(self, path: str | Path) -> None:
        try:
            self.repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise InputError(f"--repo {path}: not a git repository") from None
        if self.repo.bare:
            raise InputError(f"--repo {path}: a bare repository has no working tree to render into")
        self.root = Path(self.repo.working_tree_dir or path)
        # Parsed manifests by git blob id: the applied and the reviewed commit usually hold the
        # same file, and a 60,000-route manifest is worth parsing once (it is never mutated).
        self._manifests: dict[str, Manifest] = {}

    def resolve(self, ref: str) -> str | None:
        try:
            return str(self.repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}"))
        except git.GitCommandError:
            return None

    def read(self, commit: str | None, path: str) -> bytes | None:
        """A file's bytes at a commit; None when it has none. A symbolic link anywhere on the
        path is refused: its content is where it points, not a manifest."""
        blob = self._blob(commit, path)
        return None if blob is None else bytes(blob.data_stream.read())

    def _blob(self, commit: str | None, path: str) -> git.Blob | None:
        if commit is None:
            return None
        entry: git.Tree | git.Blob = self.repo.commit(commit).tree
        parts = path.split("/")
        for index, part in enumerate(parts):
            if not isinstance(entry, git.Tree):
                return None
            try:
                entry = entry / part
            except KeyError:
                return None
            if entry.mode == _SYMLINK_MODE:
                raise InputError(
                    f"{'/'.join(parts[: index + 1])}@{commit[:12]}: is a symbolic link; "
                    "refusing to follow it"
                )
        return entry if isinstance(entry, git.Blob) else None

    def manifest_at(self, commit: str | None, cluster: str, vrf: str) -> Manifest | None:
        """The validated manifest of a cluster and VRF at a commit; None when it has none. A
        manifest naming another cluster or VRF than its path is refused: it was moved by hand."""
        path = manifest_path(cluster, vrf)
        blob = self._blob(commit, path)
        if blob is None:
            return None
        manifest = self._manifests.get(blob.hexsha)
        if manifest is None:
            content = bytes(blob.data_stream.read())
            manifest = parse_manifest(content, f"{path}@{(commit or '')[:12]}")
            self._manifests[blob.hexsha] = manifest
        if (manifest.cluster, manifest.vrf) != (cluster, vrf):
            raise InputError(
                f"{path}: metadata names cluster {manifest.cluster!r} vrf {manifest.vrf!r}, "
                f"expected cluster {cluster!r} vrf {vrf!r}"
            )
        return manifest

    def messages_between(self, base: str, tip: str, limit: int = 100) -> list[str]:
        """The messages of the commits `tip` has and `base` lacks, newest first (at most
        `limit`: a proposal's own commits)."""
        out = self.repo.git.log("--format=%B%x00", f"--max-count={limit}", f"{base}..{tip}")
        return [message.strip() for message in str(out).split("\x00") if message.strip()]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.repo.is_ancestor(self.repo.commit(ancestor), self.repo.commit(descendant))

    def checked_out(self) -> str | None:
        """The branch HEAD names; None when HEAD is detached."""
        try:
            return self.repo.active_branch.name
        except TypeError:
            return None

    def verify_signature(self, commit: str) -> str | None:
        """None when `git verify-commit` accepts the commit, else git's reason."""
        try:
            self.repo.git.verify_commit(commit)
        except git.GitCommandError as error:
            lines = str(error.stderr or "").strip().splitlines()
            return lines[-1] if lines else "no valid signature"
        return None
