"""Running a stand-in as a command (``route-reconciler sim ...``) until SIGINT or SIGTERM.

Its settings are printed as ``export`` lines and, with an env file, written there once it
listens, so a script can start it in the background, wait for the file and source it. Whatever
it made (temporary folders, the env file) is removed when it stops, by either signal: a
background job of a script ignores SIGINT, so ``kill`` (SIGTERM) is how scripts stop it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from reconciler.errors import InputError

_BIND_ERRORS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: unwind, cleaning up on the way."""


@dataclass(frozen=True)
class Started:
    """What a started stand-in tells its user: lines to read and settings to export."""

    notes: list[str]
    settings: Mapping[str, str] = field(default_factory=dict)


def serve_until_stopped(
    what: str, start: Callable[[ExitStack], Started], env_file: str | None = None
) -> None:
    """Start the stand-in with ``start`` (which registers its cleanup on the stack), announce
    it, and serve until a signal; then clean up everything in reverse order."""
    with _stop_on_signals():
        try:
            with ExitStack() as cleanup:
                started = start(cleanup)
                exports = [f"export {k}={shlex.quote(v)}" for k, v in started.settings.items()]
                for line in [*started.notes, *exports]:
                    print(line)
                if env_file is not None:
                    _write_env_file(Path(env_file), exports, cleanup)
                print(f"{what} running (pid {os.getpid()}); Ctrl-C or kill stops it", flush=True)
                threading.Event().wait()
        except Stopped:
            print(f"{what} stopped", flush=True)


@contextlib.contextmanager
def port_errors(port: int) -> Iterator[None]:
    """A port that cannot be bound is the user's to change: one line, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _BIND_ERRORS:
            raise
        raise InputError(
            f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "choose another port, or 0 for any free one"
        ) from None


def one_line(error: BaseException) -> str:
    """An error's message on one line (YAML errors span several)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split())


def _write_env_file(path: Path, exports: list[str], cleanup: ExitStack) -> None:
    """Written whole (rename) so a waiting script never sources half of it; removed at stop."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text("".join(f"{line}\n" for line in exports), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"--env-file {path}: cannot write it ({one_line(exc)})") from None
    cleanup.callback(path.unlink, missing_ok=True)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM, and SIGINT unless the parent ignores it, raise Stopped in the main thread;
    further signals are ignored so that the cleanup they started runs to its end."""
    watched = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        watched.append(signal.SIGINT)

    def stop(signum: int, frame: FrameType | None) -> None:
        for number in watched:
            signal.signal(number, signal.SIG_IGN)
        raise Stopped(signal.Signals(signum).name)

    previous = {number: signal.signal(number, stop) for number in watched}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
