"""The cycle collector paused while large acyclic values are built and used. Pure.

A 60,000-route VRF decodes to about a million objects, and the controller's answer to a PUT to
as many again. Whenever enough new objects have been made, the collector walks the young ones,
and now and then every object there is: during an apply it took as long as all the rest of the
work together. Decoded JSON and the routes made from it hold no reference cycles; anything the
paused code makes that does (a traceback, say) is collected once the collector runs again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Nested pauses end with the outermost one."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
