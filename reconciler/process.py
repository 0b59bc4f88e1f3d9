"""Process-wide settings a run makes first. What the process does to keep the secrets it holds
in memory (the Avi password, tokens) from leaving it: no core file when it crashes, and on Linux
not dumpable at all, so neither a core nor a same-user ptrace or /proc/<pid>/mem read can copy
them. And how often the garbage collector runs."""

from __future__ import annotations

import ctypes
import gc
import resource
import sys
from typing import Final

PR_SET_DUMPABLE: Final = 4  # <linux/prctl.h>
# Allocations between two collections of the youngest generation (CPython's default: 700).
YOUNG_GENERATION_THRESHOLD: Final = 50_000


def forbid_core_dumps() -> None:
    """Soft and hard core limits 0 (a child cannot raise them again), then PR_SET_DUMPABLE 0.

    Child processes (git) get dumpable back when they exec, but keep the core limit.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def collect_garbage_less_often() -> None:
    """A run builds a few hundred thousand objects that live until it exits (a 5,000-node
    cluster's routes, their addresses and prefixes); at the default pace the collector walks
    them again and again, a sixth of a render's CPU. Cycles are still collected, later."""
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
