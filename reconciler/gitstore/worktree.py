"""The working tree, written and read only inside the repository.

A repository is content from others: a symbolic link committed anywhere on a manifest's path
(`routes`, `routes/<cluster>`, the manifest, or a file at the temporary name) would otherwise
carry a write to wherever it points. So every folder is opened relative to the one before it
with O_NOFOLLOW, a link on the path is refused by name, and the new content goes into a fresh
file created with O_EXCL | O_NOFOLLOW, then renamed over the manifest in the same folder.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator

from reconciler.errors import InputError, ReconcilerError, brief
from reconciler.gitstore.repository import Repository

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


def write_worktree(repository: Repository, path: str, content: str) -> None:
    """Atomically: a reader sees the old manifest or the new one, never half of one."""
    parts = _parts(path)
    try:
        with _folder(repository, parts, create=True) as folder:
            _refuse_link(folder, parts, len(parts) - 1)
            temporary = f".{parts[-1]}.{secrets.token_hex(8)}.tmp"
            descriptor = os.open(temporary, _NEW_FILE_FLAGS, 0o644, dir_fd=folder)
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                    stream.write(content)
                os.replace(temporary, parts[-1], src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary, dir_fd=folder)
                raise
    except OSError as error:
        raise ReconcilerError(f"{path}: cannot write ({error.strerror})") from None


def read_worktree(repository: Repository, path: str) -> bytes | None:
    """The file's bytes; None when it or a folder on its way does not exist."""
    parts = _parts(path)
    try:
        with _folder(repository, parts, create=False) as folder:
            _refuse_link(folder, parts, len(parts) - 1)
            descriptor = os.open(parts[-1], _READ_FLAGS, dir_fd=folder)
            with os.fdopen(descriptor, "rb") as stream:
                return stream.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ReconcilerError(f"{path}: cannot read ({error.strerror})") from None


def _parts(path: str) -> list[str]:
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise InputError(f"{brief(path)}: not a plain relative path inside the repository")
    return parts


@contextlib.contextmanager
def _folder(repository: Repository, parts: list[str], create: bool) -> Iterator[int]:
    """The folder holding the last part, opened one level at a time without following links."""
    folder = os.open(repository.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts[:-1]):
            _refuse_link(folder, parts, index)
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=folder)
            try:
                inner = os.open(part, _FOLDER_FLAGS, dir_fd=folder)
            except NotADirectoryError:
                raise InputError(f"{'/'.join(parts[: index + 1])}: is not a folder") from None
            os.close(folder)
            folder = inner
        yield folder
    finally:
        os.close(folder)


def _refuse_link(folder: int, parts: list[str], index: int) -> None:
    try:
        mode = os.stat(parts[index], dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise InputError(
            f"{'/'.join(parts[: index + 1])}: is a symbolic link; refusing to follow it"
        )
