"""What the process prints besides a command's results, and how.

One line per event: as text (results on stdout, warnings and errors on stderr as `level:
message`) or, with `--log-format json`, one JSON object per line on stderr and nothing else. The
format is the process's, chosen once per command line (`use_log_format`), so every line follows
it: the command's own events, the errors `main` reports, configuration warnings and the log
records of our modules (retries and each request only with `--verbose`). Third-party loggers
(urllib3, the Kubernetes client) stay out: their lines describe their internals, not our work.
Both standard streams are guarded while a command runs: a reader that goes away (`| head`) ends
the output, never the command or its exit code.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

OUR_LOGGER = "reconciler"
# Terminal controls that text from outside (a route id or label from Avi, a message from a
# server) could carry: C0 and C1 controls but line feed and tab, DEL, and the bidi overrides
# that reorder what is shown. The colours of the plan (`report.py`) are the one sequence kept.
_TERMINAL_CONTROL = re.compile(
    r"\x1b\[(?:0|3[1-3])m|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_PLAN_COLOURS = frozenset({"\x1b[0m", "\x1b[31m", "\x1b[32m", "\x1b[33m"})


@dataclass
class _Process:
    log_format: str = "text"


_PROCESS = _Process()


def use_log_format(log_format: str) -> None:
    """Every line printed from now on, by any part of the process, is in this format."""
    _PROCESS.log_format = log_format


class Log:
    """Events in the process's format, or in `log_format` when one is given."""

    def __init__(self, log_format: str | None = None) -> None:
        self.json = (log_format or _PROCESS.log_format) == "json"

    def event(self, level: str, message: str, **fields: Any) -> None:
        """A result (`info`: stdout in text) or a warning or error (stderr)."""
        self._emit(level, message, fields, result=level == "info")

    def record(self, level: str, message: str, **fields: Any) -> None:
        """A line about the process rather than a result: stderr in either format."""
        self._emit(level, message, fields, result=False)

    def _emit(self, level: str, message: str, fields: dict[str, Any], result: bool) -> None:
        if self.json:
            record = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "level": level,
                "msg": message,
                **fields,
            }
            print(json.dumps(record, default=str), file=sys.stderr, flush=True)
        elif result:
            print(message)
        else:
            print(f"{level}: {' '.join(message.splitlines())}", file=sys.stderr)


def report_unexpected(error: Exception, verbose: bool) -> None:
    """An exception no error path expected (a bug): one line; its traceback with `verbose`."""
    text = " ".join(str(error).split())[:300]
    Log().event(
        "error",
        f"unexpected {type(error).__name__}: {text}; this is a bug in route-reconciler: rerun "
        "with --verbose for the traceback and report it",
    )
    if not verbose:
        return
    trace = "".join(traceback.format_exception(error))
    if Log().json:
        Log().record("debug", trace)  # one JSON line, the traceback in it
    else:
        print(trace, end="", file=sys.stderr)


class _OurRecords(logging.Handler):
    """Our modules' log records as console lines, in the format and on the stream of the
    moment (tests swap sys.stderr; a handler bound to one stream would keep the old one)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            Log().record(record.levelname.lower(), record.getMessage(), logger=record.name)
        except Exception:  # a logging failure must not become the command's failure
            self.handleError(record)


_HANDLER = _OurRecords()
_HANDLER.addFilter(logging.Filter(OUR_LOGGER))


@contextlib.contextmanager
def logging_for(verbose: bool) -> Iterator[None]:
    """Warnings of our modules, or with `verbose` everything they log down to each request;
    nothing from other libraries. The logger's level is put back afterwards, so a caller's
    own setting (pytest's caplog) survives."""
    root, ours = logging.getLogger(), logging.getLogger(OUR_LOGGER)
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)  # on the root: with a handler there, Python's last-resort
        # handler no longer prints other libraries' warnings
    _HANDLER.setLevel(logging.DEBUG if verbose else logging.WARNING)
    previous = ours.level
    if verbose:
        ours.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        ours.setLevel(previous)


def terminal_safe(text: str) -> str:
    """``text`` with every terminal control written as its escape (``\\u001b``), so nothing
    printed can move the cursor, clear the screen, retitle the window or hide a line."""
    return _TERMINAL_CONTROL.sub(
        lambda found: found[0] if found[0] in _PLAN_COLOURS else json.dumps(found[0])[1:-1],
        text,
    )


class _ReaderMayLeave(io.TextIOBase):
    """A standard stream whose reader may close it (`| head`): from then on what is written is
    dropped, and the file descriptor points at /dev/null, so the interpreter's own last flush
    finds nothing to complain about. What is written is made terminal-safe on the way."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                # A write that starts with a carriage return is our progress line redrawing
                # itself (ipam/kube.py); anywhere else one could hide what precedes it.
                redraw = "\r" if text.startswith("\r") else ""
                self._stream.write(redraw + terminal_safe(text.removeprefix(redraw)))
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._reader_left()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    def _reader_left(self) -> None:
        self._gone = True
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """stdout and stderr guarded for the duration, then flushed (a closed pipe shows at the last
    flush as often as at a write) and put back."""
    saved = sys.stdout, sys.stderr
    guarded = _ReaderMayLeave(sys.stdout), _ReaderMayLeave(sys.stderr)
    sys.stdout, sys.stderr = guarded
    try:
        yield
    finally:
        for stream in guarded:
            stream.flush()
        sys.stdout, sys.stderr = saved
