"""What one scenario run reports, shared by the measuring process and the table printer.

Kept free of project imports: `run.py` imports it, and its own peak RSS must stay small because
a child process inherits its parent's ru_maxrss through fork and exec.
"""

from __future__ import annotations

import json
import resource
from dataclasses import asdict, dataclass, field

OFFLINE = "offline render + plan"
ONLINE = "online render"
NOOP_RENDER = "no-op render"
APPLY_NOOP = "apply no-op"
APPLY_PUT = "apply 1 route (put)"
APPLY_PATCH = "apply 1 route (patch)"
RENDER_SCENARIOS = (OFFLINE, ONLINE, NOOP_RENDER)
APPLY_SCENARIOS = (APPLY_NOOP, APPLY_PUT, APPLY_PATCH)


@dataclass
class Measurement:
    scenario: str
    nodes: int
    cidrs_per_node: int
    routes: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    http_requests: int
    avi_bytes_sent: int | None = None
    floor_s: float | None = None
    details: str = ""
    list_requests: dict[str, int] = field(default_factory=dict)
    gets: int | None = None
    writes: int | None = None
    write_bytes: int | None = None
    new_commits: int | None = None

    @property
    def floor_ratio(self) -> float | None:
        return None if not self.floor_s else self.wall_s / self.floor_s

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Measurement:
        return cls(**json.loads(text))


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
