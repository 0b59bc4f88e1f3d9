"""What the process does to keep the secrets it holds in memory (the Avi password, tokens) from
leaving it: no core file when it crashes, and on Linux not dumpable at all, so neither a core
nor a same-user ptrace or /proc/<pid>/mem read can copy them."""

from __future__ import annotations

import ctypes
import resource
import sys
from typing import Final

PR_SET_DUMPABLE: Final = 4  # <linux/prctl.h>


def forbid_core_dumps() -> None:
    """Soft and hard core limits 0 (a child cannot raise them again), then PR_SET_DUMPABLE 0.

    Child processes (git) get dumpable back when they exec, but keep the core limit.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
